"""The shape and dtype rules of the gathers and scatters (`take`,
`take_along_axis`, `scatter`, `scatter_add`, `one_hot`): one set for the
frontend's checker and the verifiers of the `tf` ops, as in `shape_rules.py`
(whose conventions they follow: dims may be symbolic or unknown while a
function is checked; a rule reports a problem with `raise call.error(...)`).
"""

from __future__ import annotations

from collections.abc import Sequence

from tfir.dialects.dtypes import INT_DTYPES
from tfir.dialects.registry import CallInfo, Dim, TType
from tfir.dialects.shape_rules import broadcast_dim, fmt_shape, norm_axis


def check_indices(call: CallInfo, idx: TType, at: str = "indices") -> None:
    if idx.dtype not in INT_DTYPES:
        raise call.error(f"'{call.name}' needs integer indices (i32 or i64), got {idx.dtype}", at)


def take_shape(call: CallInfo, x: TType, idx: TType, axis: int) -> tuple[int, tuple[Dim, ...]]:
    """The normalized axis and the shape of `take(x, idx, axis)`: `idx`'s dims
    replace axis `axis` (a rank-0 `idx` drops it)."""
    check_indices(call, idx)
    if x.rank == 0:
        raise call.error(f"'{call.name}' needs an operand of rank >= 1")
    axis = norm_axis(call, axis, x.rank)
    return axis, (*x.shape[:axis], *idx.shape, *x.shape[axis + 1:])


def take_along_shape(call: CallInfo, x: TType, idx: TType, axis: int) -> tuple[int, tuple[Dim, ...]]:
    """The normalized axis and the shape of `take_along_axis(x, idx, axis)`, as
    NumPy: `idx` has `x`'s rank; its other dims broadcast with `x`'s."""
    check_indices(call, idx)
    if x.rank == 0 or idx.rank != x.rank:
        raise call.error(f"'{call.name}' needs indices of the operand's rank {x.rank}, got {idx}", "indices")
    axis = norm_axis(call, axis, x.rank)
    out: list[Dim] = []
    for d, (a, b) in enumerate(zip(x.shape, idx.shape, strict=True)):
        if d == axis:
            out.append(b)
            continue
        dim = broadcast_dim(a, b)
        if dim is False:
            raise call.error(f"indices of shape {fmt_shape(idx.shape)} do not broadcast with the operand's "
                             f"shape {fmt_shape(x.shape)} off axis {axis}", "indices")
        out.append(dim)  # type: ignore[arg-type]
    return axis, tuple(out)


def check_updates(call: CallInfo, updates: Sequence[Dim], want: Sequence[Dim]) -> None:
    """`updates` of a scatter must have the shape of the entries they replace."""
    if len(updates) != len(want) or any(isinstance(a, int) and isinstance(b, int) and a != b
                                        for a, b in zip(updates, want, strict=False)):
        raise call.error(f"'{call.name}' needs updates of shape {fmt_shape(want)} (the shape of "
                         f"take(x, indices, axis)), got {fmt_shape(updates)}", "updates")
