"""`bufferize` for structured control flow and the v2 ops (docs/ir-levels.md §3).

A loop's carried tensors become *carried buffers*: one buffer per carried
value, made before the loop, that holds the value at the start of every
iteration and the loop's result after it. At the buffers level the loop
carries nothing (`scf.for` / `scf.while` without iter_args): its body reads
and writes those buffers.

- Before the loop a carried buffer takes over the initial value's buffer when
  nothing reads that buffer after the loop or inside it, else it is a fresh
  buffer the initial value is copied into.
- In the body, the block argument of a carried value lives in its buffer,
  which the body may write in place once that value is dead (a `scatter` into
  a carried `hs` updates it where it is). A value the body yields is produced
  straight into its carried buffer where possible (the `tensor.empty` its
  producer writes into becomes the carried buffer: `h = tanh(...)` writes the
  new `h` over the old one once nothing reads the old one); otherwise it is
  copied there before the `scf.yield` (through a temporary when it lives in
  another carried buffer, so that swapping two carried values works).
- `scf.while`: its condition region reads the carried buffers; `scf.condition`
  forwards nothing. `scf.if`: each result gets a buffer that both branches
  yield into, in the same way.
- Buffers of values made inside a loop body are allocated before the
  outermost loop (once, not per iteration): nothing they hold outlives an
  iteration, since whatever a body yields ends up in a carried buffer.

The v2 ops: `tensor.from_elements` -> a buffer and `memref.store`s;
`tensor.extract` -> `memref.load`; `linalgx.gather` / `scatter` /
`check_index` -> the same ops on buffers (a scatter writes its destination in
place when the in-place test allows, else a copy of it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xdsl.dialects import arith, memref, scf, tensor
from xdsl.dialects.builtin import IndexType, IntegerAttr, TensorType
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from tfir.dialects import linalgx


@dataclass
class Buf:
    """Where a tensor value lives: `mem` (a buffer or a view) of root buffer `root`."""

    mem: SSAValue
    root: SSAValue
    writable: bool
    defined: bool
    exclusive: bool = False
    # The block whose ops may write this value's buffer in place (its owner:
    # where the buffer was made, or the body a carried buffer is carried in).
    owner: Block | None = None


class ControlBufferizer:
    """The control-flow part of `_FunctionBufferizer` (lowering/bufferize.py)."""

    bufs: dict[SSAValue, Buf]
    by_root: dict[SSAValue, list[SSAValue]]
    index: dict[Operation, int]
    replaced: list[Operation]
    hints: dict[SSAValue, Any]
    slots: dict[Block, list[Any]]

    # -- dispatch ------------------------------------------------------------------------

    def lower_control(self: Any, op: Operation) -> bool:
        """Lowers `op` if it is a control-flow or v2 op; False otherwise."""
        if isinstance(op, scf.ForOp):
            self._lower_for(op)
        elif isinstance(op, scf.WhileOp):
            self._lower_while(op)
        elif isinstance(op, scf.IfOp):
            self._lower_if(op)
        elif isinstance(op, scf.YieldOp):
            self._lower_yield(op)
        elif isinstance(op, scf.ConditionOp):
            self._lower_condition(op)
        elif isinstance(op, tensor.ExtractOp):
            self._lower_extract_element(op)
        elif isinstance(op, tensor.FromElementsOp):
            self._lower_from_elements(op)
        elif isinstance(op, linalgx.GatherOp | linalgx.ScatterOp | linalgx.CheckIndexOp):
            self._lower_indexing(op)
        else:
            return False
        return True

    def _insert(self: Any, ops: list[Operation], before: Operation, location: Any) -> None:
        for new in ops:
            new.location = location
        Rewriter.insert_op(ops, InsertPoint.before(before))

    # -- loops ------------------------------------------------------------------------------

    def _carried_buffers(self: Any, loop: Operation, inits: list[SSAValue]) -> list[Any]:
        """One buffer per carried value, holding its initial value before `loop`."""
        out, taken = [], set()
        for init in inits:
            buf = self._buf(init, loop)
            if buf.root not in taken and self._hand_over(buf, loop):
                taken.add(buf.root)
                out.append(buf)
                continue
            fresh = self.new_buffer(init.type, loop.location, loop)
            self._insert([memref.CopyOp(buf.mem, fresh)], loop, loop.location)
            out.append(Buf(fresh, fresh, True, True, owner=loop.parent_block()))
        return out

    def _hand_over(self: Any, buf: Any, loop: Operation) -> bool:
        """Whether the loop may carry its initial value in that value's own buffer."""
        if not self._writable_at(buf, loop):
            return False
        return not any(use.operation is not loop and loop.is_ancestor(use.operation)
                       for other in self.by_root.get(buf.root, []) for use in other.uses)

    def _enter(self: Any, old: Block, new: Block, carried: list[Any], args: list[SSAValue],
               writable: bool = True) -> None:
        """Moves `old`'s ops into `new`; the carried block arguments `args` live in
        their buffers (owned by `new`: written there only)."""
        for op in list(old.ops):
            op.detach()
            new.add_op(op)
        for arg, buf in zip(args, carried, strict=True):
            self._register(arg, Buf(buf.mem, buf.root, writable, True, owner=new))

    def _results(self: Any, op: Operation, carried: list[Any]) -> None:
        for result, buf in zip(op.results, carried, strict=True):
            self._register(result, Buf(buf.mem, buf.root, True, True, owner=op.parent_block()))

    def _replace_control(self: Any, old: Operation, new: Operation) -> None:
        new.location = old.location
        new.attributes.update(old.attributes)
        Rewriter.insert_op(new, InsertPoint.before(old))
        self.index[new] = self.index[old]
        self.replaced.append(old)

    def _lower_for(self: Any, op: scf.ForOp) -> None:
        carried = self._carried_buffers(op, list(op.iter_args))
        old = op.body.block
        body = Block(arg_types=[old.args[0].type])
        body.args[0].name_hint = old.args[0].name_hint
        new = scf.ForOp(op.lb, op.ub, op.step, [], body)
        self._replace_control(op, new)
        old.args[0].replace_all_uses_with(body.args[0])
        self._enter(old, body, carried, list(old.args[1:]))
        self._body(body, carried)
        self._results(op, carried)

    def _lower_while(self: Any, op: scf.WhileOp) -> None:
        carried = self._carried_buffers(op, list(op.arguments))
        before, after = Block(), Block()
        new = scf.WhileOp([], [], Region(before), Region(after))
        self._replace_control(op, new)
        self._enter(op.before_region.block, before, carried, list(op.before_region.block.args), writable=False)
        self._enter(op.after_region.block, after, carried, list(op.after_region.block.args))
        self.slots[before] = carried
        self.lower_block(before)
        self._body(after, carried)
        self._results(op, carried)

    def _lower_if(self: Any, op: scf.IfOp) -> None:
        outer = op.parent_block()
        carried = []
        for result in op.results:
            mem = self.new_buffer(result.type, op.location, op)
            carried.append(Buf(mem, mem, True, False, owner=outer))
        blocks = [Block(), Block()]
        new = scf.IfOp(op.cond, [], Region(blocks[0]), Region(blocks[1]))
        self._replace_control(op, new)
        for region, block in zip(op.regions, blocks, strict=True):
            if region.blocks:
                self._enter(region.block, block, [], [])
                self._body(block, carried)
            else:
                block.add_op(scf.YieldOp())
        self._results(op, carried)

    def _body(self: Any, block: Block, carried: list[Any]) -> None:
        """Lowers a loop body or branch that yields into `carried`."""
        self.slots[block] = carried
        last = block.last_op
        if isinstance(last, scf.YieldOp):
            for value, buf in zip(last.operands, carried, strict=True):
                self._hint(value, Buf(buf.mem, buf.root, True, False, owner=block), block)
        self.lower_block(block)

    def _hint(self: Any, value: SSAValue, buf: Any, block: Block) -> None:
        """The `tensor.empty` the producer of yielded `value` writes into (through
        the destinations of the ops before it) becomes the carried buffer, if it can."""
        seen = 0
        while isinstance(value.owner, Operation) and value.owner.parent_block() is block and seen < 16:
            owner, seen = value.owner, seen + 1
            if isinstance(owner, tensor.EmptyOp):
                self.hints.setdefault(value, buf)
                return
            outs = _destination(owner, value)
            if outs is None:
                return
            value = outs

    # -- terminators ---------------------------------------------------------------------------

    def _lower_yield(self: Any, op: scf.YieldOp) -> None:
        carried = self.slots.get(op.parent_block())
        if carried is None:
            raise PassFailedException(f"bufferize: an scf.yield outside a lowered loop or branch: {op}")
        self._store_carried(op, list(op.operands), carried)
        new = scf.YieldOp()
        new.location = op.location
        Rewriter.insert_op(new, InsertPoint.after(op))
        self.replaced.append(op)

    def _lower_condition(self: Any, op: scf.ConditionOp) -> None:
        self._store_carried(op, list(op.args), self.slots[op.parent_block()], check_only=True)
        new = scf.ConditionOp(op.condition)
        new.location = op.location
        Rewriter.insert_op(new, InsertPoint.after(op))
        self.replaced.append(op)

    def _store_carried(self: Any, op: Operation, values: list[SSAValue], carried: list[Any],
                       check_only: bool = False) -> None:
        """Copies each yielded value into its carried buffer where it is not there
        already; values living in a carried buffer go through a temporary first."""
        roots = {c.root for c in carried}
        staged: list[tuple[SSAValue, Any]] = []
        for value, dest in zip(values, carried, strict=True):
            src = self._buf(value, op)
            if src.mem is dest.mem:
                continue
            if check_only:
                raise PassFailedException("bufferize: scf.condition forwards a value that is not its carried one")
            mem = src.mem
            if src.root in roots:
                mem = self.new_buffer(value.type, op.location, op)
                self._insert([memref.CopyOp(src.mem, mem)], op, op.location)
            staged.append((mem, dest))
        self._insert([memref.CopyOp(mem, dest.mem) for mem, dest in staged], op, op.location)

    # -- v2 ops on tensors ------------------------------------------------------------------------

    def _lower_extract_element(self: Any, op: tensor.ExtractOp) -> None:
        load = memref.LoadOp.get(self._mem(op.tensor, op), list(op.indices))
        self._insert([load], op, op.location)
        op.result.replace_all_uses_with(load.res)
        # Erased with the tensor ops only when its operand is a tensor: one
        # that reads a parameter (retyped to a memref in place) is not one.
        self.replaced.append(op)

    def _lower_from_elements(self: Any, op: tensor.FromElementsOp) -> None:
        typ = op.result.type
        assert isinstance(typ, TensorType)
        mem = self.new_buffer(typ, op.location, op)
        shape = list(typ.get_shape())
        stores: list[Operation] = []
        for flat, element in enumerate(op.elements):
            position, index = [], flat
            for size in reversed(shape):
                position.insert(0, index % size)
                index //= size
            consts = [arith.ConstantOp(IntegerAttr(p, IndexType())) for p in position]
            stores += [*consts, memref.StoreOp.get(element, mem, [c.result for c in consts])]
        self._insert(stores, op, op.location)
        self._register(op.result, Buf(mem, mem, True, True, owner=op.parent_block()))

    def _lower_indexing(self: Any, op: Operation) -> None:
        if isinstance(op, linalgx.CheckIndexOp):
            buf = self._buf(op.indices, op)
            self._insert([linalgx.CheckIndexOp(buf.mem, op.size_value, op.axis.value.data, op.what.data,
                                               op.allows_negative)], op, op.location)
            self._derive(op.res[0], buf.mem, buf, buf.defined)
            return
        if isinstance(op, linalgx.GatherOp):
            dest = self._dest(op.dest, op, reads=False)
            new: Operation = linalgx.GatherOp(self._mem(op.source, op), self._mem(op.indices, op), dest.mem,
                                              op.axis_value, op.is_along)
        else:
            assert isinstance(op, linalgx.ScatterOp)
            dest = self._dest(op.dest, op, reads=True)
            new = linalgx.ScatterOp(self._mem(op.updates, op), self._mem(op.indices, op), dest.mem,
                                    op.axis_value, op.accumulates)
        self._insert([new], op, op.location)
        self._derive(op.res[0], dest.mem, dest, defined=True)


def _destination(op: Operation, result: SSAValue) -> SSAValue | None:
    """The destination operand an op in destination-passing style writes `result` into."""
    if isinstance(op, LinalgStructuredOperation):
        k = list(op.results).index(result)
        return op.outputs[k]
    if isinstance(op, linalgx.GatherOp | linalgx.ScatterOp):
        return op.dest
    return None
