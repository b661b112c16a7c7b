"""What a buffer holds when a linalg op runs: the constant of a `linalg.fill`
before it, if one (possibly tiled) is the last write into the buffer, or
the `tfir.filled` mark `numpy-elide-fills` left where it erased that fill.

The NumPy code generator reduces straight into an output that holds the
combiner's identity (`np.add.reduce(x, axis=1, out=s)`), and otherwise
combines the partial result with what the output holds; `numpy-elide-fills`
drops a zero fill that a matmul overwrites anyway.
"""

from __future__ import annotations

import math

from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import FloatAttr, IntegerAttr
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Operation, SSAValue

from tfir.lowering.utils.memref_views import RESHAPE_OPS, root_of

FILLED = "tfir.filled"
"""The attribute of an op whose output fill was erased: the value the output holds."""


def constant_value(value: SSAValue) -> float | int | None:
    """The value of a scalar `arith.constant`, else None."""
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr | FloatAttr):
        return owner.value.value.data
    return None


def _writes(op: Operation, root: SSAValue) -> bool:
    """Whether `op` (or an op nested in it) may write into buffer `root`."""
    for inner in op.walk():
        if isinstance(inner, LinalgStructuredOperation | linalg.BroadcastOp | linalg.ReduceOp):
            targets = inner.outputs if hasattr(inner, "outputs") else [inner.init]
        elif isinstance(inner, memref.CopyOp):
            targets = [inner.destination]
        elif isinstance(inner, memref.StoreOp):
            targets = [inner.memref]
        elif isinstance(inner, func.CallOp):
            targets = list(inner.arguments)  # a custom op's implementation writes its outputs
        else:
            continue
        if any(root_of(t) == root for t in targets):
            return True
    return False


def filled_with(op: Operation, out: SSAValue) -> float | int | None:
    """The constant `out` holds when `op` runs, if the last writes into its buffer
    before `op` are a `linalg.fill` of it, of its whole buffer, or tiles of one
    fill (loops of fills of subviews of the buffer that add up to all of it);
    looking out through tile loops that visit each element once
    (`scf.parallel`), not through `scf.for`."""
    marked = op.attributes.get(FILLED)  # its fill was erased (numpy-elide-fills)
    if isinstance(marked, IntegerAttr | FloatAttr) and len(getattr(op, "outputs", ())) == 1:
        return marked.value.data
    root = root_of(out)
    cur: Operation | None = op
    while cur is not None:
        found = _fill_before(cur, out, root)
        if found != "none":
            return found if isinstance(found, int | float) else None
        cur = cur.parent_op()
        if not isinstance(cur, scf.ParallelOp):
            return None
    return None


def _fill_before(op: Operation, out: SSAValue, root: SSAValue) -> float | int | str:
    """The fill value found before `op` in its block, "none" when nothing there
    writes the buffer, "unknown" when something else does."""
    value, covered = None, 0
    prev = op.prev_op
    while prev is not None:
        if _writes(prev, root):
            for fill, count in _fill_pieces(prev) or [(None, 0)]:
                v = constant_value(fill.inputs[0]) if fill is not None else None
                if v is None or (value is not None and v != value):
                    return "unknown"
                value, target = v, fill.outputs[0]
                if target == out or _whole(target, root) or same_view(target, out):
                    return value
                if not isinstance(target.owner, memref.SubviewOp) or target.owner.source != root:
                    return "unknown"
                covered += count * math.prod(target.type.get_shape())
            if covered >= math.prod(root.type.get_shape()):
                return value
        prev = prev.prev_op
    return "none" if value is None else "unknown"


def same_view(a: SSAValue, b: SSAValue) -> bool:
    """Two subviews of one buffer at the same offsets, sizes and strides (the
    tiles of one block of rows that two ops of a row group take)."""
    x, y = a.owner, b.owner
    if not isinstance(x, memref.SubviewOp) or not isinstance(y, memref.SubviewOp):
        return False
    return (x.source == y.source and list(x.offsets) == list(y.offsets) and list(x.sizes) == list(y.sizes)
            and list(x.strides) == list(y.strides) and x.static_offsets == y.static_offsets
            and x.static_sizes == y.static_sizes and x.static_strides == y.static_strides)


def _whole(view: SSAValue, root: SSAValue) -> bool:
    """Whether `view` is all of buffer `root` (the buffer or reshapes of it)."""
    return root_of(view, RESHAPE_OPS) == root


def _fill_pieces(op: Operation) -> list[tuple[linalg.FillOp, int]] | None:
    """A fill, or a tile loop around a fill: the fill and how many tiles it has."""
    if isinstance(op, linalg.FillOp):
        return [(op, 1)]
    if not isinstance(op, scf.ParallelOp):
        return None
    fills = [o for o in op.body.block.ops if isinstance(o, linalg.FillOp)]
    others = [o for o in op.body.block.ops
              if not isinstance(o, linalg.FillOp | memref.SubviewOp | arith.ConstantOp | scf.ReduceOp)
              and not o.name.startswith("arith.")]
    trips = 1
    for lb, ub, st in zip(op.lowerBound, op.upperBound, op.step, strict=True):
        bounds = [v.owner.value.value.data if isinstance(v.owner, arith.ConstantOp) else None
                  for v in (lb, ub, st)]
        if None in bounds:
            return None
        trips *= len(range(*bounds))
    return [(fills[0], trips)] if len(fills) == 1 and not others else None
