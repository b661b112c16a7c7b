"""Which linalg ops the numpy target compiles to native code (C), read by the
pass that marks them (`numpy-native-kernels`) and by the C printer of the
NumPy backend (backends/numpy/native_c.py), which must print every op listed.

A native loop (`native_loop`) is an `scf.for` with constant bounds and no
carried values whose body is native ops alone (and fills of whole buffers
with a constant, reshapes), on buffers defined outside it: the whole loop becomes one C function calling the kernels of its ops
each iteration (an RNN-like loop over a small state: no Python per step).

A native op is a `linalg.generic` on memrefs of `f32` / `f64` with static
shapes and strides (the offset of a view may be dynamic: the code passes its
address), that is elementwise, or a sum, max or min (NaN-propagating) over
one reduction dim that indexes the last (unit-stride) axis of its largest
input (a row reduction), and whose body uses only the scalar ops below.
"""

from __future__ import annotations

from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import Float32Type, Float64Type, IntegerAttr, MemRefType
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr

from tfir.lowering.utils import memref_views as mv
from tfir.lowering.utils.linalg_ops import is_contraction, iterators, reduction

NATIVE = "tfir.native"
"""The unit attribute of a linalg op the numpy target runs as a C kernel."""

FLOAT_BINARY = frozenset({
    "arith.addf", "arith.subf", "arith.mulf", "arith.divf", "arith.maximumf", "arith.minimumf",
    "arith.maxnumf", "arith.minnumf", "math.powf", "math.copysign", "math.atan2",
})
FLOAT_UNARY = frozenset({
    "arith.negf", "math.absf", "math.sqrt", "math.rsqrt", "math.exp", "math.exp2", "math.expm1",
    "math.log", "math.log2", "math.log10", "math.log1p", "math.tanh", "math.sinh", "math.cosh",
    "math.sin", "math.cos", "math.tan", "math.asin", "math.acos", "math.atan", "math.erf",
    "math.floor", "math.ceil", "math.trunc", "math.cbrt",
})
OTHER = frozenset({"arith.cmpf", "arith.select", "arith.constant", "arith.extf", "arith.truncf",
                   "linalg.yield"})
NATIVE_OPS = FLOAT_BINARY | FLOAT_UNARY | OTHER
"""The scalar ops a native body may use."""

_FLOATS = (Float32Type, Float64Type)


def strides(value_type: object) -> list[int] | None:
    """The static strides (in elements) of a memref type with a static shape, or None."""
    if not isinstance(value_type, MemRefType) or any(d < 0 for d in value_type.get_shape()):
        return None
    found = value_type.get_strides()
    if found is None or any(s is None for s in found):
        return None
    return [int(s) for s in found]  # type: ignore[arg-type]


ROW_KINDS = ("sum", "max", "min")
"""The reductions a native kernel makes (max / min: `arith.maximumf` / `minimumf`)."""


def native_form(op: Operation) -> str | None:
    """"elementwise" or "row-sum" / "row-max" / "row-min" when `op` can run as
    a native kernel, else None."""
    if not isinstance(op, linalg.GenericOp) or len(op.outputs) != 1 or is_contraction(op):
        return None
    for value in op.operands:
        typ = value.type
        if not isinstance(typ, MemRefType) or not isinstance(typ.get_element_type(), _FLOATS) \
                or strides(typ) is None:
            return None
    if any(inner.name not in NATIVE_OPS for inner in op.body.block.ops):
        return None
    iters = iterators(op)
    if all(it == "parallel" for it in iters):
        return "elementwise"
    red = reduction(op)
    if red is None or len(red.kinds) != 1 or red.kinds[0] not in ROW_KINDS or len(red.reduced) != 1:
        return None
    return f"row-{red.kinds[0]}" if _innermost_in_largest(op, red.reduced[0]) else None


def _innermost_in_largest(op: linalg.GenericOp, dim: int) -> bool:
    """Whether `dim` indexes the unit-stride last axis of the op's largest input."""
    maps = [m.data for m in op.indexing_maps]
    sized = [(mv.byte_size(v.type), v, m) for v, m in zip(op.inputs, maps, strict=False)
             if isinstance(v.type, MemRefType)]
    if not sized:
        return False
    _, value, amap = max(sized, key=lambda t: t[0])
    if not amap.results or amap.results[-1] != AffineDimExpr(dim):
        return False
    found = strides(value.type)
    return found is not None and found[-1] == 1


def constant_int(value: object) -> int | None:
    """The value of an `arith.constant` integer or index, else None."""
    owner = getattr(value, "owner", None)
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return int(owner.value.value.data)
    return None


def loop_bounds(op: scf.ForOp) -> tuple[int, int, int] | None:
    """Lower bound, upper bound and step of a loop with constant ones."""
    bounds = (constant_int(op.lb), constant_int(op.ub), constant_int(op.step))
    if any(b is None for b in bounds) or bounds[2] <= 0:  # type: ignore[operator]
        return None
    return bounds  # type: ignore[return-value]


def outside_root(value: SSAValue, loop: Operation) -> SSAValue | None:
    """The buffer defined outside `loop` that `value` is, or is a reshape of
    (`memref.expand_shape` / `collapse_shape` in the loop: the same address),
    else None."""
    while True:
        owner = value.owner
        where = owner if isinstance(owner, Operation) else owner.parent_op()
        if where is None or not loop.is_ancestor(where):
            return value
        if not isinstance(owner, memref.ExpandShapeOp | memref.CollapseShapeOp):
            return None
        value = owner.src


def _native_fill(op: Operation) -> bool:
    """A fill of a whole row-major buffer with a float constant."""
    if not isinstance(op, linalg.FillOp) or not isinstance(op.inputs[0].owner, arith.ConstantOp):
        return False
    typ = op.outputs[0].type
    found = strides(typ)
    if found is None or not isinstance(typ, MemRefType) or not isinstance(typ.get_element_type(), _FLOATS):
        return False
    expected, step = [], 1
    for size in reversed(typ.get_shape()):
        expected.insert(0, step)
        step *= size
    return found == expected


def native_loop(op: Operation) -> list[Operation] | None:
    """The steps of the body of `op` (native ops and fills, in order) when it
    is a native loop (see the module's doc), else None."""
    if not isinstance(op, scf.ForOp) or op.iter_args or loop_bounds(op) is None:
        return None
    body: list[Operation] = []
    for inner in op.body.block.ops:
        if isinstance(inner, scf.YieldOp | arith.ConstantOp | memref.ExpandShapeOp | memref.CollapseShapeOp):
            continue  # constants feed fills; reshapes are checked where they are read
        if not (_native_fill(inner) or isinstance(inner, linalg.GenericOp) and native_form(inner) is not None):
            return None
        buffers = inner.outputs if isinstance(inner, linalg.FillOp) else inner.operands
        if any(outside_root(v, op) is None for v in buffers):  # one address for every step
            return None
        body.append(inner)
    if not any(isinstance(inner, linalg.GenericOp) for inner in body):
        return None
    return body
