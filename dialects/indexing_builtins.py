"""The builtins that index with tensors (v2): `take`, `take_along_axis`,
`scatter`, `scatter_add`, `one_hot`, and `check_label`, the label check of
the `cross_entropy` composite (callable from the prelude only).

Every gather and scatter is built behind a `tf.check_index` of its indices
(dialects/tf/indexing.py), so an index out of range is a run-time error at the
call's location; `one_hot` needs none (an index outside `[0, n)` gives zeros).
The eager implementations here are the reference every target matches.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from xdsl.dialects.builtin import FileLineColLoc, TensorType, i1

from tfir.dialects import tf
from tfir.dialects.index_rules import check_indices, check_updates, take_along_shape, take_shape
from tfir.dialects.registry import DTYPE, INT, REGISTRY, TENSOR, CallInfo, OpEntry, Param, TType
from tfir.dialects.shape_rules import broadcast_shapes
from tfir.errors import index_error

X, INDICES, UPDATES = Param("x", TENSOR), Param("indices", TENSOR), Param("updates", TENSOR)


def location_text(op: Any) -> str:
    """`file:line:col` of an op, as run-time errors name it."""
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}"
    return "<unknown location>"


def normalized(idx: np.ndarray, size: int) -> np.ndarray:
    """Indices counted from the end made non-negative (int64), others unchanged."""
    i = np.asarray(idx).astype(np.int64)
    return np.where(i < 0, i + size, i)


# -- the eager reference ------------------------------------------------------------------


def check_index_eager(op: tf.CheckIndexOp, idx: np.ndarray) -> np.ndarray:
    size, negative = op.size_value, op.allows_negative
    i = np.asarray(idx).astype(np.int64)
    bad = (i < -size if negative else i < 0) | (i >= size)
    if bad.any():
        first = int(i[bad].reshape(-1)[0])
        raise index_error(location_text(op), op.what.data, first, size, op.axis.value.data, negative)
    return idx


def take_eager(op: tf.TakeOp, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    axis = op.axis_value
    size = x.shape[axis]
    if size == 0:
        return np.zeros(tuple(op.result.type.get_shape()), x.dtype)
    return np.take(x, np.clip(normalized(idx, size), 0, size - 1), axis=axis)


def take_along_eager(op: tf.TakeAlongAxisOp, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    axis = op.axis_value
    size = x.shape[axis]
    shape = tuple(op.result.type.get_shape())
    if size == 0:
        return np.zeros(shape, x.dtype)
    i = np.clip(normalized(idx, size), 0, size - 1)
    full = list(shape)
    full[axis] = x.shape[axis]
    return np.take_along_axis(np.broadcast_to(x, full), np.broadcast_to(i, shape), axis=axis)


def scatter_eager(op: Any, x: np.ndarray, idx: np.ndarray, updates: np.ndarray) -> np.ndarray:
    axis, size = op.axis_value, x.shape[op.axis_value]
    out = x.copy()
    i = normalized(idx, size)
    valid = (i >= 0) & (i < size)
    target = np.moveaxis(out, axis, 0)
    src = np.moveaxis(updates, list(range(axis, axis + i.ndim)), list(range(i.ndim)))
    if isinstance(op, tf.ScatterAddOp):
        np.add.at(target, i[valid], src[valid])
    elif i.ndim == 0:
        if valid:
            target[int(i)] = src
    else:
        target[i[valid]] = src[valid]
    return out


# -- the entries ---------------------------------------------------------------------------


def _size(x: Any, axis: int) -> int:
    return int(x.type.get_shape()[axis])


def _take_infer(call: CallInfo) -> list[TType]:
    x, idx = call.tensors
    call.attrs["axis"], shape = take_shape(call, x, idx, call.attrs["axis"])
    return [TType(x.dtype, shape)]


def _take_build(xs: Any, attrs: dict[str, Any], rts: Any) -> list[Any]:
    x, idx = xs
    check = tf.CheckIndexOp(idx, _size(x, attrs["axis"]), attrs["axis"], "take")
    return [check, tf.TakeOp(x, check.result, attrs["axis"], rts[0])]


def _along_infer(call: CallInfo) -> list[TType]:
    x, idx = call.tensors
    call.attrs["axis"], shape = take_along_shape(call, x, idx, call.attrs["axis"])
    return [TType(x.dtype, shape)]


def _along_build(xs: Any, attrs: dict[str, Any], rts: Any) -> list[Any]:
    x, idx = xs
    check = tf.CheckIndexOp(idx, _size(x, attrs["axis"]), attrs["axis"], "take_along_axis")
    return [check, tf.TakeAlongAxisOp(x, check.result, attrs["axis"], rts[0])]


def _scatter_infer(call: CallInfo) -> list[TType]:
    x, idx, upd = call.tensors
    if upd.dtype != x.dtype:
        raise call.error(f"'{call.name}' needs updates of the operand's dtype {x.dtype}, got {upd.dtype}", "updates")
    call.attrs["axis"], want = take_shape(call, x, idx, call.attrs["axis"])
    if broadcast_shapes(upd.shape, want) != tuple(want) or len(upd.shape) > len(want):
        check_updates(call, upd.shape, want)
    return [x]


def _scatter_build(kind: str) -> Any:
    op_cls = tf.ScatterAddOp if kind == "scatter_add" else tf.ScatterOp

    def build(xs: Any, attrs: dict[str, Any], rts: Any) -> list[Any]:
        x, idx, upd = xs
        axis = attrs["axis"]
        ops: list[Any] = [tf.CheckIndexOp(idx, _size(x, axis), axis, kind)]
        shape = [*x.type.get_shape()[:axis], *idx.type.get_shape(), *x.type.get_shape()[axis + 1:]]
        if list(upd.type.get_shape()) != shape:
            ops.append(tf.BroadcastToOp(upd, TensorType(upd.type.get_element_type(), shape)))
            upd = ops[-1].result
        return [*ops, op_cls(x, ops[0].result, upd, axis)]

    return build


def _one_hot_infer(call: CallInfo) -> list[TType]:
    (idx,) = call.tensors
    check_indices(call, idx)
    n = call.attrs["n"]
    if isinstance(n, int) and n < 0:
        raise call.error(f"one_hot needs n >= 0, got {n}", "n")
    return [TType(call.attrs["dtype"], (*idx.shape, n))]


def _one_hot_build(xs: Any, attrs: dict[str, Any], rts: Any) -> list[Any]:
    """`one_hot(idx, n)`: `idx[..., None] == arange(n)`, cast: an index outside
    `[0, n)` (a negative one included) matches nothing, a row of zeros."""
    (idx,) = xs
    elem = idx.type.get_element_type()
    shape = list(idx.type.get_shape())
    column = tf.ReshapeOp(idx, TensorType(elem, [*shape, 1]))
    iota = tf.IotaOp(TensorType(elem, [attrs["n"]]))
    out = rts[0]
    hit = tf.EqualOp(column.result, iota.result, TensorType(i1, out.get_shape()))
    if out.get_element_type() == i1:
        return [column, iota, hit]
    return [column, iota, hit, tf.CastOp(hit.result, out)]


def _label_infer(call: CallInfo) -> list[TType]:
    (idx,) = call.tensors
    check_indices(call, idx, "labels")
    return [idx]


def _label_build(xs: Any, attrs: dict[str, Any], rts: Any) -> Any:
    return tf.CheckIndexOp(xs[0], attrs["size"], 1, "cross_entropy: label", negative=False)


def _entries() -> list[OpEntry]:
    axis0 = Param("axis", INT, 0)
    return [
        OpEntry("take", (X, INDICES, axis0), _take_infer, _take_build, take_eager,
                op_names=(tf.TakeOp.name,), doc=tf.TakeOp.__doc__ or ""),
        OpEntry("take_along_axis", (X, INDICES, Param("axis", INT)), _along_infer, _along_build,
                take_along_eager, op_names=(tf.TakeAlongAxisOp.name,), doc=tf.TakeAlongAxisOp.__doc__ or ""),
        OpEntry("scatter", (X, INDICES, UPDATES, axis0), _scatter_infer, _scatter_build("scatter"),
                scatter_eager, op_names=(tf.ScatterOp.name,), unify=("x", "updates"),
                doc=tf.ScatterOp.__doc__ or ""),
        OpEntry("scatter_add", (X, INDICES, UPDATES, axis0), _scatter_infer, _scatter_build("scatter_add"),
                scatter_eager, op_names=(tf.ScatterAddOp.name,), unify=("x", "updates"),
                doc=tf.ScatterAddOp.__doc__ or ""),
        OpEntry("one_hot", (Param("indices", TENSOR), Param("n", INT), Param("dtype", DTYPE, "f32")),
                _one_hot_infer, _one_hot_build, eager=lambda op, *a: None),
        OpEntry("check_label", (Param("labels", TENSOR), Param("size", INT)), _label_infer, _label_build,
                check_index_eager, op_names=(tf.CheckIndexOp.name,), doc=tf.CheckIndexOp.__doc__ or ""),
    ]


INTERNAL_INDEXING = frozenset({"check_label"})  # callable from the prelude only

for _entry in _entries():
    REGISTRY.register(_entry)

__all__ = ["INTERNAL_INDEXING", "location_text", "normalized"]
