"""ONNX array ops with `.tf` version-2 builtins: `CumSum`/`CumProd` (exclusive
and reverse), `Einsum` (implicit output and `...` spelled out), `Pad` (constant,
edge, reflect and wrap; negative pads crop), `Tile`, `Trilu`, `EyeLike`.

Axes, pads, repeats and `k` must be known at import time, as every size in `.tf`.
"""

from __future__ import annotations

import string

import numpy as np

from tfir.onnx.model import FLOATS, INTS, Dim
from tfir.onnx.node import NodeCtx, Rule, rule

ARRAY: dict[str, Rule] = {}


def _axis(n: NodeCtx, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise n.error(f"axis {axis} is out of range for rank {rank}")
    return axis % rank


def _index(rank: int, axis: int, text: str) -> str:
    """`[:, :, text]`: `text` at `axis`, trailing full slices dropped."""
    return "[" + ", ".join([":"] * axis + [text]) + "]"


@rule(ARRAY, "CumSum", "CumProd", attrs="exclusive reverse")
def _cumulative(n: NodeCtx) -> None:
    dtype = n.dtype(0)
    if dtype not in FLOATS | INTS:
        raise n.error(f"needs a numeric operand, got {dtype}")
    shape = n.shape(0)
    rank = len(shape)
    if rank == 0:
        raise n.error("needs an operand of rank >= 1")
    axis_values = n.ints(1, "the axis")
    if len(axis_values) != 1:
        raise n.error(f"the axis must be one value, got {axis_values}")
    axis = _axis(n, axis_values[0], rank)
    fn = "cumsum" if n.op == "CumSum" else "cumprod"
    x = n.x(0)
    reverse, exclusive = int(n.attr("reverse", 0)), int(n.attr("exclusive", 0))
    if reverse:
        x = n.tmp(f"flip({x}, {axis})", "reversed")
    if exclusive:  # the scan of [identity, x0, ..., x(n-2)]: each result excludes its own entry
        size = shape[axis]
        identity = ("0" if fn == "cumsum" else "1") + (".0" if dtype in FLOATS else "")
        pairs = [[0, 0]] * rank
        pairs[axis] = [1, 0]
        x = n.tmp(f"pad({x}, {pairs}, value={identity}){_index(rank, axis, f':{size}')}", "shifted")
    if reverse:
        x = n.tmp(f"{fn}({x}, axis={axis})", fn)
        n.out(f"flip({x}, {axis})")
    else:
        n.out(f"{fn}({x}, axis={axis})")


@rule(ARRAY, "Einsum", attrs="equation")
def _einsum(n: NodeCtx) -> None:
    dtype = n.dtype(0)
    if dtype not in FLOATS | INTS:
        raise n.error(f"needs numeric operands, got {dtype}")
    ranks = [n.rank(i) for i in range(n.n_in)]
    equation = explicit_equation(n, str(n.attr("equation")), ranks)
    n.out(f'einsum("{equation}", {", ".join(n.xs())})')


def explicit_equation(n: NodeCtx, equation: str, ranks: list[int]) -> str:
    """`equation` in the explicit form `.tf`'s einsum takes: spaces removed, `...`
    replaced by letters the equation does not use, the output of an implicit
    equation (no `->`) written out as NumPy defines it (the `...` letters, then the
    letters used once, in alphabetical order)."""
    text = equation.replace(" ", "")
    lhs, arrow, rhs = text.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise n.error(f"equation '{equation}' has {len(terms)} operands, the node {len(ranks)}")
    free = [c for c in string.ascii_letters if c not in text]
    widest = max((r - (len(t) - 3) for t, r in zip(terms, ranks, strict=True) if "..." in t), default=0)
    if widest > len(free):
        raise n.error(f"equation '{equation}': too many dimensions under '...'")
    ell = "".join(free[:widest])
    spelled = []
    for term, rank in zip(terms, ranks, strict=True):
        if "..." in term:
            count = rank - (len(term) - 3)
            if count < 0:
                raise n.error(f"equation '{equation}': '{term}' does not fit an operand of rank {rank}")
            term = term.replace("...", ell[widest - count:])  # '...' broadcasts from the right
        spelled.append(term)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        letters = [c for c in "".join(spelled) if c not in ell]
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))  # ASCII order, as NumPy
    return ",".join(spelled) + "->" + out


@rule(ARRAY, "Pad", attrs="mode")
def _pad(n: NodeCtx) -> None:
    shape = n.shape(0)
    rank = len(shape)
    pads = n.ints(1, "the pads")
    axes = [_axis(n, a, rank) for a in n.ints(3, "axes")] if n.has(3) else list(range(rank))
    if len(pads) != 2 * len(axes):
        raise n.error(f"{len(pads)} pads for {len(axes)} axes (expected {2 * len(axes)})")
    before, after = [0] * rank, [0] * rank
    for i, a in enumerate(axes):
        before[a], after[a] = pads[i], pads[len(axes) + i]
    x, shape = _crop(n, n.x(0), shape, before, after)
    before, after = [max(b, 0) for b in before], [max(e, 0) for e in after]
    if not any(before) and not any(after):
        n.out(x)
        return
    mode = n.attr("mode", "constant")
    pairs = [[b, e] for b, e in zip(before, after, strict=True)]
    if mode == "constant" and n.has(2) and n.t(2).const is None:  # a value computed at run time
        padded = n.tmp(f"pad({x}, {pairs}, value={_zero(n.dtype(0))})", "padded")
        edge = n.tmp(f"pad(zeros({n.dims_text(shape)}, i32), {pairs}, value=1) != 0", "edge")
        n.out(f"where({edge}, reshape({n.x(2)}, []), {padded})")
    elif mode == "constant":
        n.out(f"pad({x}, {pairs}, value={_pad_value(n)})")
    elif mode in ("edge", "reflect", "wrap"):
        _pad_by_gather(n, x, shape, before, after, mode)
    else:
        raise n.error(f"mode '{mode}' is not supported (constant, edge, reflect or wrap)")


def _crop(n: NodeCtx, x: str, shape: tuple[Dim, ...], before: list[int],
          after: list[int]) -> tuple[str, tuple[Dim, ...]]:
    """`x` with the negative pads removed (ONNX crops there), and its shape."""
    if all(b >= 0 for b in before) and all(e >= 0 for e in after):
        return x, shape
    index, cropped = [], []
    for d, b, e in zip(shape, before, after, strict=True):
        if b >= 0 and e >= 0:
            index.append(":")
            cropped.append(d)
            continue
        if not isinstance(d, int):
            raise n.error(f"negative pads on the symbolic dim {d} are not supported")
        size = d + min(b, 0) + min(e, 0)
        if size < 0:
            raise n.error(f"pads {b}, {e} crop more than the size {d}")
        index.append(f"{-min(b, 0)}:{-min(b, 0) + size}")
        cropped.append(size)
    return n.tmp(f"{x}[{', '.join(index)}]", "cropped"), tuple(cropped)


def _zero(dtype: str) -> str:
    return "0.0" if dtype in FLOATS else "0"


def _pad_value(n: NodeCtx) -> str:
    dtype = n.dtype(0)
    if not n.has(2):
        return _zero(dtype)
    value = np.asarray(n.const(2, "the constant value")).reshape(-1)
    if value.size != 1:
        raise n.error("the constant value must be one value")
    if dtype in FLOATS:
        v = float(value[0])
        if np.isnan(v):
            return "0.0 / 0.0"
        if np.isinf(v):
            return "1.0 / 0.0" if v > 0 else "-1.0 / 0.0"
        from tfir.onnx.emit_tf import float_text
        return float_text(v, dtype)
    if dtype in INTS:
        return str(int(value[0]))
    raise n.error(f"constant padding of {dtype} tensors is not supported")


def _pad_by_gather(n: NodeCtx, x: str, shape: tuple[Dim, ...], before: list[int], after: list[int],
                   mode: str) -> None:
    """Edge, reflect and wrap padding as a `take` per padded axis of the index vector
    that `numpy.pad` gives `arange(size)`: the values are copied, never computed."""
    numpy_mode = {"edge": "edge", "reflect": "reflect", "wrap": "wrap"}[mode]
    for axis, (b, e) in enumerate(zip(before, after, strict=True)):
        if not b and not e:
            continue
        size = shape[axis]
        if not isinstance(size, int):
            raise n.error(f"{mode} padding of the symbolic dim {size} is not supported")
        if size == 0 or (mode == "reflect" and size == 1 and (b or e)):
            raise n.error(f"{mode} padding of an axis of size {size} is not supported")
        idx = np.pad(np.arange(size), (b, e), mode=numpy_mode)
        x = n.tmp(f"take({x}, {n.lit(idx, 'i32')}, axis={axis})", "padded")
    n.out(x)


@rule(ARRAY, "Tile")
def _tile(n: NodeCtx) -> None:
    reps = n.ints(1, "the repeats")
    if len(reps) != n.rank(0):
        raise n.error(f"{len(reps)} repeats for rank {n.rank(0)}")
    if any(r < 0 for r in reps):
        raise n.error(f"negative repeats {reps}")
    n.out(f"tile({n.x(0)}, {reps})")


@rule(ARRAY, "Trilu", attrs="upper")
def _trilu(n: NodeCtx) -> None:
    if n.rank(0) < 2:
        raise n.error(f"needs an operand of rank >= 2, got rank {n.rank(0)}")
    k = n.ints(1, "k")[0] if n.has(1) else 0
    fn = "triu" if int(n.attr("upper", 1)) else "tril"
    n.out(f"{fn}({n.x(0)}, k={k})" if k else f"{fn}({n.x(0)})")


@rule(ARRAY, "EyeLike", attrs="dtype k")
def _eye_like(n: NodeCtx) -> None:
    shape = n.shape(0)
    if len(shape) != 2:
        raise n.error(f"needs a rank-2 operand, got rank {len(shape)}")
    dtype = n.out_dtype(0)
    k = int(n.attr("k", 0))
    rows, cols = shape
    on = n.tmp(f"reshape(arange({cols}), [1, {cols}]) - reshape(arange({rows}), [{rows}, 1]) == {k}", "diagonal")
    n.out(on if dtype == "bool" else f"cast({on}, {dtype})")
