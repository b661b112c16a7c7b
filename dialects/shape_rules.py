"""The shape and dtype rules of the `tf` primitives, in one place.

Two kinds of callers use them: the frontend's checker (through the shape rules
of the registry entries in `builtins.py`, while a `.tf` program is checked)
and the verifiers of the `tf` ops (`dialects/tf/`). A rule reports a problem
with `raise call.error(message, at)`: the checker's `CallInfo` points the
message at the `.tf` call, a verifier's (`tf.base.VerifyCall`) makes it a
`VerifyException`.

Dims may be ints, symbolic names (while a function is checked before its
sizes are known) or None (unknown): a rule decides what it can and leaves
the rest to the check of the concrete specialization. In IR every dim is an
int, so the verifiers decide everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tfir.dialects.dtypes import NUMERIC_DTYPES
from tfir.dialects.registry import CallInfo, Dim, TType

NUMERIC = NUMERIC_DTYPES


def fmt_shape(shape: Sequence[Dim]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def numel(shape: Sequence[Dim]) -> Dim:
    n = 1
    for d in shape:
        if not isinstance(d, int):
            return None
        n *= d
    return n


# -- broadcasting ----------------------------------------------------------------


def broadcast_dim(a: Dim, b: Dim) -> Dim | bool:
    """The broadcast of two dims; False when they cannot broadcast."""
    if a == b:
        return a
    if a == 1:
        return b
    if b == 1:
        return a
    if isinstance(a, int) and isinstance(b, int):
        return False
    return None


def broadcast_shapes(*shapes: Sequence[Dim]) -> tuple[Dim, ...] | None:
    """NumPy's broadcasting of shapes; None when they do not broadcast."""
    rank = max((len(s) for s in shapes), default=0)
    out: list[Dim] = []
    for i in range(rank):
        dim: Dim = 1
        for s in shapes:
            j = len(s) - rank + i
            if j < 0:
                continue
            got = broadcast_dim(dim, s[j])
            if got is False:
                return None
            dim = got  # type: ignore[assignment]
        out.append(dim)
    return tuple(out)


def broadcast(call: CallInfo, shapes: Sequence[Sequence[Dim]], names: Sequence[str] = ()) -> tuple[Dim, ...]:
    """The broadcast of `shapes` (elementwise operands), or an error."""
    out = broadcast_shapes(*shapes)
    if out is None:
        shown = " and ".join(fmt_shape(s) for s in shapes)
        raise call.error(f"shapes {shown} cannot be broadcast together (incompatible)")
    return out


def broadcast_to(call: CallInfo, shape: Sequence[Dim], target: Sequence[Dim]) -> tuple[Dim, ...]:
    """`target`, when `shape` broadcasts to it (`broadcast_to`)."""
    target = tuple(target)
    if any(isinstance(d, int) and d < 0 for d in target):
        raise call.error(f"negative size in shape {fmt_shape(target)}", "shape")
    out = broadcast(call, [shape, target]) if len(target) >= len(shape) else None
    if out is None or any(isinstance(a, int) and isinstance(b, int) and a != b
                          for a, b in zip(out, target, strict=True)):
        raise call.error(f"cannot broadcast {fmt_shape(shape)} to {fmt_shape(target)}", "shape")
    return target


# -- dtypes -------------------------------------------------------------------------


def same_dtype(call: CallInfo, types: Sequence[TType], names: Sequence[str] = ()) -> str:
    dtypes = {t.dtype for t in types}
    if len(dtypes) > 1:
        shown = " and ".join(t.dtype for t in types)
        raise call.error(
            f"'{call.name}' needs operands of one dtype, got {shown}; use cast() to convert"
        )
    return types[0].dtype


def check_dtype(call: CallInfo, dtype: str, allowed: frozenset[str], what: str, at: str | None = None) -> None:
    if dtype not in allowed:
        raise call.error(f"'{call.name}' {what}, got {dtype}", at)


# -- axes ---------------------------------------------------------------------------


def norm_axis(call: CallInfo, axis: int, rank: int, at: str = "axis") -> int:
    if not -rank <= axis < rank:  # as NumPy: a rank-0 tensor has no axis
        raise call.error(f"axis {axis} is out of range for a tensor of rank {rank}", at)
    return axis % rank


def norm_axes(call: CallInfo, axes: int | Sequence[int] | None, rank: int, at: str = "axis") -> tuple[int, ...]:
    if axes is None:
        return tuple(range(rank))
    items = [axes] if isinstance(axes, int) else list(axes)
    out = [norm_axis(call, a, rank, at) for a in items]
    if len(set(out)) != len(out):
        raise call.error(f"repeated axis in {list(items)}", at)
    return tuple(sorted(out))


def reduced_shape(shape: Sequence[Dim], axes: Sequence[int], keepdims: bool) -> tuple[Dim, ...]:
    """The shape of a reduction over (normalized) `axes`."""
    return tuple(1 if i in axes else d for i, d in enumerate(shape) if keepdims or i not in axes)


def arg_reduced_shape(call: CallInfo, shape: Sequence[Dim], axis: int) -> tuple[int, tuple[Dim, ...]]:
    """The normalized axis and the shape of an arg-reduction (`argmax`) along `axis`."""
    if not shape:
        raise call.error(f"'{call.name}' needs an operand of rank >= 1")
    axis = norm_axis(call, axis, len(shape))
    check_nonempty_axes(call, shape, [axis])
    return axis, tuple(shape[:axis]) + tuple(shape[axis + 1:])


def check_nonempty_axes(call: CallInfo, shape: Sequence[Dim], axes: Sequence[int]) -> None:
    """A reduction without an identity (`max`, `min`, `argmax`, `argmin`) of an
    axis of size 0 has no value: an error, as NumPy's, once the size is known."""
    empty = [a for a in axes if isinstance(shape[a], int) and shape[a] == 0]
    if empty:
        raise call.error(f"'{call.name}' of an empty axis: axis {empty[0]} of {list(shape)} has size 0, "
                         f"and '{call.name}' has no value for no elements")


def permuted(call: CallInfo, shape: Sequence[Dim], perm: Sequence[int] | None) -> tuple[list[int], tuple[Dim, ...]]:
    """The normalized permutation (default: reversed axes) and the transposed shape."""
    rank = len(shape)
    norm = list(range(rank))[::-1] if perm is None else [p % rank if rank else p for p in perm]
    if sorted(norm) != list(range(rank)):
        raise call.error(f"perm {perm} is not a permutation of {rank} axes", "perm")
    return norm, tuple(shape[p] for p in norm)


# -- reshapes, concatenation, matmul ------------------------------------------------------


def resolve_shape(call: CallInfo, shape: Sequence[Dim], total: Dim, at: str = "shape") -> tuple[Dim, ...]:
    """A target shape with at most one -1, resolved against `total` elements."""
    if sum(1 for d in shape if d == -1) > 1:
        raise call.error("only one -1 is allowed in a shape", at)
    if any(isinstance(d, int) and d < -1 for d in shape):
        raise call.error(f"negative size in shape {fmt_shape(shape)}", at)
    known = numel([d for d in shape if d != -1])
    if -1 not in shape:
        if isinstance(known, int) and isinstance(total, int) and known != total:
            raise call.error(
                f"cannot reshape {total} elements into shape {fmt_shape(shape)} ({known} elements)", at
            )
        return tuple(shape)
    if not (isinstance(known, int) and isinstance(total, int)):
        return tuple(None if d == -1 else d for d in shape)
    if known == 0 or total % known:
        raise call.error(f"cannot reshape {total} elements into shape {fmt_shape(shape)}", at)
    return tuple(total // known if d == -1 else d for d in shape)


def concat_result(call: CallInfo, xs: Sequence[TType], axis: int, stack: bool) -> tuple[int, TType]:
    """The normalized axis and the result type of `concat` (or `stack`) of `xs`."""
    if not xs:
        raise call.error(f"'{call.name}' needs at least one tensor", "tensors")
    dtype = same_dtype(call, xs)
    rank = xs[0].rank
    if any(x.rank != rank for x in xs):
        raise call.error(f"'{call.name}' needs tensors of one rank, got {', '.join(map(str, xs))}", "tensors")
    axis = norm_axis(call, axis, rank + 1 if stack else rank)
    out: list[Any] = []
    for i in range(rank):
        dims = {x.shape[i] for x in xs}
        if i == axis and not stack:
            out.append(_sum_dims([x.shape[i] for x in xs]))
        elif len({d for d in dims if isinstance(d, int)}) > 1:
            raise call.error(f"'{call.name}' needs matching sizes off the axis, got {', '.join(map(str, xs))}",
                             "tensors")
        else:
            out.append(next(iter(dims)) if len(dims) == 1 else None)
    if stack:
        out.insert(axis, len(xs))
    return axis, TType(dtype, tuple(out))


def _sum_dims(dims: list[Any]) -> Any:
    return sum(dims) if all(isinstance(d, int) for d in dims) else None


def matmul_result(call: CallInfo, a: TType, b: TType) -> tuple[Dim, ...]:
    """The shape of `numpy.matmul(a, b)`: 1-D operands are promoted and the
    added axis removed, batch dimensions broadcast."""
    if a.rank == 0 or b.rank == 0:
        raise call.error("matmul needs operands of rank >= 1, got a scalar")
    a2 = (1, *a.shape) if a.rank == 1 else a.shape
    b2 = (*b.shape, 1) if b.rank == 1 else b.shape
    k1, k2 = a2[-1], b2[-2]
    if isinstance(k1, int) and isinstance(k2, int) and k1 != k2:
        raise call.error(
            f"matmul contraction mismatch: {a} @ {b} ({k1} != {k2})"
        )
    batch = broadcast(call, [a2[:-2], b2[:-2]], ["a", "b"])
    out: tuple[Dim, ...] = (*batch, a2[-2], b2[-1])
    if b.rank == 1:
        out = out[:-1]
    if a.rank == 1:
        out = out[:-2] + out[-1:] if b.rank > 1 else out[:-1]
    return out
