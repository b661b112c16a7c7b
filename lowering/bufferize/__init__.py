"""bufferize: linalg on tensors -> linalg on memrefs (docs/ir-levels.md §2 -> §3).

Precondition: the `linalg` stage form (§2): one `func.func` per entry, a
single straight-line block of `linalg.*`, `tensor.empty/collapse_shape/
expand_shape/extract_slice/insert_slice`, `arith.constant dense<...>` tensors
and scalar `arith` ops, ending in `func.return`; static shapes.

Produces the `buffers` form (§3): the same linalg ops on memrefs, writing their
outputs in place (destination passing, no tensor results):

- `tensor.empty` becomes a `memref.alloc`, created just before its first use.
- A linalg op writes into the buffer of its `outs` operand when nothing reads
  that buffer's current contents later (the in-place test below); otherwise it
  writes into a fresh alloc, copied from the old contents only if the op reads
  its outputs (reductions, matmul).
- Reshapes become `memref.collapse_shape` / `memref.expand_shape` views (a
  copy only where a strided view cannot be collapsed), `extract_slice` a
  `memref.subview`.
- `insert_slice` chains into a `tensor.empty` (concat, stack) whose regions are
  disjoint: the producer of each inserted value (a linalg op writing into its
  own `tensor.empty`, possibly through a fill and reshapes) writes straight
  into a subview of the destination; other inserted values are copied into the
  subview with `memref.copy`.
- Tensor constants become a private constant `memref.global` and a
  `memref.get_global`.
- A `func.call` of an external implementation (§7) passes its inputs as
  identity-laid memrefs (a strided view is copied first) and one fresh alloc
  per result; its bodiless declaration becomes `(inputs..., outputs...) -> ()`.
- Entry arguments become memrefs and are never written; results are returned
  as identity-laid memrefs, copied into a fresh alloc where they would alias an
  argument, a constant, another result, or are a strided view.

In-place test for writing value `v` (root buffer R) at op P: R is an alloc,
and no value with defined contents living in R is used after P or read by P
itself. Values of an insert chain are exempt: the chain analysis proved that
nothing else observes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import arith, func, memref, tensor
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    FunctionType,
    MemRefType,
    ModuleOp,
    StringAttr,
    TensorType,
    UnitAttr,
)
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.dialects.linalg.ops import GenericOp
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.traits import SymbolTable
from xdsl.utils.exceptions import PassFailedException

from tfir.dialects import linalgx
from tfir.lowering.bufferize.chains import InsertChains, Redirect, find_insert_chains
from tfir.lowering.bufferize.control import Buf as _Buf
from tfir.lowering.bufferize.control import ControlBufferizer
from tfir.lowering.utils import memref_views as mv


@dataclass
class _FunctionBufferizer(ControlBufferizer):
    module: ModuleOp
    func_op: func.FuncOp
    globals_made: list[int]
    bufs: dict[SSAValue, _Buf] = field(default_factory=dict)
    by_root: dict[SSAValue, list[SSAValue]] = field(default_factory=dict)
    index: dict[Operation, int] = field(default_factory=dict)
    chains: InsertChains = field(default_factory=InsertChains)
    redirected: set[Operation] = field(default_factory=set)
    started: list[Block] = field(default_factory=list)  # blocks in the order they were lowered
    replaced: list[Operation] = field(default_factory=list)  # old control-flow ops and terminators
    hints: dict[SSAValue, _Buf] = field(default_factory=dict)  # tensor.empty -> carried buffer
    slots: dict[Block, list[_Buf]] = field(default_factory=dict)  # the buffers a block yields into

    def run(self) -> None:
        block = self.func_op.body.block
        for arg in list(block.args):
            if isinstance(arg.type, TensorType):
                new = Rewriter.replace_value_with_new_type(arg, mv.memref_of(arg.type))
                self._register(new, _Buf(new, new, writable=False, defined=True, owner=block))
        self.lower_block(block)
        for done in reversed(self.started):  # inner blocks first: their ops use the outer ones
            for op in reversed(list(done.ops)):
                if self._is_tensor_op(op) or op in self.replaced:
                    Rewriter.erase_op(op, safe_erase=False)
        for op in reversed(self.replaced):
            if op.parent is not None:
                Rewriter.erase_op(op, safe_erase=False)
        # Views made for a redirected producer are re-derived by the reshapes
        # that follow it; drop those left without a use.
        for done in self.started:
            for op in reversed(list(done.ops)):
                if isinstance(op, (*mv.VIEW_OPS, memref.GetGlobalOp)) and not op.results[0].uses:
                    Rewriter.erase_op(op)
        self.func_op.update_function_type()

    def lower_block(self, block: Block) -> None:
        """Lowers the ops of one block (a loop body's after its loop's carried buffers are set)."""
        self.started.append(block)
        ops = list(block.ops)
        self.index.update({op: i for i, op in enumerate(ops)})
        chains = find_insert_chains(ops)
        self.chains.redirects.update(chains.redirects)
        self.chains.exclusive |= chains.exclusive
        for op in ops:
            self._lower(op)

    @staticmethod
    def _is_tensor_op(op: Operation) -> bool:
        return any(isinstance(t, TensorType) for t in (*op.operand_types, *op.result_types))

    # -- bookkeeping -----------------------------------------------------------

    def _register(self, value: SSAValue, buf: _Buf) -> None:
        buf.exclusive = buf.exclusive or value in self.chains.exclusive
        self.bufs[value] = buf
        self.by_root.setdefault(buf.root, []).append(value)

    def _derive(self, value: SSAValue, mem: SSAValue, like: _Buf, defined: bool) -> None:
        self._register(value, _Buf(mem, like.root, like.writable, defined, owner=like.owner))

    def _last_use(self, value: SSAValue, block: Block) -> int:
        """The position in `block` of the last op that uses `value` (a use
        nested in a loop or branch counts at that op; uses elsewhere, after an
        enclosing loop or in the other branch, do not count)."""
        last = -1
        for use in value.uses:
            user: Operation | None = use.operation
            while user is not None and user.parent_block() is not block:
                user = user.parent_op()
            if user is not None:
                last = max(last, self.index.get(user, -1))
        return last

    def _buf(self, value: SSAValue, at: Operation) -> _Buf:
        if value not in self.bufs:
            owner = value.owner
            if not isinstance(owner, tensor.EmptyOp):
                raise PassFailedException(f"bufferize: no buffer for {value} ({owner})")
            self._materialize_empty(value, at)
        return self.bufs[value]

    def _mem(self, value: SSAValue, at: Operation) -> SSAValue:
        if not isinstance(value.type, TensorType):
            return value
        return self._buf(value, at).mem

    def _materialize_empty(self, value: SSAValue, at: Operation) -> None:
        plan = self.chains.redirects.get(value)
        if plan is not None and self._redirect(value, plan, at):
            return
        hint = self.hints.get(value)
        if hint is not None and self._writable_at(hint, at):
            # It becomes the value a loop body yields: written straight into the carried buffer.
            self._register(value, _Buf(hint.mem, hint.root, True, False, owner=hint.owner))
            return
        new = self.new_buffer(value.type, value.owner.location, at)  # type: ignore[arg-type]
        self._register(value, _Buf(new, new, True, False, owner=at.parent_block()))

    def new_buffer(self, typ: TensorType | MemRefType, location: Attribute, at: Operation) -> SSAValue:
        """A fresh buffer for a value of `at`'s block, allocated in the function's
        block before `at` (before the loop `at` is in: a body's buffers are not
        allocated again on every iteration; nothing they hold outlives it)."""
        new = mv.alloc(mv.memref_of(typ), location)
        Rewriter.insert_op(new, InsertPoint.before(self.top_level(at)))
        return new.memref

    def top_level(self, op: Operation) -> Operation:
        block = self.func_op.body.block
        while op.parent_block() is not block:
            parent = op.parent_op()
            assert parent is not None
            op = parent
        return op

    def _redirect(self, value: SSAValue, plan: Redirect, at: Operation) -> bool:
        """Make the tensor.empty `value` a view of its insert destination."""
        dest = self._buf(plan.dest_empty, at)
        insert = plan.insert
        src_type = insert.source.type
        assert isinstance(src_type, TensorType)
        view_ops: list[Operation] = [
            mv.subview(
                dest.mem,
                list(insert.static_offsets.get_values()),
                list(insert.static_sizes.get_values()),
                list(insert.static_strides.get_values()),
                src_type.get_shape(),
            )
        ]
        for reshape in plan.reshapes:
            current = view_ops[-1].results[0]
            reassoc = _reassoc(reshape)
            if isinstance(reshape, tensor.ExpandShapeOp):
                t = mv.collapsed_type(current.type, reassoc)  # type: ignore[arg-type]
                if t is None:  # not a view after all: the views made so far must not stay users
                    for made in reversed(view_ops):
                        made.erase()
                    return False
                view_ops.append(mv.collapse(current, reassoc, t))
            else:
                shape = reshape.src.type.get_shape()  # type: ignore[attr-defined]
                t = mv.expanded_type(current.type, reassoc, shape)  # type: ignore[arg-type]
                view_ops.append(mv.expand(current, reassoc, t))
        for op in view_ops:
            op.location = insert.location
        Rewriter.insert_op(view_ops, _before(at))
        self._register(value, _Buf(view_ops[-1].results[0], dest.root, True, False, True, dest.owner))
        self.redirected.add(insert)
        return True

    # -- in-place writes ---------------------------------------------------------

    def _can_write(self, value: SSAValue, op: Operation) -> bool:
        return self._writable_at(self.bufs[value], op)

    def _writable_at(self, buf: _Buf, op: Operation) -> bool:
        """Whether `op` may write over the contents of `buf`'s root buffer: it
        is writable, owned by `op`'s block (a loop body never writes a buffer
        of the enclosing block: the next iteration may read it), and no value
        living in it is read later in the block or by `op` itself (but for an
        elementwise op reading it element by element where it writes)."""
        if buf.exclusive:
            return True
        block = op.parent_block()
        if not buf.writable or buf.owner is not block or block is None:
            return False
        at = self.index[op]
        read_here = set(_read_operands(op))
        for other in self.by_root.get(buf.root, []):
            if not self.bufs[other].defined:
                continue
            if self._last_use(other, block) > at:
                return False
            if other in read_here and not (self.bufs[other].mem is buf.mem and _reads_in_place(op, other)):
                return False
        return True

    def _dest(self, value: SSAValue, op: Operation, reads: bool) -> _Buf:
        """The buffer `op` writes the new contents of `value` into."""
        buf = self._buf(value, op)
        if self._can_write(value, op):
            return buf
        new = self.new_buffer(value.type, op.location, op)  # type: ignore[arg-type]
        if reads and buf.defined:
            copy = memref.CopyOp(buf.mem, new)
            copy.location = op.location
            Rewriter.insert_op(copy, _before(op))
        return _Buf(new, new, True, True, owner=op.parent_block())

    # -- ops ----------------------------------------------------------------------

    def _lower(self, op: Operation) -> None:
        match op:
            case tensor.EmptyOp():
                pass  # materialized at its first use
            case arith.ConstantOp() if isinstance(op.result.type, TensorType):
                self._lower_constant(op)
            case LinalgStructuredOperation():
                self._lower_linalg(op)
            case tensor.CollapseShapeOp() | tensor.ExpandShapeOp():
                self._lower_reshape(op)
            case tensor.ExtractSliceOp():
                self._lower_extract(op)
            case tensor.InsertSliceOp():
                self._lower_insert(op)
            case func.ReturnOp():
                self._lower_return(op)
            case func.CallOp():
                self._lower_call(op)
            case _ if self.lower_control(op):
                pass
            case _ if self._is_tensor_op(op):
                raise PassFailedException(f"bufferize: unexpected op on tensors: {op.name}")
            case _:
                pass

    def _lower_constant(self, op: arith.ConstantOp) -> None:
        value = op.value
        assert isinstance(value, DenseIntOrFPElementsAttr)
        t = mv.memref_of(op.result.type)  # type: ignore[arg-type]
        while True:
            name = f"__tfir_const_{self.globals_made[0]}"
            self.globals_made[0] += 1
            if SymbolTable.lookup_symbol(self.module, name) is None:
                break
        glob = memref.GlobalOp.get(StringAttr(name), t, value, constant=UnitAttr())
        glob.location = op.location
        Rewriter.insert_op(glob, _before(self.func_op))
        get = memref.GetGlobalOp(name, t)
        get.location = op.location
        Rewriter.insert_op(get, _before(op))
        self._register(op.result, _Buf(get.memref, get.memref, False, True, owner=op.parent_block()))

    def _lower_linalg(self, op: LinalgStructuredOperation) -> None:
        ins = [self._mem(v, op) for v in op.inputs]
        n_in = len(op.inputs)
        block_args = op.regions[0].block.args
        dests = [
            self._dest(v, op, reads=bool(block_args[n_in + k].uses))
            for k, v in enumerate(op.outputs)
        ]
        new = mv.rebuild_linalg(op, ins, [d.mem for d in dests])
        Rewriter.insert_op(new, _before(op))
        for result, dest in zip(op.results, dests, strict=True):
            self._derive(result, dest.mem, dest, defined=True)

    def _lower_reshape(self, op: tensor.CollapseShapeOp | tensor.ExpandShapeOp) -> None:
        src = self._buf(op.src, op)
        reassoc = _reassoc(op)
        mem = src.mem
        out_shape = op.result.type.get_shape()  # type: ignore[attr-defined]
        if isinstance(op, tensor.CollapseShapeOp):
            t = mv.collapsed_type(mem.type, reassoc)  # type: ignore[arg-type]
            if t is None:  # a strided view that no layout can collapse
                mem_copy = self.new_buffer(op.src.type, op.location, op)  # type: ignore[arg-type]
                copy = memref.CopyOp(mem, mem_copy)
                copy.location = op.location
                Rewriter.insert_op(copy, _before(op))
                mem = mem_copy
                src = _Buf(mem, mem, True, True, owner=op.parent_block())
                t = mv.collapsed_type(mem.type, reassoc)  # type: ignore[arg-type]
                assert t is not None
            view = mv.collapse(mem, reassoc, t)
        else:
            view = mv.expand(mem, reassoc, mv.expanded_type(mem.type, reassoc, out_shape))  # type: ignore[arg-type]
        view.location = op.location
        Rewriter.insert_op(view, _before(op))
        self._derive(op.result, view.results[0], src, src.defined)

    def _lower_extract(self, op: tensor.ExtractSliceOp) -> None:
        _require_static(op)
        src = self._buf(op.source, op)
        view = mv.subview(
            src.mem,
            list(op.static_offsets.get_values()),
            list(op.static_sizes.get_values()),
            list(op.static_strides.get_values()),
            op.result.type.get_shape(),  # type: ignore[attr-defined]
        )
        view.location = op.location
        Rewriter.insert_op(view, _before(op))
        self._derive(op.result, view.result, src, src.defined)

    def _lower_insert(self, op: tensor.InsertSliceOp) -> None:
        _require_static(op)
        if op in self.redirected:  # the producer already wrote the slice
            dest = self._buf(op.dest, op)
            self._derive(op.result, dest.mem, dest, defined=True)
            return
        src = self._mem(op.source, op)
        dest = self._dest(op.dest, op, reads=True)
        view = mv.subview(
            dest.mem,
            list(op.static_offsets.get_values()),
            list(op.static_sizes.get_values()),
            list(op.static_strides.get_values()),
            op.source.type.get_shape(),  # type: ignore[attr-defined]
        )
        copy = memref.CopyOp(src, view.result)
        view.location = copy.location = op.location
        Rewriter.insert_op([view, copy], _before(op))
        self._derive(op.result, dest.mem, dest, defined=True)

    def _lower_call(self, op: func.CallOp) -> None:
        """A call of an external implementation (docs/ir-levels.md §7): its
        inputs as identity-laid memrefs, then one fresh buffer per result."""
        args: list[SSAValue] = []
        for value in op.arguments:
            mem = self._mem(value, op)
            if isinstance(mem.type, MemRefType) and not mv.is_identity(mem.type):
                fresh = self.new_buffer(mem.type, op.location, op)
                copy = memref.CopyOp(mem, fresh)
                copy.location = op.location
                Rewriter.insert_op(copy, _before(op))
                mem = fresh
            args.append(mem)
        outs: list[SSAValue] = []
        for result in op.res:
            if not isinstance(result.type, TensorType):
                raise PassFailedException(f"bufferize: call of @{op.callee} returns a scalar")
            outs.append(self.new_buffer(result.type, op.location, op))
        call = func.CallOp(op.callee, [*args, *outs], [])
        call.location = op.location
        Rewriter.insert_op(call, _before(op))
        for result, out in zip(op.res, outs, strict=True):
            self._register(result, _Buf(out, out, True, True, owner=op.parent_block()))

    def _lower_return(self, op: func.ReturnOp) -> None:
        returned_roots: set[SSAValue] = set()
        for i, value in enumerate(op.arguments):
            if not isinstance(value.type, TensorType) and value not in self.bufs:
                continue
            buf = self._buf(value, op)
            mem = buf.mem
            aliases = not buf.writable or buf.root in returned_roots
            if aliases or not mv.is_identity(mem.type):  # type: ignore[arg-type]
                fresh = mv.alloc(mv.memref_of(value.type), op.location)
                copy = memref.CopyOp(mem, fresh.memref)
                copy.location = op.location
                Rewriter.insert_op([fresh, copy], _before(op))
                mem = fresh.memref
            else:
                returned_roots.add(buf.root)
            op.operands = [*op.operands[:i], mem, *op.operands[i + 1 :]]


def _before(op: Operation) -> InsertPoint:
    return InsertPoint.before(op)


def _reassoc(op: Operation) -> list[list[int]]:
    return [[i.value.data for i in group] for group in op.reassociation]  # type: ignore[attr-defined]


def _read_operands(op: Operation) -> list[SSAValue]:
    """Tensor operands that `op` reads other than the destination it writes."""
    if isinstance(op, LinalgStructuredOperation):
        return list(op.inputs)
    if isinstance(op, tensor.InsertSliceOp):
        return [op.source]
    if isinstance(op, linalgx.GatherOp):
        return [op.source, op.indices]
    if isinstance(op, linalgx.ScatterOp):
        return [op.updates, op.indices]
    return []


def _reads_in_place(op: Operation, value: SSAValue) -> bool:
    """An all-parallel, one-output generic that reads `value` only where it
    writes (through its output's indexing map): it may write over it."""
    if not isinstance(op, GenericOp) or len(op.outputs) != 1:
        return False
    if any(it.data.value != "parallel" for it in op.iterator_types):
        return False
    maps = op.get_indexing_maps().data
    out_map = maps[len(op.inputs)]
    uses = [k for k, v in enumerate(op.inputs) if v is value]
    return bool(uses) and all(maps[k] == out_map for k in uses)


def _require_static(op: tensor.ExtractSliceOp | tensor.InsertSliceOp) -> None:
    if op.offsets or op.sizes or op.strides:
        raise PassFailedException(f"bufferize: dynamic slice parameters in {op.name}")


def _bufferize_declaration(decl: func.FuncOp) -> None:
    """An external declaration becomes destination-passing: `(inputs...,
    outputs...) -> ()` on identity-laid memrefs."""
    fn_type = decl.function_type
    types = [*fn_type.inputs.data, *fn_type.outputs.data]
    if not any(isinstance(t, TensorType) for t in types):
        return
    memrefs = [mv.memref_of(t) if isinstance(t, TensorType) else t for t in types]
    decl.properties["function_type"] = FunctionType.from_lists(memrefs, [])


class BufferizePass(ModulePass):
    """Tensors to memrefs in destination-passing style (docs/ir-levels.md §3)."""

    name = "bufferize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        counter = [0]
        for func_op in [f for f in op.ops if isinstance(f, func.FuncOp)]:
            if func_op.body.blocks:
                _FunctionBufferizer(op, func_op, counter).run()
            else:
                _bufferize_declaration(func_op)
