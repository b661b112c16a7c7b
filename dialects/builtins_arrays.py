"""Registry entries of the array builtins of language version 2: `cumsum`,
`cumprod`, `tril`, `triu`, `flip`, `tile`, `repeat`, `pad` and `einsum`.

Registered by `builtins.py` with the other builtin primitives.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from xdsl.dialects.builtin import TensorType

from tfir.dialects import tf
from tfir.dialects.dtypes import NUMERIC_DTYPES, is_float
from tfir.dialects.registry import (
    AXES,
    INT,
    INTS,
    NUMBER,
    PAIRS,
    STRING,
    TENSOR,
    VARIADIC,
    CallInfo,
    OpEntry,
    Param,
    TType,
)
from tfir.dialects.shape_rules import check_dtype, norm_axes, norm_axis, same_dtype

X = Param("x", TENSOR)


def _dim_mul(d: Any, n: int) -> Any:
    return d * n if isinstance(d, int) else None


# -- scans --------------------------------------------------------------------------


def _scan(op_cls: Any, fn: Any) -> OpEntry:
    def infer(call: CallInfo) -> list[TType]:
        (x,) = call.tensors
        check_dtype(call, x.dtype, NUMERIC_DTYPES, "needs a numeric operand", "x")
        if x.rank == 0:
            raise call.error(f"'{call.name}' needs an operand of rank >= 1, got a scalar", "x")
        call.attrs["axis"] = norm_axis(call, call.attrs["axis"], x.rank)
        return [x]

    return OpEntry(op_cls.name.removeprefix("tf."), (X, Param("axis", INT)), infer,
                   build=lambda xs, a, rts: op_cls(xs[0], a["axis"], rts[0]),
                   eager=lambda op, x: fn(x, axis=op.axis_value, dtype=x.dtype),
                   op_names=(op_cls.name,), doc=op_cls.__doc__ or "")


# -- tril / triu, flip ----------------------------------------------------------------


def _triangle(op_cls: Any, fn: Any) -> OpEntry:
    def infer(call: CallInfo) -> list[TType]:
        (x,) = call.tensors
        if x.rank < 2:
            raise call.error(f"'{call.name}' needs an operand of rank >= 2, got {x}", "x")
        return [x]

    return OpEntry(op_cls.name.removeprefix("tf."), (X, Param("k", INT, 0)), infer,
                   build=lambda xs, a, rts: op_cls(xs[0], a["k"], rts[0]),
                   eager=lambda op, x: fn(x, op.k_value), op_names=(op_cls.name,),
                   doc=op_cls.__doc__ or "")


def _flip_infer(call: CallInfo) -> list[TType]:
    (x,) = call.tensors
    call.attrs["axis"] = norm_axes(call, call.attrs["axis"], x.rank)
    return [x]


# -- tile, repeat, pad ------------------------------------------------------------------


def _tile_infer(call: CallInfo) -> list[TType]:
    (x,) = call.tensors
    reps = call.attrs["reps"]
    if any(r < 0 for r in reps):
        raise call.error(f"tile needs repetition counts >= 0, got {reps}", "reps")
    rank = max(x.rank, len(reps))
    dims = [1] * (rank - x.rank) + list(x.shape)
    counts = [1] * (rank - len(reps)) + list(reps)
    return [TType(x.dtype, tuple(_dim_mul(d, r) for d, r in zip(dims, counts, strict=True)))]


def _repeat_infer(call: CallInfo) -> list[TType]:
    (x,) = call.tensors
    n, axis = call.attrs["n"], call.attrs["axis"]
    if n < 0:
        raise call.error(f"repeat needs a count >= 0, got {n}", "n")
    if axis is None:  # as NumPy: the flattened operand
        total = 1
        for d in x.shape:
            total = total * d if isinstance(d, int) and isinstance(total, int) else None
        return [TType(x.dtype, (None if total is None else total * n,))]
    axis = call.attrs["axis"] = norm_axis(call, axis, x.rank)
    shape = list(x.shape)
    shape[axis] = _dim_mul(shape[axis], n)
    return [TType(x.dtype, tuple(shape))]


def _repeat_build(xs: Any, attrs: dict[str, Any], rts: Any) -> Any:
    x, out = xs[0], rts[0]
    if attrs["axis"] is not None:
        return tf.RepeatOp(x, attrs["n"], attrs["axis"], out)
    flat = tf.ReshapeOp(x, TensorType(out.get_element_type(), [int(np.prod(x.type.get_shape()))]))
    return [flat, tf.RepeatOp(flat.result, attrs["n"], 0, out)]


def _pad_infer(call: CallInfo) -> list[TType]:
    (x,) = call.tensors
    pads, value = call.attrs["pads"], call.attrs["value"]
    if len(pads) != x.rank:
        raise call.error(f"pad needs one [before, after] pair per axis of {x} ({x.rank}), got {len(pads)}",
                         "pads")
    if any(b < 0 or a < 0 for b, a in pads):
        raise call.error(f"pad widths must be >= 0, got {pads}", "pads")
    if isinstance(value, float) and not is_float(x.dtype):
        raise call.error(f"float padding value {value} for a {x.dtype} tensor", "value")
    shape = tuple(d + b + a if isinstance(d, int) else None for d, (b, a) in zip(x.shape, pads, strict=True))
    return [TType(x.dtype, shape)]


# -- einsum ----------------------------------------------------------------------------


def _einsum_infer(call: CallInfo) -> list[TType]:
    equation = call.attrs["equation"]
    if not call.tensors:
        raise call.error("einsum needs at least one operand after the equation")
    dtype = same_dtype(call, call.tensors, ["operands"])
    check_dtype(call, dtype, NUMERIC_DTYPES, "needs numeric operands", "operands")
    try:
        _, out, sizes = tf.parse_equation(equation, [t.shape for t in call.tensors])
    except tf.EquationError as err:
        where = equation.find(err.letter) if err.letter else -1
        raise call.error(str(err), f"equation@{where}" if where >= 0 else "equation") from None
    return [TType(dtype, tuple(sizes[ch] for ch in out))]  # type: ignore[misc]


def _einsum_eager(op: Any, *xs: np.ndarray) -> np.ndarray:
    return np.einsum(op.equation_text, *xs, dtype=xs[0].dtype, casting="unsafe")


def array_entries() -> list[OpEntry]:
    return [
        _scan(tf.CumsumOp, np.cumsum),
        _scan(tf.CumprodOp, np.cumprod),
        _triangle(tf.TrilOp, np.tril),
        _triangle(tf.TriuOp, np.triu),
        OpEntry("flip", (X, Param("axis", AXES, None)), _flip_infer,
                build=lambda xs, a, rts: tf.FlipOp(xs[0], a["axis"], rts[0]),
                eager=lambda op, x: np.flip(x, op.axes_tuple) if op.axes_tuple else x,
                op_names=(tf.FlipOp.name,), doc=tf.FlipOp.__doc__ or ""),
        OpEntry("tile", (X, Param("reps", INTS)), _tile_infer,
                build=lambda xs, a, rts: tf.TileOp(xs[0], a["reps"], rts[0]),
                eager=lambda op, x: np.tile(x, op.reps_tuple), op_names=(tf.TileOp.name,),
                doc=tf.TileOp.__doc__ or ""),
        OpEntry("repeat", (X, Param("n", INT), Param("axis", INT, None)), _repeat_infer,
                build=_repeat_build, eager=lambda op, x: np.repeat(x, op.repeats_value, op.axis_value),
                op_names=(tf.RepeatOp.name,), doc=tf.RepeatOp.__doc__ or ""),
        OpEntry("pad", (X, Param("pads", PAIRS), Param("value", NUMBER, 0)), _pad_infer,
                build=lambda xs, a, rts: tf.PadOp(xs[0], [w for pair in a["pads"] for w in pair],
                                                  float(a["value"]), rts[0]),
                eager=lambda op, x: op.numpy(x), op_names=(tf.PadOp.name,), doc=tf.PadOp.__doc__ or ""),
        OpEntry("einsum", (Param("equation", STRING), Param("operands", VARIADIC)), _einsum_infer,
                build=lambda xs, a, rts: tf.EinsumOp(xs, a["equation"], rts[0]),
                eager=_einsum_eager, op_names=(tf.EinsumOp.name,), unify=("operands",),
                doc=tf.EinsumOp.__doc__ or ""),
    ]

