"""Shape and dtype rules shared by the builtin entries of the registry.

Dims may be ints, symbolic names (while a function is checked before its
sizes are known) or None (unknown): a rule decides what it can and leaves
the rest to the check of the concrete specialization.
"""

from __future__ import annotations

from collections.abc import Sequence

from tfir.dialects.dtypes import FLOAT_DTYPES, INT_DTYPES
from tfir.dialects.registry import CallInfo, Dim, TType

NUMERIC = FLOAT_DTYPES | INT_DTYPES


def fmt_shape(shape: Sequence[Dim]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


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


def broadcast(call: CallInfo, shapes: Sequence[Sequence[Dim]], names: Sequence[str]) -> tuple[Dim, ...]:
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
                shown = " and ".join(fmt_shape(s) for s in shapes)
                raise call.error(f"shapes {shown} cannot be broadcast together (incompatible)")
            dim = got  # type: ignore[assignment]
        out.append(dim)
    return tuple(out)


def same_dtype(call: CallInfo, types: Sequence[TType], names: Sequence[str]) -> str:
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


def norm_axis(call: CallInfo, axis: int, rank: int, at: str = "axis") -> int:
    if not -rank <= axis < max(rank, 1) or (rank == 0 and axis not in (0, -1)):
        raise call.error(f"axis {axis} is out of range for a tensor of rank {rank}", at)
    return axis % rank if rank else 0


def norm_axes(call: CallInfo, axes: int | Sequence[int] | None, rank: int, at: str = "axis") -> tuple[int, ...]:
    if axes is None:
        return tuple(range(rank))
    items = [axes] if isinstance(axes, int) else list(axes)
    out = [norm_axis(call, a, rank, at) for a in items]
    if len(set(out)) != len(out):
        raise call.error(f"repeated axis in {list(items)}", at)
    return tuple(sorted(out))


def numel(shape: Sequence[Dim]) -> Dim:
    n = 1
    for d in shape:
        if not isinstance(d, int):
            return None
        n *= d
    return n


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


def matmul_result(call: CallInfo, a: TType, b: TType) -> tuple[Dim, ...]:
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
