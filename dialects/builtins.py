"""The builtin primitives of `.tf`, registered as entries of the op registry.

Each entry: parameters, shape/dtype rule, IR builder and eager NumPy
implementation (`eager(op, *arrays)`). Composites (softmax, layernorm, ...)
are not here: they are `.tf` functions in the frontend's prelude.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, IntegerType, TensorType
from xdsl.ir import SSAValue

from tfir.dialects import gradients as _gradients  # noqa: F401  (registers `gradients`)
from tfir.dialects import tf
from tfir.dialects.builtins_arrays import array_entries
from tfir.dialects.builtins_math import math_entries
from tfir.dialects.builtins_nn import nn_entries
from tfir.dialects.dtypes import (
    ALL_DTYPES,
    BOOL_DTYPES,
    FLOAT_DTYPES,
    INT_DTYPES,
    numpy_dtype_of,
    to_numpy,
)
from tfir.dialects.registry import (
    AXES,
    BOOL,
    DTYPE,
    INT,
    INTS,
    NUMBER,
    REGISTRY,
    SHAPE,
    TENSOR,
    TENSORS,
    CallInfo,
    OpEntry,
    Param,
    TType,
)
from tfir.dialects.shape_rules import (
    NUMERIC,
    arg_reduced_shape,
    broadcast,
    broadcast_to,
    check_dtype,
    check_nonempty_axes,
    concat_result,
    matmul_result,
    norm_axes,
    norm_axis,
    numel,
    permuted,
    reduced_shape,
    resolve_shape,
    same_dtype,
)

ALL = ALL_DTYPES
BOOL_ONLY = BOOL_DTYPES


def _out_dtype(op: Any, i: int = 0) -> np.dtype:
    return numpy_dtype_of(op.results[i].type)


def _result_shape(op: Any, i: int = 0) -> tuple[int, ...]:
    return tuple(op.results[i].type.get_shape())


# -- elementwise --------------------------------------------------------------

# Words for the operand dtypes an elementwise op accepts, in the checker's errors.
_DTYPE_WORDS = {NUMERIC: "numeric", FLOAT_DTYPES: "float", INT_DTYPES: "integer", BOOL_ONLY: "bool"}


def _dtype_error(op_cls: Any, unary: bool) -> str:
    """"needs float operands (use floordiv for integers)": what `check_dtype` says of a wrong dtype."""
    if op_cls.OPERAND_DTYPES == ALL:
        return ""
    word = _DTYPE_WORDS[op_cls.OPERAND_DTYPES]
    text = f"needs a {word} operand" if unary else f"needs {word} operands"
    hint = getattr(op_cls, "DTYPE_HINT", "")
    return f"{text} ({hint})" if hint else text


def _binary_entry(op_cls: Any) -> OpEntry:
    """The entry of an elementwise binary op: a `.tf` function named like the op."""
    name, fn, allowed = op_cls.name.removeprefix("tf."), op_cls.NUMPY, op_cls.OPERAND_DTYPES
    what = _dtype_error(op_cls, unary=False)
    is_compare = issubclass(op_cls, tf.CompareOp)

    def infer(call: CallInfo) -> list[TType]:
        a, b = call.tensors
        dtype = same_dtype(call, [a, b], ["x", "y"])
        check_dtype(call, dtype, allowed, what or "")
        shape = broadcast(call, [a.shape, b.shape], ["x", "y"])
        return [TType("bool" if is_compare else dtype, shape)]

    def build(xs: Any, attrs: dict[str, Any], rts: Any) -> Any:
        if op_cls is tf.PowOp and isinstance(rts[0].get_element_type(), IntegerType) \
                and rts[0].get_element_type().width.data > 1:
            return _integer_power(xs[0], xs[1], rts[0])
        return op_cls(xs[0], xs[1], rts[0])

    return OpEntry(
        name, (Param("x", TENSOR), Param("y", TENSOR)), infer, build=build,
        eager=lambda op, a, b: fn(a, b), op_names=(op_cls.name,), unify=("x", "y"),
        elementwise=fn, doc=op_cls.__doc__ or "",
    )


def _integer_power(x: SSAValue, y: SSAValue, result: Any) -> list[Any]:
    """`x ** y` of integers behind a run-time check of `y` (NumPy raises on a
    negative exponent; the targets' integer powers would give undefined values)."""
    bits = y.type.get_element_type().width.data  # type: ignore[attr-defined]
    # The bound fits the dtype (a kernel compares in it): 2**31 - 1 itself is refused, a power that overflows anyway.
    check = tf.CheckIndexOp(y, 2 ** (bits - 1) - 1, 0, "integer power: exponent", negative=False)
    return [check, tf.PowOp(x, check.result, result)]


def _unary_entry(op_cls: Any) -> OpEntry:
    """The entry of an elementwise unary op: a `.tf` function named like the op."""
    name, fn, allowed = op_cls.name.removeprefix("tf."), op_cls.NUMPY, op_cls.OPERAND_DTYPES
    what = _dtype_error(op_cls, unary=True)

    def infer(call: CallInfo) -> list[TType]:
        (a,) = call.tensors
        check_dtype(call, a.dtype, allowed, what)
        return [a]

    return OpEntry(
        name, (Param("x", TENSOR),), infer,
        build=lambda xs, attrs, rts: op_cls(xs[0], rts[0]),
        eager=lambda op, a: fn(a), op_names=(op_cls.name,), elementwise=fn,
        doc=op_cls.__doc__ or "",
    )


def _where_infer(call: CallInfo) -> list[TType]:
    c, a, b = call.tensors
    check_dtype(call, c.dtype, BOOL_ONLY, "needs a bool condition", "cond")
    dtype = same_dtype(call, [a, b], ["x", "y"])
    return [TType(dtype, broadcast(call, [c.shape, a.shape, b.shape], ["cond", "x", "y"]))]


def _cast_infer(call: CallInfo) -> list[TType]:
    return [TType(call.attrs["dtype"], call.tensors[0].shape)]


# -- reductions ---------------------------------------------------------------

_REDUCE: dict[str, tuple[type, Callable[..., Any]]] = {
    "sum": (tf.SumOp, np.sum), "mean": (tf.MeanOp, np.mean), "max": (tf.MaxOp, np.max),
    "min": (tf.MinOp, np.min), "prod": (tf.ProdOp, np.prod),
}


def _reduce_entry(name: str, op_cls: type, fn: Callable[..., Any]) -> OpEntry:
    def infer(call: CallInfo) -> list[TType]:
        (x,) = call.tensors
        allowed = FLOAT_DTYPES if name == "mean" else NUMERIC
        check_dtype(call, x.dtype, allowed, "needs a float operand" if name == "mean" else "needs a numeric operand")
        axes = norm_axes(call, call.attrs["axis"], x.rank)
        call.attrs["axis"] = axes
        if name in ("max", "min"):
            check_nonempty_axes(call, x.shape, axes)
        return [TType(x.dtype, reduced_shape(x.shape, axes, call.attrs["keepdims"]))]

    def eager(op: Any, x: np.ndarray) -> np.ndarray:
        kwargs = {} if name in ("max", "min") else {"dtype": x.dtype}
        return fn(x, axis=op.axes_tuple, keepdims=op.keeps_dims, **kwargs)

    return OpEntry(
        name, (Param("x", TENSOR), Param("axis", AXES, None), Param("keepdims", BOOL, False)),
        infer, build=lambda xs, attrs, rts: op_cls(xs[0], attrs["axis"], attrs["keepdims"], rts[0]),
        eager=eager, op_names=(op_cls.name,), doc=op_cls.__doc__ or "",
    )


def _arg_entry(name: str, op_cls: type, fn: Callable[..., Any]) -> OpEntry:
    def infer(call: CallInfo) -> list[TType]:
        (x,) = call.tensors
        check_dtype(call, x.dtype, NUMERIC, "needs a numeric operand")
        call.attrs["axis"], shape = arg_reduced_shape(call, x.shape, call.attrs["axis"])
        return [TType("i64", shape)]

    return OpEntry(
        name, (Param("x", TENSOR), Param("axis", INT)), infer,
        build=lambda xs, attrs, rts: op_cls(xs[0], attrs["axis"], rts[0]),
        eager=lambda op, x: fn(x, axis=op.axis.value.data), op_names=(op_cls.name,),
    )


# -- shape ops ----------------------------------------------------------------


def _transpose_infer(call: CallInfo) -> list[TType]:
    (x,) = call.tensors
    call.attrs["perm"], shape = permuted(call, x.shape, call.attrs["perm"])
    return [TType(x.dtype, shape)]


def _reshape_infer(call: CallInfo) -> list[TType]:
    (x,) = call.tensors
    shape = resolve_shape(call, call.attrs["shape"], numel(x.shape))
    call.attrs["shape"] = shape
    return [TType(x.dtype, shape)]


def _broadcast_to_infer(call: CallInfo) -> list[TType]:
    (x,) = call.tensors
    return [TType(x.dtype, broadcast_to(call, x.shape, call.attrs["shape"]))]


def _expand_dims_infer(call: CallInfo) -> list[TType]:
    (x,) = call.tensors
    axis = norm_axis(call, call.attrs["axis"], x.rank + 1)
    call.attrs["axis"] = axis
    return [TType(x.dtype, x.shape[:axis] + (1,) + x.shape[axis:])]


def _squeeze_infer(call: CallInfo) -> list[TType]:
    (x,) = call.tensors
    if call.attrs["axis"] is None:
        axes = tuple(i for i, d in enumerate(x.shape) if d == 1)
    else:
        axes = norm_axes(call, call.attrs["axis"], x.rank)
    for a in axes:
        if isinstance(x.shape[a], int) and x.shape[a] != 1:
            raise call.error(f"cannot squeeze axis {a} of size {x.shape[a]}", "axis")
    return [TType(x.dtype, tuple(d for i, d in enumerate(x.shape) if i not in axes))]


def _concat_shape(call: CallInfo, stack: bool) -> list[TType]:
    call.attrs["axis"], out = concat_result(call, call.tensors, call.attrs["axis"], stack)
    return [out]


def _concat_build(xs: Any, attrs: dict[str, Any], rts: Any) -> Any:
    return tf.ConcatOp(xs, attrs["axis"], rts[0])


def _stack_build(xs: Any, attrs: dict[str, Any], rts: Any) -> list[Any]:
    """`stack` is `concat` of the operands with a new unit axis."""
    axis = attrs["axis"]
    ops: list[Any] = []
    for x in xs:
        shape = list(x.type.get_shape())
        shape.insert(axis, 1)
        ops.append(tf.ReshapeOp(x, TensorType(x.type.get_element_type(), shape)))
    return [*ops, tf.ConcatOp([op.result for op in ops], axis, rts[0])]


def _slice_eager(op: Any, x: np.ndarray) -> np.ndarray:
    index = []
    for s, k, n in zip(op.start.get_values(), op.stride.get_values(), _result_shape(op), strict=True):
        stop = s + n * k
        index.append(slice(s, None if stop < 0 else stop, k))
    return x[tuple(index)]


# -- constants ----------------------------------------------------------------


def _const_infer(value_of: Callable[[CallInfo], Any]) -> Callable[[CallInfo], list[TType]]:
    def infer(call: CallInfo) -> list[TType]:
        shape = resolve_shape(call, call.attrs["shape"], None)
        if -1 in call.attrs["shape"]:
            raise call.error("-1 is not allowed in the shape of a constant", "shape")
        dtype = call.attrs.get("dtype") or ("f32" if isinstance(value_of(call), float) else "i32")
        call.attrs["dtype"] = dtype
        if dtype != "bool" and isinstance(value_of(call), float) and dtype in INT_DTYPES:
            raise call.error(f"float value {value_of(call)} for an {dtype} tensor", "value")
        return [TType(dtype, shape)]
    return infer


SPLAT_MAX_ELEMENTS = 1 << 16
"""A constant tensor of more elements is a rank-0 constant broadcast to its shape:
xDSL's dense attributes hold every element (`zeros([100000, 100000])` would be 40 GB)."""


def splat(value: Any, result_type: TensorType) -> tf.ConstantOp | list[Any]:
    data = np.asarray(value, dtype=numpy_dtype_of(result_type)).reshape(-1)
    shape = tuple(result_type.get_shape())
    if shape and int(np.prod(shape, dtype=np.float64)) > SPLAT_MAX_ELEMENTS:
        scalar = tf.ConstantOp(DenseIntOrFPElementsAttr.from_list(
            TensorType(result_type.get_element_type(), []), data.tolist()))
        return [scalar, tf.BroadcastToOp(scalar.result, result_type)]
    return tf.ConstantOp(DenseIntOrFPElementsAttr.from_list(result_type, data.tolist()))


def constant_value(op: tf.ConstantOp) -> np.ndarray:
    dtype = numpy_dtype_of(op.result.type)
    shape = tuple(op.result.type.get_shape())
    values = np.asarray(op.value.get_values(), dtype=dtype)
    return values.reshape(shape) if values.size == int(np.prod(shape)) else np.broadcast_to(values.reshape(-1)[0], shape)


def _arange_infer(call: CallInfo) -> list[TType]:
    n = call.attrs["n"]
    if isinstance(n, int) and n < 0:
        raise call.error(f"arange needs a size >= 0, got {n}", "n")
    return [TType(call.attrs["dtype"], (n,))]


def _entries() -> list[OpEntry]:
    out = [_binary_entry(op) for op in tf.ELEMENTWISE_BINARY]
    out += [_unary_entry(op) for op in tf.ELEMENTWISE_UNARY]
    out += [_reduce_entry(n, *v) for n, v in _REDUCE.items()]
    out += [_arg_entry("argmax", tf.ArgmaxOp, np.argmax), _arg_entry("argmin", tf.ArgminOp, np.argmin)]
    x = Param("x", TENSOR)
    out += [
        OpEntry("where", (Param("cond", TENSOR), Param("x", TENSOR), Param("y", TENSOR)), _where_infer,
                build=lambda xs, a, rts: tf.SelectOp(xs[0], xs[1], xs[2], rts[0]),
                eager=lambda op, c, a, b: np.where(c, a, b), op_names=(tf.SelectOp.name,),
                unify=("x", "y"), elementwise=np.where),
        OpEntry("cast", (x, Param("dtype", DTYPE)), _cast_infer,
                build=lambda xs, a, rts: tf.CastOp(xs[0], rts[0]),
                eager=lambda op, v: v.astype(_out_dtype(op)), op_names=(tf.CastOp.name,)),
        OpEntry("matmul", (Param("x", TENSOR), Param("y", TENSOR)),
                lambda call: [TType(same_dtype(call, call.tensors, ["x", "y"]),
                                    matmul_result(call, *call.tensors))],
                build=lambda xs, a, rts: tf.MatmulOp(xs[0], xs[1], rts[0]),
                eager=lambda op, a, b: np.matmul(a, b), op_names=(tf.MatmulOp.name,), unify=("x", "y")),
        OpEntry("transpose", (x, Param("perm", INTS, None)), _transpose_infer,
                build=lambda xs, a, rts: tf.TransposeOp(xs[0], a["perm"], rts[0]),
                eager=lambda op, v: np.transpose(v, op.perm_tuple), op_names=(tf.TransposeOp.name,)),
        OpEntry("reshape", (x, Param("shape", SHAPE)), _reshape_infer,
                build=lambda xs, a, rts: tf.ReshapeOp(xs[0], rts[0]),
                eager=lambda op, v: v.reshape(_result_shape(op)), op_names=(tf.ReshapeOp.name,)),
        OpEntry("broadcast_to", (x, Param("shape", SHAPE)), _broadcast_to_infer,
                build=lambda xs, a, rts: tf.BroadcastToOp(xs[0], rts[0]),
                eager=lambda op, v: np.broadcast_to(v, _result_shape(op)),
                op_names=(tf.BroadcastToOp.name,)),
        OpEntry("expand_dims", (x, Param("axis", INT)), _expand_dims_infer,
                build=lambda xs, a, rts: tf.ReshapeOp(xs[0], rts[0]), eager=lambda op, v: v),
        OpEntry("squeeze", (x, Param("axis", AXES, None)), _squeeze_infer,
                build=lambda xs, a, rts: tf.ReshapeOp(xs[0], rts[0]), eager=lambda op, v: v),
        OpEntry("concat", (Param("tensors", TENSORS), Param("axis", INT, 0)),
                lambda call: _concat_shape(call, False), build=_concat_build,
                eager=lambda op, *vs: np.concatenate(vs, axis=op.axis.value.data),
                op_names=(tf.ConcatOp.name,), unify=("tensors",)),
        OpEntry("stack", (Param("tensors", TENSORS), Param("axis", INT, 0)),
                lambda call: _concat_shape(call, True), build=_stack_build,
                eager=lambda op, *vs: np.concatenate(vs, axis=op.axis.value.data), unify=("tensors",)),
        OpEntry("zeros", (Param("shape", SHAPE), Param("dtype", DTYPE, "f32")),
                _const_infer(lambda c: 0), build=lambda xs, a, rts: splat(0, rts[0]),
                eager=lambda op: constant_value(op), op_names=(tf.ConstantOp.name,)),
        OpEntry("ones", (Param("shape", SHAPE), Param("dtype", DTYPE, "f32")),
                _const_infer(lambda c: 1), build=lambda xs, a, rts: splat(1, rts[0]),
                eager=lambda op: constant_value(op)),
        OpEntry("full", (Param("shape", SHAPE), Param("value", NUMBER), Param("dtype", DTYPE, None)),
                _const_infer(lambda c: c.attrs["value"]), build=lambda xs, a, rts: splat(a["value"], rts[0]),
                eager=lambda op: constant_value(op)),
        OpEntry("arange", (Param("n", INT), Param("dtype", DTYPE, "i32")), _arange_infer,
                build=lambda xs, a, rts: tf.IotaOp(rts[0]),
                eager=lambda op: np.arange(_result_shape(op)[0], dtype=_out_dtype(op)),
                op_names=(tf.IotaOp.name,)),
        OpEntry("slice", (x,), lambda call: [call.tensors[0]],  # built by indexing syntax only
                build=lambda xs, a, rts: tf.SliceOp(xs[0], a["start"], a["stride"], rts[0]),
                eager=_slice_eager, op_names=(tf.SliceOp.name,)),
    ]
    return out


# Language version 2's builtins, by family (their own modules).
for _entry in [*_entries(), *math_entries(), *array_entries(), *nn_entries()]:
    REGISTRY.register(_entry)

# (v2) gathers, scatters, one_hot and the label check of cross_entropy: their own module.
from tfir.dialects.indexing_builtins import INTERNAL_INDEXING  # noqa: E402  (registers after the above)

INTERNAL = frozenset({"slice"}) | INTERNAL_INDEXING  # not callable from `.tf` (the prelude excepted)

__all__ = ["INTERNAL", "constant_value", "splat", "to_numpy"]
