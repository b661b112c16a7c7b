"""Reading loop-level linalg ops for `convert-loops-to-device`.

How an operand addresses the buffer it views (`access_of`), the static
iteration space of a structured op, which ops touch a buffer, and what a
reduction body combines (`reduction_spec`, from the classifier of
lowering/utils/linalg_ops.py).
"""

from __future__ import annotations

from xdsl.dialects import arith
from xdsl.dialects.linalg.ops import GenericOp
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap

from tfir.lowering.convert_loops_to_device.kernels import Access, make_access
from tfir.lowering.convert_loops_to_device.kinds import ReductionSpec
from tfir.lowering.utils.device import DeviceLoweringError
from tfir.lowering.utils.linalg_ops import arg_reduction, body_slice, indexing_maps, reduction
from tfir.lowering.utils.memref_views import root_of

KINDS = ("sum", "prod", "max", "min")  # the reductions kernels make (device.reduce)
SHORT = {"addf": "add", "addi": "add", "subf": "sub", "subi": "sub", "mulf": "mul",
          "muli": "mul", "divf": "div", "divsi": "div", "maximumf": "max", "minimumf": "min",
          "maxsi": "max", "minsi": "min", "cmpf": "cmp", "cmpi": "cmp", "negf": "neg"}



def access_of(value: SSAValue, amap: AffineMap) -> Access:
    return make_access(root_of(value), value.type, amap)


def loop_ranges(op: Operation) -> tuple[int, ...]:
    """The static size of each iteration dim, read off the operands."""
    maps = indexing_maps(op)
    ranges: list[int | None] = [None] * maps[0].num_dims
    for operand, amap in zip(op.operands, maps, strict=True):
        for size, expr in zip(operand.type.get_shape(), amap.results, strict=False):
            if isinstance(expr, AffineDimExpr) and ranges[expr.position] is None:
                ranges[expr.position] = size
    if None in ranges:
        raise DeviceLoweringError(f"cannot infer the loop ranges of {op.name}")
    return tuple(r for r in ranges if r is not None)



def body_parts(op: Operation, skip: frozenset[Operation] = frozenset()) -> list[str]:
    """Short names of the computing ops of a body, for kernel names."""
    if not op.regions or not op.regions[0].blocks:
        return []
    return [SHORT.get(o.name.split(".")[1], o.name.split(".")[1])
            for o in op.regions[0].block.ops
            if o.dialect_name() in ("arith", "math") and o.name != "arith.constant"
            and o not in skip and not any(w in o.name for w in ("cast", "ext", "trunc"))]


def reduction_spec(op: GenericOp) -> ReductionSpec:
    """Which combiner each output yields, and what it folds in."""
    block = op.body.block
    arg = arg_reduction(op)
    if arg is not None:
        skip = frozenset(set(block.ops) - body_slice(block, [arg.value]))
        return ReductionSpec([arg.kind], [arg.value], skip, None)
    yielded = list(block.last_op.operands)  # type: ignore[union-attr]
    if len(op.outputs) == 2 and isinstance(yielded[0].owner, arith.SelectOp):
        raise DeviceLoweringError("expected an arg-reduction comparing with the running value")
    red = reduction(op)
    if red is None or any(kind not in KINDS for kind in red.kinds):
        raise DeviceLoweringError("expected a reduction body ending in a combiner")
    values = list(red.values)
    return ReductionSpec(list(red.kinds), values, frozenset(set(block.ops) - body_slice(block, values)), None)


def is_reduction(op: Operation) -> bool:
    return isinstance(op, GenericOp) and any(
        it.data.value == "reduction" for it in op.iterator_types)
