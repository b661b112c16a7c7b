"""ONNX reductions and arg-reductions: `axes` as an attribute (before opset 18,
and `ReduceSum` before 13) or as a constant input, `keepdims`,
`noop_with_empty_axes`; `ArgMax`/`ArgMin` with `keepdims` and
`select_last_index` (the first extreme of the reversed axis)."""

from __future__ import annotations

from tfir.onnx.model import FLOATS, INTS
from tfir.onnx.node import NodeCtx, Rule, rule

REDUCE: dict[str, Rule] = {}

# op -> (tfir reduction, what is reduced, what is done after), `{x}` the operand
_REDUCTIONS: dict[str, tuple[str, str, str]] = {
    "ReduceSum": ("sum", "{x}", "{r}"),
    "ReduceMean": ("mean", "{x}", "{r}"),
    "ReduceMax": ("max", "{x}", "{r}"),
    "ReduceMin": ("min", "{x}", "{r}"),
    "ReduceProd": ("prod", "{x}", "{r}"),
    "ReduceL1": ("sum", "abs({x})", "{r}"),
    "ReduceL2": ("sum", "{x} * {x}", "sqrt({r})"),
    "ReduceSumSquare": ("sum", "{x} * {x}", "{r}"),
    "ReduceLogSum": ("sum", "{x}", "log({r})"),
    "ReduceLogSumExp": ("sum", "exp({x})", "log({r})"),  # as ONNX defines it (no max subtracted)
}
_FLOAT_ONLY = frozenset({"ReduceMean", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp"})


def _axes(n: NodeCtx, rank: int) -> list[int] | None:
    """The reduced axes (normalized, sorted); None for all of them."""
    if n.has(1):
        axes = n.ints(1, "axes")
    elif n.has_attr("axes"):
        axes = [int(a) for a in n.attr("axes")]
    else:
        axes = []
    for a in axes:
        if not -rank <= a < max(rank, 1):
            raise n.error(f"axis {a} is out of range for rank {rank}")
    if not axes:
        return [] if n.attr("noop_with_empty_axes", 0) else None
    return sorted({a % rank for a in axes}) if rank else []


@rule(REDUCE, *_REDUCTIONS, attrs="axes keepdims noop_with_empty_axes")
def _reduce(n: NodeCtx) -> None:
    fn, pre, post = _REDUCTIONS[n.op]
    dtype = n.dtype(0)
    allowed = FLOATS if n.op in _FLOAT_ONLY else FLOATS | INTS
    if dtype not in allowed:
        raise n.error(f"{n.op} of {dtype} is not supported (tfir's {fn} needs "
                      f"{'float' if allowed == FLOATS else 'numeric'} operands)")
    rank = n.rank(0)
    axes = _axes(n, rank)
    x = n.x(0)
    if axes == []:  # noop_with_empty_axes: the elementwise part only
        n.out(post.format(r=pre.format(x=x)))
        return
    shape = n.t(0).shape or ()
    reduced = range(rank) if axes is None else axes
    if fn in ("max", "min") and any(shape[a] == 0 for a in reduced):
        raise n.error(f"{n.op} over an empty axis is not supported (its identity is infinite)")
    keep = "true" if n.attr("keepdims", 1) else "false"
    axis = "" if axes is None else f", axis={axes}"
    n.out(post.format(r=f"{fn}({pre.format(x=x)}{axis}, keepdims={keep})"))


@rule(REDUCE, "ArgMax", "ArgMin", attrs="axis keepdims select_last_index")
def _arg(n: NodeCtx) -> None:
    fn = n.op.lower()
    if n.dtype(0) not in FLOATS | INTS:
        raise n.error(f"needs a numeric operand, got {n.dtype(0)}")
    rank = n.rank(0)
    axis = int(n.attr("axis", 0))
    if not -rank <= axis < rank:
        raise n.error(f"axis {axis} is out of range for rank {rank}")
    axis %= rank
    x = n.x(0)
    if n.attr("select_last_index", 0):
        size = n.shape(0)[axis]
        if not isinstance(size, int):
            raise n.error("select_last_index=1 needs a static size on the axis")
        index = ", ".join("::-1" if a == axis else ":" for a in range(rank))
        expr = f"{size - 1} - {fn}({x}[{index}], axis={axis})"
    else:
        expr = f"{fn}({x}, axis={axis})"
    if n.attr("keepdims", 1):
        expr = f"expand_dims({expr}, {axis})"
    n.out(expr)
