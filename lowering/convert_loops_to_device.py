"""`convert-loops-to-device`: loop-level linalg on buffers to `device` kernels.

Precondition: the `loops` level (docs/ir-levels.md section 4): each entry
`func.func` holds `memref.alloc` / `memref.get_global` buffers, views
(`memref.subview`, `collapse_shape`, `expand_shape`) with static strided
layouts, `linalg.generic` / `matmul` / `transpose` / `fill` and `memref.copy`
on whole buffers or wrapped in tile loops (`scf.parallel` / `scf.for` whose
body is `memref.subview`s of loop-invariant buffers plus one linalg op).

Produces the `device` level (section 6): one `device.kernel` per op (or
fused group) at module level, and in each entry only buffers, views and
`device.launch` ops in program order. The CPU tiles are dropped (the GPU
grid tiles the op again): a tile loop becomes its linalg op on the full
buffers. Kernels by kind:

- all-`parallel` ops (elementwise, broadcast, transpose, copy, fill, iota,
  strided slices): one program per flat block of the iteration space; the
  per-dim indices are recovered with `//` and `%` only when an operand is not
  laid out like the iteration space.
- reductions (any dims) and arg-reductions: a program per block of output
  elements, the reduced dims flattened into one block axis: the row lives in
  registers when it fits (`MAX_ROW`), else a loop over column blocks carries
  the accumulator. A preceding `linalg.fill` of the output with the identity
  is folded into the accumulator's initial value.
- `linalg.matmul`: a tiled `device.dot` kernel with a K loop; a following
  elementwise `linalg.generic` that is the only other reader of the product
  becomes the kernel's epilogue.

Block sizes, grid and num_warps come from the shapes and are attributes of
each kernel; every op keeps the location of the linalg op it comes from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import arith, func, linalg, memref, scf
from xdsl.dialects.builtin import (
    AffineMapAttr,
    FloatAttr,
    IntegerAttr,
    MemRefType,
    ModuleOp,
)
from xdsl.ir import Block, Operation, SSAValue
from xdsl.ir.affine import AffineMap
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination
from xdsl.transforms.dead_code_elimination import DeadCodeElimination

from tfir.dialects import device
from tfir.lowering.device_kernel_kinds import (
    ElementwiseSpec,
    ReductionSpec,
    elementwise_kernel,
    matmul_kernel,
    reduction_kernel,
)
from tfir.lowering.device_kernels import Access, DeviceLoweringError, make_access
from tfir.lowering.device_row_fusion import (
    MAX_ROW,
    Member,
    RowGroup,
    needs_store,
    reads_ok,
    row_group_kernel,
)

_VIEWS = (memref.SubviewOp, memref.CollapseShapeOp, memref.ExpandShapeOp)
_COMBINERS = {"arith.addf": "sum", "arith.addi": "sum", "arith.mulf": "prod",
              "arith.muli": "prod", "arith.maximumf": "max", "arith.maxsi": "max",
              "arith.minimumf": "min", "arith.minsi": "min"}
_SHORT = {"addf": "add", "addi": "add", "subf": "sub", "subi": "sub", "mulf": "mul",
          "muli": "mul", "divf": "div", "divsi": "div", "maximumf": "max", "minimumf": "min",
          "maxsi": "max", "minsi": "min", "cmpf": "cmp", "cmpi": "cmp", "negf": "neg"}


def base_of(value: SSAValue) -> SSAValue:
    """The buffer a view is a view of (an argument, alloc or global)."""
    while isinstance(op := value.owner, Operation) and isinstance(op, _VIEWS):
        value = op.operands[0]
    return value


def _access(value: SSAValue, amap: AffineMap) -> Access:
    return make_access(base_of(value), value.type, amap)


def _maps(op: Operation) -> list[AffineMap]:
    return [m.data for m in op.get_indexing_maps()]  # type: ignore[attr-defined]


def loop_ranges(op: Operation) -> tuple[int, ...]:
    """The static size of each iteration dim, read off the operands."""
    maps = _maps(op)
    ranges: list[int | None] = [None] * maps[0].num_dims
    for operand, amap in zip(op.operands, maps, strict=True):
        for size, expr in zip(operand.type.get_shape(), amap.results, strict=False):
            if expr.__class__.__name__ == "AffineDimExpr" and ranges[expr.position] is None:
                ranges[expr.position] = size
    if None in ranges:
        raise DeviceLoweringError(f"cannot infer the loop ranges of {op.name}")
    return tuple(r for r in ranges if r is not None)


# ---------------------------------------------------------------- untiling


def untile(loop: Operation) -> None:
    """Replaces a tile loop by its linalg op on the whole buffers."""
    inner = [op for op in loop.walk() if isinstance(op, linalg.LinalgStructuredOperation | linalg.FillOp)]
    if len(inner) != 1:
        raise DeviceLoweringError(f"expected one linalg op per tile loop, got {len(inner)}")
    (op,) = inner
    new_operands = []
    for operand in op.operands:
        while loop.is_ancestor(operand.owner) if isinstance(operand.owner, Operation) else False:
            if not isinstance(operand.owner, memref.SubviewOp):
                raise DeviceLoweringError(f"unsupported tile operand from {operand.owner.name}")
            operand = operand.owner.source
        if isinstance(operand.owner, Block) and loop.is_ancestor(operand.owner.parent_op()):
            raise DeviceLoweringError("a tile operand depends on the loop")
        new_operands.append(operand)
    whole = op.clone()
    for i, operand in enumerate(new_operands):
        whole.operands[i] = operand
    Rewriter.insert_op(whole, InsertPoint.before(loop))
    Rewriter.erase_op(loop, safe_erase=False)


# ---------------------------------------------------------------- classification


@dataclass
class Lowering:
    """Per-entry state: where kernels go and how they are named."""

    module: ModuleOp
    entry: func.FuncOp
    names: dict[str, int] = field(default_factory=dict)

    def name(self, parts: Sequence[str]) -> str:
        uniq = list(dict.fromkeys(p for p in parts if p))[:3] or ["kernel"]
        stem = "tf_" + "_".join(uniq)
        n = sum(self.names.values())
        self.names[stem] = self.names.get(stem, 0) + 1
        return f"{stem}_{n}"

    def launch(self, at: Operation, kernel: device.KernelOp, bases: Sequence[SSAValue]) -> None:
        Rewriter.insert_op(kernel, InsertPoint.before(self.entry))
        launch = device.LaunchOp(kernel.sym_name.data, bases)
        launch.location = at.location
        Rewriter.insert_op(launch, InsertPoint.before(at))


def _touches(op: Operation, base: SSAValue) -> bool:
    return any(base_of(o) is base for o in op.operands) or (
        isinstance(op, func.ReturnOp) and any(base_of(o) is base for o in op.operands))


def _next_toucher(op: Operation, base: SSAValue) -> Operation | None:
    nxt = op.next_op
    while nxt is not None and not _touches(nxt, base):
        nxt = nxt.next_op
    return nxt


def _prev_fill(op: Operation, out: SSAValue) -> float | int | None:
    """The fill value of `out` when the op writing it right before is a fill."""
    prev = op.prev_op
    base = base_of(out)
    while prev is not None and not _touches(prev, base):
        prev = prev.prev_op
    if isinstance(prev, linalg.FillOp) and prev.outputs[0] is out:
        value = prev.inputs[0].owner
        if isinstance(value, Operation) and isinstance(getattr(value, "value", None),
                                                       IntegerAttr | FloatAttr):
            Rewriter.erase_op(prev)
            return value.value.value.data  # type: ignore[attr-defined]
    return None


def _body_parts(op: Operation) -> list[str]:
    if not op.regions or not op.regions[0].blocks:
        return []
    return [_SHORT.get(o.name.split(".")[1], o.name.split(".")[1])
            for o in op.regions[0].block.ops
            if o.dialect_name() in ("arith", "math") and o.name != "arith.constant"
            and "cast" not in o.name and "ext" not in o.name and "trunc" not in o.name]


def _slice(block: Block, values: Sequence[SSAValue]) -> set[Operation]:
    """The body ops the values are computed from."""
    needed: set[Operation] = set()
    work = [v.owner for v in values if isinstance(v.owner, Operation)]
    while work:
        op = work.pop()
        if op in needed or op.parent is not block:
            continue
        needed.add(op)
        work.extend(o.owner for o in op.operands if isinstance(o.owner, Operation))
    return needed


_ARG_KIND = {"ogt": "argmax", "ugt": "argmax", "sgt": "argmax",
             "olt": "argmin", "ult": "argmin", "slt": "argmin"}


def _arg_spec(block: Block, out_value: SSAValue) -> ReductionSpec | None:
    """An arg-reduction: a strict compare of some value with the running one."""
    for op in block.ops:
        if isinstance(op, arith.CmpfOp | arith.CmpiOp) and out_value in op.operands:
            names = (arith.CMPF_COMPARISON_OPERATIONS if isinstance(op, arith.CmpfOp)
                     else arith.CMPI_COMPARISON_OPERATIONS)
            kind = _ARG_KIND.get(names[op.predicate.value.data])
            value = op.operands[0] if op.operands[1] is out_value else op.operands[1]
            if kind is not None and value is not out_value:
                if op.operands[0] is out_value:  # `out < in` is `in > out`
                    kind = "argmin" if kind == "argmax" else "argmax"
                skip = frozenset(set(block.ops) - _slice(block, [value]))
                return ReductionSpec([kind], [value], skip, None)
    return None


def _reduction_spec(op: linalg.GenericOp) -> ReductionSpec:
    """Which combiner each output yields, and what it folds in."""
    block = op.body.block
    out_args = block.args[len(op.inputs):]
    yielded = list(block.last_op.operands)  # type: ignore[union-attr]
    if len(out_args) == 2 and isinstance(yielded[0].owner, arith.SelectOp):
        spec = _arg_spec(block, out_args[0])
        if spec is None:
            raise DeviceLoweringError("expected an arg-reduction comparing with the running value")
        return spec
    kinds, values = [], []
    for val, arg in zip(yielded, out_args, strict=True):
        comb = val.owner
        if not isinstance(comb, Operation) or comb.name not in _COMBINERS or arg not in comb.operands:
            raise DeviceLoweringError("expected a reduction body ending in a combiner")
        kinds.append(_COMBINERS[comb.name])
        values.append(comb.operands[0] if comb.operands[1] is arg else comb.operands[1])
    return ReductionSpec(kinds, values, frozenset(set(block.ops) - _slice(block, values)), None)


# ---------------------------------------------------------------- lowerings


def lower_parallel(low: Lowering, op: Operation, ins: Sequence[SSAValue], outs: Sequence[SSAValue],
                   maps: Sequence[AffineMap], shape: tuple[int, ...], body: Block | None,
                   fill: float | int | None, parts: list[str]) -> None:
    n_in = len(ins)
    spec = ElementwiseSpec(
        inputs=[_access(v, m) for v, m in zip(ins, maps[:n_in], strict=True)],
        outputs=[_access(v, m) for v, m in zip(outs, maps[n_in:], strict=True)],
        shape=shape, body=body, fill=fill)
    kernel, bases = elementwise_kernel(low.name(parts), op.location, spec)
    low.launch(op, kernel, bases)
    Rewriter.erase_op(op)


def lower_generic(low: Lowering, op: linalg.GenericOp) -> None:
    iters = [it.data.value for it in op.iterator_types]
    maps, shape = _maps(op), loop_ranges(op)
    if all(it == "parallel" for it in iters):
        lower_parallel(low, op, op.inputs, op.outputs, maps, shape, op.body.block, None,
                       _body_parts(op))
        return
    spec = _reduction_spec(op)
    spec.inits = [_prev_fill(op, out) for out in op.outputs]
    n_in = len(op.inputs)
    spec.inputs = [_access(v, m) for v, m in zip(op.inputs, maps[:n_in], strict=True)]
    spec.outputs = [_access(v, m) for v, m in zip(op.outputs, maps[n_in:], strict=True)]
    spec.reduced = tuple(i for i, it in enumerate(iters) if it == "reduction")
    if spec.kinds[0].startswith("arg") and len(spec.reduced) != 1:
        raise DeviceLoweringError(f"expected an arg-reduction over one axis, got {spec.reduced}")
    spec.shape, spec.body = shape, op.body.block
    kernel, bases = reduction_kernel(low.name([spec.kinds[0], *_body_parts(op)]), op.location, spec)
    low.launch(op, kernel, bases)
    Rewriter.erase_op(op)


def _epilogue(op: linalg.MatmulOp, entry: func.FuncOp) -> linalg.GenericOp | None:
    """The elementwise generic that alone consumes the matmul's product."""
    out = op.outputs[0]
    base = base_of(out)
    nxt = _next_toucher(op, base)
    if not isinstance(nxt, linalg.GenericOp) or base in entry.args:
        return None
    if any(it.data.value != "parallel" for it in nxt.iterator_types):
        return None
    maps = _maps(nxt)
    ident = AffineMap.identity(2)
    reads = [i for i, v in enumerate(nxt.inputs) if base_of(v) is base]
    if len(reads) != 1 or nxt.inputs[reads[0]] is not out or maps[reads[0]] != ident:
        return None
    if any(base_of(o) is base for o in nxt.outputs) or len(nxt.outputs) != 1:
        return None
    if maps[len(nxt.inputs)] != ident or _next_toucher(nxt, base) is not None:
        return None
    return nxt


def lower_matmul(low: Lowering, op: linalg.MatmulOp) -> None:
    maps = _maps(op)
    a, b, c = (_access(v, m) for v, m in zip(op.operands, maps, strict=True))
    m, n, k = loop_ranges(op)
    epi = _epilogue(op, low.entry)
    init = _prev_fill(op, op.outputs[0])
    parts = ["matmul"]
    epi_spec = None
    if epi is not None:
        emaps = _maps(epi)
        reads = [base_of(v) is c.base for v in epi.inputs]
        epi_spec = ElementwiseSpec(
            inputs=[None if r else _access(v, mp)
                    for v, mp, r in zip(epi.inputs, emaps[:len(reads)], reads, strict=True)],
            outputs=[_access(epi.outputs[0], emaps[-1])], shape=(m, n),
            body=epi.body.block, fill=None)
        parts += _body_parts(epi)
    kernel, bases = matmul_kernel(low.name(parts), op.location, a, b, c, (m, n, k), init,
                                  epi_spec, epi.location if epi else None,
                                  op.outputs[0].type.get_element_type())
    low.launch(epi or op, kernel, bases)  # the epilogue's output is defined after the matmul
    Rewriter.erase_op(op)
    if epi is not None:
        Rewriter.erase_op(epi)


def _is_reduction(op: Operation) -> bool:
    return isinstance(op, linalg.GenericOp) and any(
        it.data.value == "reduction" for it in op.iterator_types)


def _member(group: RowGroup, op: Operation) -> Member | None:
    """`op` as the next member of `group`, if it fits."""
    if not isinstance(op, linalg.GenericOp):
        return None
    ranges, maps = loop_ranges(op), _maps(op)
    iters = [it.data.value for it in op.iterator_types]
    reduced = tuple(i for i, it in enumerate(iters) if it == "reduction")
    par_shape = tuple(group.ranges[d] for d in group.par)
    if ranges == group.ranges and reduced in ((), group.reduced):
        tile = True
    elif ranges == par_shape and not reduced:
        tile = False
    else:
        return None
    n_in = len(op.inputs)
    try:
        spec = _reduction_spec(op) if reduced else None
    except DeviceLoweringError:
        return None
    if spec is not None and spec.kinds[0].startswith("arg"):
        return None
    member = Member(op, tile, [_access(v, m) for v, m in zip(op.inputs, maps[:n_in], strict=True)],
                    [_access(v, m) for v, m in zip(op.outputs, maps[n_in:], strict=True)], spec)
    return member if reads_ok(group, member) else None


def row_group(op: linalg.GenericOp) -> tuple[RowGroup, list[Operation]] | None:
    """The row group starting at reduction `op` (with the fills it folds)."""
    iters = [it.data.value for it in op.iterator_types]
    ranges = loop_ranges(op)
    reduced = tuple(i for i, it in enumerate(iters) if it == "reduction")
    if math.prod(ranges[d] for d in reduced) > MAX_ROW:
        return None
    group = RowGroup(ranges, reduced, [])
    ops: list[Operation] = []
    pending: list[linalg.FillOp] = []
    for out in op.outputs:  # the fill right before the first reduction
        prev = op.prev_op
        while prev is not None and not _touches(prev, base_of(out)):
            prev = prev.prev_op
        if isinstance(prev, linalg.FillOp) and prev.outputs[0] is out:
            pending.append(prev)
    cur: Operation | None = op
    while cur is not None:
        if isinstance(cur, linalg.FillOp):
            pending.append(cur)
        elif (member := _member(group, cur)) is not None:
            for fill in list(pending):
                if _is_reduction(cur) and fill.outputs[0] in cur.outputs and \
                        isinstance(getattr(fill.inputs[0].owner, "value", None),
                                   IntegerAttr | FloatAttr):
                    group.fills[fill.outputs[0]] = fill.inputs[0].owner.value.value.data
                    ops.append(fill)
                    pending.remove(fill)
            if pending:
                break  # a fill not folded into this member must run before it
            group.members.append(member)
            ops.append(cur)
        elif not isinstance(cur, memref.AllocOp) and cur.name != "arith.constant":
            break
        cur = cur.next_op
    if len(group.members) < 2:
        return None
    return group, ops


def lower_row_group(low: Lowering, op: linalg.GenericOp) -> bool:
    found = row_group(op)
    if found is None:
        return False
    group, ops = found
    computes = [m.op for m in group.members]
    for member in group.members:
        member.store = [needs_store(computes, a.base, low.entry) for a in member.outputs]
    parts = ["row"] + [k for m in group.members if m.spec for k in m.spec.kinds]
    kernel, bases = row_group_kernel(low.name(parts), op.location, group)
    low.launch(computes[-1], kernel, bases)
    for done in ops:
        Rewriter.erase_op(done)
    return True


def lower_op(low: Lowering, op: Operation) -> None:
    if _is_reduction(op) and lower_row_group(low, op):  # type: ignore[arg-type]
        return
    if isinstance(op, linalg.GenericOp):
        lower_generic(low, op)
    elif isinstance(op, linalg.MatmulOp):
        lower_matmul(low, op)
    elif isinstance(op, linalg.TransposeOp):
        lower_parallel(low, op, op.inputs, op.outputs, _maps(op),
                       tuple(op.outputs[0].type.get_shape()), None, None, ["transpose"])
    elif isinstance(op, memref.CopyOp):
        shape = tuple(op.destination.type.get_shape())
        ident = AffineMap.identity(len(shape))
        lower_parallel(low, op, [op.source], [op.destination], [ident, ident], shape, None,
                       None, ["copy"])
    elif isinstance(op, linalg.FillOp):
        nxt = _next_toucher(op, base_of(op.outputs[0]))
        if isinstance(nxt, linalg.MatmulOp | linalg.GenericOp) and op.outputs[0] in nxt.outputs \
                and (isinstance(nxt, linalg.MatmulOp) or any(
                    it.data.value == "reduction" for it in nxt.iterator_types)):
            return  # folded into the accumulator of the next op
        value = op.inputs[0].owner.value.value.data  # type: ignore[union-attr]
        shape = tuple(op.outputs[0].type.get_shape())
        lower_parallel(low, op, [], op.outputs, [AffineMap.identity(len(shape))], shape, None,
                       value, ["fill"])
    elif op.dialect_name() == "linalg":
        raise DeviceLoweringError(f"no device lowering for {op.name}")


def _erase_dead(entry: func.FuncOp) -> None:
    changed = True
    while changed:
        changed = False
        for op in reversed(list(entry.body.block.ops)):
            dead_kind = isinstance(op, (memref.AllocOp, memref.GetGlobalOp, *_VIEWS)) or \
                op.name == "arith.constant"
            if dead_kind and all(not r.uses for r in op.results):
                Rewriter.erase_op(op)
                changed = True


def convert_entry(module: ModuleOp, entry: func.FuncOp) -> None:
    for loop in [op for op in entry.body.block.ops if isinstance(op, scf.ParallelOp | scf.ForOp)]:
        untile(loop)
    low = Lowering(module, entry)
    for op in list(entry.body.block.ops):
        if op.parent is not None:  # an epilogue may already be gone
            lower_op(low, op)
    _erase_dead(entry)
    for op in entry.body.block.ops:
        if op.dialect_name() in ("linalg", "scf"):
            raise DeviceLoweringError(f"{op.name} left after convert-loops-to-device")


def prune_kernel_args(module: ModuleOp) -> None:
    """Drops the buffers a kernel no longer touches (a row group's
    intermediates live in registers) from it and from its launches."""
    launches: dict[str, list[device.LaunchOp]] = {}
    for op in module.walk():
        if isinstance(op, device.LaunchOp):
            launches.setdefault(op.kernel.root_reference.data, []).append(op)
    for kernel in [k for k in module.ops if isinstance(k, device.KernelOp)]:
        block = kernel.body.block
        dead = [i for i, arg in enumerate(block.args) if not arg.uses]
        for i in reversed(dead):
            block.erase_arg(block.args[i])
        for launch in launches.get(kernel.sym_name.data, []):
            args = [a for i, a in enumerate(launch.args) if i not in dead]
            new = device.LaunchOp(kernel.sym_name.data, args)
            new.location = launch.location
            Rewriter.replace_op(launch, new)


@dataclass(frozen=True)
class ConvertLoopsToDevicePass(ModulePass):
    """Loop-level linalg on buffers -> device kernels and launches."""

    name = "convert-loops-to-device"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for entry in [o for o in op.ops if isinstance(o, func.FuncOp)]:
            convert_entry(op, entry)
        # index math of several accesses repeats: share it, drop what is unused
        CommonSubexpressionElimination().apply(ctx, op)
        DeadCodeElimination().apply(ctx, op)
        prune_kernel_args(op)
        for entry in [o for o in op.ops if isinstance(o, func.FuncOp)]:
            _erase_dead(entry)


__all__ = ["ConvertLoopsToDevicePass", "DeviceLoweringError", "loop_ranges", "AffineMapAttr",
           "MemRefType", "math"]
