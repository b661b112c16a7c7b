"""Registry entries of the elementwise and statistical builtins of language
version 2: `log1p expm1 tan atan square reciprocal softplus isnan isinf`,
`atan2`, `clip`, `leaky_relu`, `elu`, `any` / `all`, `var` / `std`.

Registered by `builtins.py` with the other builtin primitives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfir.dialects import tf
from tfir.dialects.dtypes import BOOL_DTYPES, FLOAT_DTYPES, NUMERIC_DTYPES
from tfir.dialects.registry import AXES, BOOL, FLOAT, INT, TENSOR, CallInfo, OpEntry, Param, TType
from tfir.dialects.shape_rules import broadcast, check_dtype, norm_axes, reduced_shape, same_dtype

_WORDS = {FLOAT_DTYPES: "float", NUMERIC_DTYPES: "numeric", BOOL_DTYPES: "bool"}


def _needs(op_cls: Any, unary: bool = True) -> str:
    word = _WORDS[op_cls.OPERAND_DTYPES]
    return f"needs a {word} operand" if unary else f"needs {word} operands"


def _unary(op_cls: Any) -> OpEntry:
    """`name(x)`: the result has the operand's type."""
    def infer(call: CallInfo) -> list[TType]:
        (x,) = call.tensors
        check_dtype(call, x.dtype, op_cls.OPERAND_DTYPES, _needs(op_cls), "x")
        return [x]

    return OpEntry(op_cls.name.removeprefix("tf."), (Param("x", TENSOR),), infer,
                   build=lambda xs, a, rts: op_cls(xs[0], rts[0]),
                   eager=lambda op, x: op_cls.NUMPY(x), op_names=(op_cls.name,),
                   elementwise=op_cls.NUMPY, doc=op_cls.__doc__ or "")


def _predicate(op_cls: Any) -> OpEntry:
    """`isnan(x)` / `isinf(x)`: a bool tensor of the operand's shape."""
    def infer(call: CallInfo) -> list[TType]:
        (x,) = call.tensors
        check_dtype(call, x.dtype, NUMERIC_DTYPES, "needs a numeric operand", "x")
        return [TType("bool", x.shape)]

    return OpEntry(op_cls.name.removeprefix("tf."), (Param("x", TENSOR),), infer,
                   build=lambda xs, a, rts: op_cls(xs[0], rts[0]),
                   eager=lambda op, x: op_cls.NUMPY(x), op_names=(op_cls.name,),
                   elementwise=op_cls.NUMPY, doc=op_cls.__doc__ or "")


def _atan2_infer(call: CallInfo) -> list[TType]:
    a, b = call.tensors
    dtype = same_dtype(call, [a, b], ["y", "x"])
    check_dtype(call, dtype, FLOAT_DTYPES, "needs float operands")
    return [TType(dtype, broadcast(call, [a.shape, b.shape], ["y", "x"]))]


def _clip_infer(call: CallInfo) -> list[TType]:
    x, lo, hi = call.tensors
    dtype = same_dtype(call, [x, lo, hi], ["x", "lo", "hi"])
    check_dtype(call, dtype, NUMERIC_DTYPES, "needs numeric operands", "x")
    return [TType(dtype, broadcast(call, [x.shape, lo.shape, hi.shape], ["x", "lo", "hi"]))]


def _activation(op_cls: Any, default: float) -> OpEntry:
    """`leaky_relu(x, alpha=...)` / `elu(x, alpha=...)`."""
    def infer(call: CallInfo) -> list[TType]:
        (x,) = call.tensors
        check_dtype(call, x.dtype, FLOAT_DTYPES, "needs a float operand", "x")
        return [x]

    return OpEntry(op_cls.name.removeprefix("tf."), (Param("x", TENSOR), Param("alpha", FLOAT, default)),
                   infer, build=lambda xs, a, rts: op_cls(xs[0], a["alpha"], rts[0]),
                   eager=lambda op, x: op_cls.numpy(x, op.alpha_value), op_names=(op_cls.name,),
                   doc=op_cls.__doc__ or "")


def _reduction_params(*extra: Param) -> tuple[Param, ...]:
    return (Param("x", TENSOR), Param("axis", AXES, None), Param("keepdims", BOOL, False), *extra)


def _bool_reduction(op_cls: Any, fn: Any) -> OpEntry:
    """`any` / `all (x, axis=..., keepdims=false)` of a bool tensor."""
    def infer(call: CallInfo) -> list[TType]:
        (x,) = call.tensors
        check_dtype(call, x.dtype, BOOL_DTYPES, "needs a bool operand (compare first, e.g. x > 0)", "x")
        call.attrs["axis"] = norm_axes(call, call.attrs["axis"], x.rank)
        return [TType("bool", reduced_shape(x.shape, call.attrs["axis"], call.attrs["keepdims"]))]

    return OpEntry(op_cls.name.removeprefix("tf."), _reduction_params(), infer,
                   build=lambda xs, a, rts: op_cls(xs[0], a["axis"], a["keepdims"], rts[0]),
                   eager=lambda op, x: fn(x, axis=op.axes_tuple, keepdims=op.keeps_dims),
                   op_names=(op_cls.name,), doc=op_cls.__doc__ or "")


def _moment(op_cls: Any, fn: Any) -> OpEntry:
    """`var` / `std (x, axis=..., keepdims=false, ddof=0)` of a float tensor."""
    def infer(call: CallInfo) -> list[TType]:
        (x,) = call.tensors
        check_dtype(call, x.dtype, FLOAT_DTYPES, "needs a float operand", "x")
        call.attrs["axis"] = norm_axes(call, call.attrs["axis"], x.rank)
        if call.attrs["ddof"] < 0:
            raise call.error(f"ddof must be >= 0, got {call.attrs['ddof']}", "ddof")
        return [TType(x.dtype, reduced_shape(x.shape, call.attrs["axis"], call.attrs["keepdims"]))]

    def eager(op: Any, x: np.ndarray) -> np.ndarray:
        return fn(x, axis=op.axes_tuple, keepdims=op.keeps_dims, ddof=op.ddof_value, dtype=x.dtype)

    return OpEntry(op_cls.name.removeprefix("tf."), _reduction_params(Param("ddof", INT, 0)), infer,
                   build=lambda xs, a, rts: op_cls(xs[0], a["axis"], a["keepdims"], a["ddof"], rts[0]),
                   eager=eager, op_names=(op_cls.name,), doc=op_cls.__doc__ or "")


def math_entries() -> list[OpEntry]:
    out = [_unary(op) for op in tf.ELEMENTWISE_UNARY_V2]
    out += [_predicate(op) for op in tf.PREDICATES]
    out += [
        OpEntry("atan2", (Param("y", TENSOR), Param("x", TENSOR)), _atan2_infer,
                build=lambda xs, a, rts: tf.Atan2Op(xs[0], xs[1], rts[0]),
                eager=lambda op, y, x: np.arctan2(y, x), op_names=(tf.Atan2Op.name,),
                unify=("y", "x"), elementwise=np.arctan2, doc=tf.Atan2Op.__doc__ or ""),
        OpEntry("clip", (Param("x", TENSOR), Param("lo", TENSOR), Param("hi", TENSOR)), _clip_infer,
                build=lambda xs, a, rts: tf.ClipOp(xs[0], xs[1], xs[2], rts[0]),
                eager=lambda op, x, lo, hi: tf.ClipOp.NUMPY(x, lo, hi), op_names=(tf.ClipOp.name,),
                unify=("x", "lo", "hi"), elementwise=tf.ClipOp.NUMPY, doc=tf.ClipOp.__doc__ or ""),
        _activation(tf.LeakyReluOp, 0.01),
        _activation(tf.EluOp, 1.0),
        _bool_reduction(tf.AnyOp, np.any),
        _bool_reduction(tf.AllOp, np.all),
        _moment(tf.VarOp, np.var),
        _moment(tf.StdOp, np.std),
    ]
    return out
