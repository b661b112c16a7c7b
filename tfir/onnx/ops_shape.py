"""ONNX shape and contraction ops: `MatMul`, `Gemm`, `Transpose`, `Reshape`,
`Flatten`, `Squeeze`/`Unsqueeze`, `Concat`, `Expand`, `Slice`, `Split`,
`DepthToSpace`/`SpaceToDepth`. Shapes, axes, starts and ends must be known at
import time (constants, or computed from static shapes): `.tf` shapes are static.
"""

from __future__ import annotations

from tfir.onnx.model import Dim
from tfir.onnx.node import NodeCtx, Rule, rule

SHAPE: dict[str, Rule] = {}
INT64_MAX = 2**63 - 1


def _axis(n: NodeCtx, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise n.error(f"axis {axis} is out of range for rank {rank}")
    return axis % rank


@rule(SHAPE, "MatMul")
def _matmul(n: NodeCtx) -> None:
    if n.dtype(0) == "bool":
        raise n.error("MatMul of bool tensors is not supported")
    n.out(f"{n.x(0)} @ {n.x(1)}")


@rule(SHAPE, "Gemm", attrs="alpha beta transA transB")
def _gemm(n: NodeCtx) -> None:
    from tfir.onnx.ops_elementwise import float_attr
    a = f"transpose({n.x(0)})" if n.attr("transA", 0) else n.x(0)
    b = f"transpose({n.x(1)})" if n.attr("transB", 0) else n.x(1)
    alpha, beta = float(n.attr("alpha", 1.0)), float(n.attr("beta", 1.0))
    expr = f"{a} @ {b}"
    if alpha != 1.0:
        expr = f"{float_attr(alpha)} * ({expr})"
    if n.has(2) and beta != 0.0:
        expr += f" + {n.x(2)}" if beta == 1.0 else f" + {float_attr(beta)} * {n.x(2)}"
    n.out(expr)


@rule(SHAPE, "Transpose", attrs="perm")
def _transpose(n: NodeCtx) -> None:
    rank = n.rank(0)
    perm = [int(p) for p in n.attr("perm", list(range(rank))[::-1])]
    n.out(f"transpose({n.x(0)}, perm={perm})")


@rule(SHAPE, "Reshape", attrs="allowzero")
def _reshape(n: NodeCtx) -> None:
    target = n.ints(1, "the shape")
    shape = n.shape(0)
    allowzero = n.attr("allowzero", 0)
    dims: list[Dim] = []
    for i, d in enumerate(target):
        if d == 0 and not allowzero:
            if i >= len(shape):
                raise n.error(f"shape entry {i} is 0 (copy) but the input has rank {len(shape)}")
            dims.append(shape[i])
        elif d < -1:
            raise n.error(f"shape entry {d} is invalid")
        else:
            dims.append(d)
    if dims.count(-1) > 1:
        raise n.error(f"the shape {target} has more than one -1")
    if -1 in dims and 0 in dims:  # allowzero with a zero size: -1 is ambiguous
        raise n.error(f"the shape {target} has both -1 and 0")
    n.out(f"reshape({n.x(0)}, {n.dims_text(dims)})")


def _product(dims: tuple[Dim, ...]) -> Dim | None:
    """The product of dims: an int, a single symbolic dim, or None."""
    if all(isinstance(d, int) for d in dims):
        p = 1
        for d in dims:
            p *= d  # type: ignore[operator]
        return p
    rest = [d for d in dims if d != 1]
    return rest[0] if len(rest) == 1 else None


@rule(SHAPE, "Flatten", attrs="axis")
def _flatten(n: NodeCtx) -> None:
    shape = n.shape(0)
    rank = len(shape)
    axis = int(n.attr("axis", 1))
    if not -rank <= axis <= rank:
        raise n.error(f"axis {axis} is out of range for rank {rank}")
    if axis < 0:
        axis += rank
    outer, inner = _product(shape[:axis]), _product(shape[axis:])
    if outer is None and inner is None:
        raise n.error(f"cannot flatten {shape} at axis {axis}: both sides have several symbolic dims")
    dims = [outer if outer is not None else -1, inner if inner is not None else -1]
    n.out(f"reshape({n.x(0)}, {n.dims_text(dims)})")


def _axes_input(n: NodeCtx) -> list[int] | None:
    if n.has(1):
        return n.ints(1, "axes")
    if n.has_attr("axes"):
        return [int(a) for a in n.attr("axes")]
    return None


@rule(SHAPE, "Squeeze", attrs="axes")
def _squeeze(n: NodeCtx) -> None:
    rank = n.rank(0)
    axes = _axes_input(n)
    if not axes:
        n.out(f"squeeze({n.x(0)})")
        return
    norm = sorted({_axis(n, a, rank) for a in axes})
    n.out(f"squeeze({n.x(0)}, {norm})")


@rule(SHAPE, "Unsqueeze", attrs="axes")
def _unsqueeze(n: NodeCtx) -> None:
    shape = list(n.shape(0))
    axes = _axes_input(n)
    if axes is None:
        raise n.error("the axes are missing")
    out_rank = len(shape) + len(axes)
    norm = sorted({_axis(n, a, out_rank) for a in axes})
    if len(norm) != len(axes):
        raise n.error(f"repeated axis in {axes}")
    if len(norm) == 1:
        n.out(f"expand_dims({n.x(0)}, {norm[0]})")
        return
    for a in norm:
        shape.insert(a, 1)
    n.out(f"reshape({n.x(0)}, {n.dims_text(shape)})")


@rule(SHAPE, "Concat", attrs="axis")
def _concat(n: NodeCtx) -> None:
    rank = n.rank(0)
    axis = _axis(n, int(n.attr("axis")), rank)
    n.out(f"concat([{', '.join(n.xs())}], axis={axis})")


@rule(SHAPE, "Expand")
def _expand(n: NodeCtx) -> None:
    target = n.ints(1, "the shape")
    shape = n.shape(0)
    rank = max(len(shape), len(target))
    a = [1] * (rank - len(shape)) + list(shape)
    b = [1] * (rank - len(target)) + target
    out: list[Dim] = []
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if y == 1 or x == y:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise n.error(f"cannot expand {list(shape)} to {target} (axis {i}: {x} and {y})")
    n.out(n.x(0) if tuple(out) == tuple(shape) else f"broadcast_to({n.x(0)}, {n.dims_text(out)})")


def _slice_text(n: NodeCtx, dim: Dim, start: int, end: int, step: int) -> str:
    """One axis of a NumPy slice with ONNX's clamping (which differs from NumPy's
    only for a negative step and a start below -dim)."""
    if step == 0:
        raise n.error("a slice step cannot be 0")
    if isinstance(dim, int):
        if start < 0:
            start += dim
        if end < 0:
            end += dim
        if step > 0:
            start, end = min(max(start, 0), dim), min(max(end, 0), dim)
        else:
            start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
        lo = "" if start == (0 if step > 0 else dim - 1) else str(start)
        hi = "" if end == (dim if step > 0 else -1) else str(end)
        if step < 0 and end == -1:
            hi = ""
    else:
        if step < 0 and start < -1:
            raise n.error(f"a negative step with start {start} on the symbolic dim {dim} is not supported")
        big = INT64_MAX // 2
        lo = "" if (step > 0 and start <= -big) or (step < 0 and start >= big) else str(start)
        hi = "" if (step > 0 and end >= big) or (step < 0 and end <= -big) else str(end)
    st = "" if step == 1 else f":{step}"
    return f"{lo}:{hi}{st}"


@rule(SHAPE, "Slice")
def _slice(n: NodeCtx) -> None:
    shape = n.shape(0)
    rank = len(shape)
    starts, ends = n.ints(1, "starts"), n.ints(2, "ends")
    axes = n.ints(3, "axes") if n.has(3) else list(range(len(starts)))
    steps = n.ints(4, "steps") if n.has(4) else [1] * len(starts)
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise n.error("starts, ends, axes and steps have different lengths")
    index = [":"] * rank
    for s, e, a, k in zip(starts, ends, axes, steps, strict=True):
        a = _axis(n, a, rank)
        index[a] = _slice_text(n, shape[a], s, e, k)
    while index and index[-1] == ":":
        index.pop()
    n.out(f"{n.x(0)}[{', '.join(index)}]" if index else n.x(0))


@rule(SHAPE, "Split", attrs="axis num_outputs split")
def _split(n: NodeCtx) -> None:
    shape = n.shape(0)
    axis = _axis(n, int(n.attr("axis", 0)), len(shape))
    size = shape[axis]
    if not isinstance(size, int):
        raise n.error(f"Split needs a static size on axis {axis}, got {size}")
    if n.has(1):
        sizes = n.ints(1, "split")
    elif n.has_attr("split"):
        sizes = [int(s) for s in n.attr("split")]
    else:
        parts = int(n.attr("num_outputs", n.n_out))
        chunk = -(-size // parts)
        sizes = [min(chunk, size - i * chunk) for i in range(parts)]
    if sum(sizes) != size or len(sizes) != n.n_out:
        raise n.error(f"split sizes {sizes} do not fit axis {axis} of size {size} in {n.n_out} outputs")
    begin = 0
    for i, s in enumerate(sizes):
        if n.wants(i):
            index = [":"] * axis + [f"{begin}:{begin + s}"]
            n.out(f"{n.x(0)}[{', '.join(index)}]", i)
        begin += s


@rule(SHAPE, "DepthToSpace", "SpaceToDepth", attrs="blocksize mode")
def _depth_space(n: NodeCtx) -> None:
    shape = n.shape(0)
    if len(shape) != 4 or not all(isinstance(d, int) for d in shape):
        raise n.error(f"needs a static rank-4 input, got {list(shape)}")
    b, (batch, c, h, w) = int(n.attr("blocksize")), shape
    if n.op == "DepthToSpace":
        mode = n.attr("mode", "DCR")
        if mode == "DCR":
            first, perm = [batch, b, b, c // (b * b), h, w], [0, 3, 4, 1, 5, 2]
        elif mode == "CRD":
            first, perm = [batch, c // (b * b), b, b, h, w], [0, 1, 4, 2, 5, 3]
        else:
            raise n.error(f"mode '{mode}' is not supported (DCR or CRD)")
        last = [batch, c // (b * b), h * b, w * b]  # type: ignore[operator]
    else:
        mode = n.attr("mode", "DCR")
        if mode not in ("DCR", "CRD"):
            raise n.error(f"mode '{mode}' is not supported (DCR or CRD)")
        perm = [0, 3, 5, 1, 2, 4] if mode == "DCR" else [0, 1, 3, 5, 2, 4]
        first = [batch, c, h // b, b, w // b, b]  # type: ignore[operator]
        last = [batch, c * b * b, h // b, w // b]  # type: ignore[operator]
    blocks = n.tmp(f"reshape({n.x(0)}, {first})", "blocks")
    n.out(f"reshape(transpose({blocks}, perm={perm}), {last})")


@rule(SHAPE, "Constant", attrs="value value_float value_floats value_int value_ints")
def _constant(n: NodeCtx) -> None:
    """Never reached: the importer evaluates every Constant (importer._constant_value)."""
    raise n.error("this kind of constant is not supported")


@rule(SHAPE, "Shape", "Size", "ConstantOfShape", "Range", attrs="start end value")
def _dynamic(n: NodeCtx) -> None:
    t = n.t(0)
    if n.op in ("ConstantOfShape", "Range"):
        for i in range(n.n_in):  # graph inputs among them make the program specialize on their values
            if n.has(i):
                n.const(i, f"input {i}")
    if n.op in ("Shape", "Size"):
        raise n.error(f"the shape of '{t.onnx_name}' is not static ({n.imp.fmt_shape(t.shape or ())}): "
                      f"a shape computed at run time is not supported")
    raise n.error(f"{n.op} needs constant inputs: its result's shape would depend on run-time values")
