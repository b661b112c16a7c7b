"""The `tf` ops of language version 2 written as ONNX nodes.

Most have an ONNX op of their own (`Gather`, `GatherElements`,
`ScatterElements`, `CumSum`, `Einsum`, `Conv`, `MaxPool`, `Trilu`, ...). Where
ONNX's op differs from tfir's definition, the exact composition is written
instead: `log1p`/`expm1` with the classic correction that keeps their relative
precision near 0 (ONNX has neither), `softplus` stably (ONNX's `Softplus` is
`log(exp(x) + 1)`, which overflows), `atan2` from `Atan` with its quadrants,
signed zeros and infinities, `cumprod` as a `Loop` (ONNX's `CumProd` needs
opset 26), `clip` as `Max` then `Min` (ONNX's `Clip` takes scalar bounds only).

`tf.check_index` has no ONNX counterpart. Its indices feed `Gather`,
`GatherElements` or `ScatterElements` in the same block, which ONNX Runtime
checks itself: an index outside `[-n, n)` is an error there too, never a read
out of bounds. An index that must not be negative (a `cross_entropy` label) is
moved to `n` first, so that ONNX Runtime rejects it as tfir does. An index
check none of whose uses is such an op is an `OnnxError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from xdsl.dialects.builtin import TensorType, i1, i64

from tfir.onnx.export_util import dtype_of, int_of, ints_of
from tfir.onnx.model import ELEM_OF, NUMPY_OF, OnnxError

if TYPE_CHECKING:
    from tfir.onnx.exporter import Exporter

Emit = Callable[["Exporter", Any, list[str], str], None]
V2: dict[str, Emit] = {}
_CHECKED_BY_ORT = frozenset({"tf.take", "tf.take_along_axis", "tf.scatter", "tf.scatter_add"})


def _v2(*names: str) -> Callable[[Emit], Emit]:
    def register(fn: Emit) -> Emit:
        for name in names:
            V2[name] = fn
        return fn
    return register


def _dtype(value: Any) -> str:
    return dtype_of(value.type)


def _shape(value: Any) -> list[int]:
    return list(value.type.get_shape())


def _scalar(ex: Exporter, value: float, dtype: str, hint: str = "c") -> str:
    return ex.const(np.array(value, NUMPY_OF[dtype]), hint)


_ints_attr = ints_of
_int_attr = int_of


# -- elementwise ----------------------------------------------------------------------

_SAME = {"tf.tan": "Tan", "tf.atan": "Atan", "tf.reciprocal": "Reciprocal"}


@_v2(*_SAME)
def _same(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    ex.node(_SAME[op.name], args, [result])


@_v2("tf.square")
def _square(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    ex.node("Mul", [args[0], args[0]], [result])


def log1p(ex: Exporter, x: str, dtype: str, out: str | None = None) -> str:
    """log(1 + x) to full relative precision: `log(u) * x / (u - 1)` with `u = 1 + x`
    (Goldberg), `x` itself where `u` rounds to 1, `u` where it is +inf."""
    one = _scalar(ex, 1.0, dtype, "one")
    u = ex.node("Add", [one, x])
    um1 = ex.node("Sub", [u, one])
    scaled = ex.node("Mul", [ex.node("Log", [u]), ex.node("Div", [x, um1])])
    at_inf = ex.node("Where", [ex.node("IsInf", [u], detect_negative=0), u, scaled])
    return ex.node("Where", [ex.node("Equal", [u, one]), x, at_inf], [out] if out else None)


def expm1(ex: Exporter, x: str, dtype: str, out: str | None = None) -> str:
    """exp(x) - 1 to full relative precision (Kahan): `(u - 1) * x / log(u)` with
    `u = exp(x)`, `x` where `u` is 1, -1 where `u - 1` is, `u` where it is +inf."""
    one = _scalar(ex, 1.0, dtype, "one")
    u = ex.node("Exp", [x])
    um1 = ex.node("Sub", [u, one])
    scaled = ex.node("Div", [ex.node("Mul", [um1, x]), ex.node("Log", [u])])
    minus_one = ex.node("Where", [ex.node("Equal", [um1, _scalar(ex, -1.0, dtype, "minus_one")]), um1, scaled])
    at_inf = ex.node("Where", [ex.node("IsInf", [u], detect_negative=0), u, minus_one])
    return ex.node("Where", [ex.node("Equal", [u, one]), x, at_inf], [out] if out else None)


@_v2("tf.log1p")
def _log1p(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    log1p(ex, args[0], _dtype(op.results[0]), result)


@_v2("tf.expm1")
def _expm1(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    expm1(ex, args[0], _dtype(op.results[0]), result)


@_v2("tf.softplus")
def _softplus(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    x, dtype = args[0], _dtype(op.results[0])  # max(x, 0) + log1p(exp(-|x|)), as tfir defines it
    tail = log1p(ex, ex.node("Exp", [ex.node("Neg", [ex.node("Abs", [x])])]), dtype)
    ex.node("Add", [ex.node("Max", [x, _scalar(ex, 0.0, dtype, "zero")]), tail], [result])


@_v2("tf.isnan", "tf.isinf")
def _isnan_isinf(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    if _dtype(op.operands[0]) in ("i32", "i64"):  # never: false of the operand's shape
        ex.node("Not", [ex.node("Equal", [args[0], args[0]])], [result])
    else:
        ex.node("IsNaN" if op.name == "tf.isnan" else "IsInf", args, [result])


@_v2("tf.clip")
def _clip(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    x, lo, hi = args  # minimum(maximum(x, lo), hi): bounds broadcast, hi wins where lo > hi
    ex.node("Min", [ex.node("Max", [x, lo]), hi], [result])


@_v2("tf.leaky_relu")
def _leaky_relu(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    ex.node("LeakyRelu", args, [result], alpha=float(op.alpha.value.data))


@_v2("tf.elu")
def _elu(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    x, dtype = args[0], _dtype(op.results[0])  # x where x > 0, alpha * expm1(x) elsewhere
    alpha = _scalar(ex, float(op.alpha.value.data), dtype, "alpha")
    negative = ex.node("Mul", [alpha, expm1(ex, x, dtype)])
    ex.node("Where", [ex.node("Greater", [x, _scalar(ex, 0.0, dtype, "zero")]), x, negative], [result])


def _negative(ex: Exporter, x: str, zero: str) -> str:
    """x < 0, -0.0 included (its reciprocal is -inf)."""
    return ex.node("Or", [ex.node("Less", [x, zero]), ex.node("Less", [ex.node("Reciprocal", [x]), zero])])


@_v2("tf.atan2")
def _atan2(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    """atan2(a, b) as NumPy: atan(a / b) moved by +-pi where b is negative (or -0),
    and the cases where a / b is NaN: both zeros (+-0 or +-pi by their signs) and
    both infinite (+-pi/4 or +-3pi/4)."""
    a, b = args
    dtype = _dtype(op.results[0])
    zero = _scalar(ex, 0.0, dtype, "zero")
    pi = ex.node("Where", [_negative(ex, a, zero), _scalar(ex, -math.pi, dtype, "minus_pi"),
                           _scalar(ex, math.pi, dtype, "pi")])
    b_negative = _negative(ex, b, zero)
    base = ex.node("Atan", [ex.node("Div", [a, b])])
    turned = ex.node("Where", [b_negative, ex.node("Add", [base, pi]), base])
    zeros = ex.node("And", [ex.node("Equal", [a, zero]), ex.node("Equal", [b, zero])])
    at_zeros = ex.node("Where", [zeros, ex.node("Where", [b_negative, pi, a]), turned])
    infinite = ex.node("And", [ex.node("IsInf", [a]), ex.node("IsInf", [b])])
    corner = ex.node("Mul", [pi, ex.node("Where", [b_negative, _scalar(ex, 0.75, dtype, "three_quarters"),
                                                   _scalar(ex, 0.25, dtype, "quarter")])])
    ex.node("Where", [infinite, corner, at_zeros], [result])


# -- scans and arrays -----------------------------------------------------------------


@_v2("tf.cumsum")
def _cumsum(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    ex.node("CumSum", [args[0], ex.const(np.array(_int_attr(op, "axis"), np.int64), "axis")], [result])


@_v2("tf.cumprod")
def _cumprod(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    """A `Loop` over the axis carrying the running product (ONNX's CumProd is opset 26):
    the products are taken in NumPy's order, so the values are the same."""
    x, axis, shape = args[0], _int_attr(op, "axis"), _shape(op.operands[0])
    elem = op.results[0].type.get_element_type()
    row_type = TensorType(elem, shape[:axis] + shape[axis + 1:])
    moved = x if axis == 0 else ex.node("Transpose", [x], perm=[axis, *range(axis), *range(axis + 1, len(shape))])
    iteration, cond, running = ex.fresh("iteration"), ex.fresh("cond"), ex.fresh("running_product")

    def emit() -> list[Any]:
        row = ex.node("Gather", [moved, iteration], axis=0)
        product = ex.node("Mul", [running, row])
        return [(ex.node("Identity", [cond]), TensorType(i1, [])), (product, row_type),
                (ex.node("Identity", [product]), row_type)]

    body = ex.subgraph(ex.fresh("cumprod_body"), [(iteration, TensorType(i64, [])),
                                                  (cond, TensorType(i1, [])), (running, row_type)], emit)
    ones = ex.const(np.ones(row_type.get_shape(), NUMPY_OF[_dtype(op.results[0])]), "ones")
    stacked = ex.fresh("stacked")
    ex.node("Loop", [ex.const(np.array(shape[axis], np.int64), "trip_count"), "", ones],
            [ex.fresh("last_product"), stacked if axis else result], body=body)
    if axis:
        ex.node("Transpose", [stacked], [result], perm=[*range(1, axis + 1), 0, *range(axis + 1, len(shape))])


@_v2("tf.tril", "tf.triu")
def _trilu(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    k = ex.const(np.array(_int_attr(op, "k"), np.int64), "k")
    ex.node("Trilu", [args[0], k], [result], upper=int(op.name == "tf.triu"))


@_v2("tf.flip")
def _flip(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    axes = _ints_attr(op, "axes")
    count = len(axes)
    starts = ex.const(np.full(count, -1, np.int64), "starts")
    ends = ex.const(np.full(count, -(2**63), np.int64), "ends")  # past the first entry, going back
    steps = ex.const(np.full(count, -1, np.int64), "steps")
    ex.node("Slice", [args[0], starts, ends, ex.const(np.array(axes, np.int64), "axes"), steps], [result])


@_v2("tf.tile")
def _tile(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    reps, shape = _ints_attr(op, "reps"), _shape(op.operands[0])
    x = args[0]
    if len(reps) > len(shape):  # NumPy pads the shape with leading 1s
        shape = [1] * (len(reps) - len(shape)) + shape
        x = ex.node("Reshape", [x, ex.const(np.array(shape, np.int64), "shape")])
    reps = [1] * (len(shape) - len(reps)) + reps
    ex.node("Tile", [x, ex.const(np.array(reps, np.int64), "repeats")], [result])


@_v2("tf.pad")
def _pad(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    pairs = _ints_attr(op, "pads")
    before, after = pairs[0::2], pairs[1::2]
    dtype = _dtype(op.results[0])
    value = _scalar(ex, float(op.value.value.data), dtype, "pad_value")
    ex.node("Pad", [args[0], ex.const(np.array(before + after, np.int64), "pads"), value], [result], mode="constant")


@_v2("tf.einsum")
def _einsum(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    ex.node("Einsum", args, [result], equation=op.equation.data)


# -- networks -------------------------------------------------------------------------


@_v2("tf.conv")
def _conv(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    padding = _ints_attr(op, "padding")
    ex.node("Conv", args, [result], strides=_ints_attr(op, "stride"), pads=padding + padding,
            dilations=_ints_attr(op, "dilation"), group=_int_attr(op, "groups"),
            kernel_shape=_shape(op.operands[1])[2:])


@_v2("tf.max_pool2d", "tf.avg_pool2d")
def _pool(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    kernel, stride, padding = _ints_attr(op, "kernel"), _ints_attr(op, "stride"), _ints_attr(op, "padding")
    dtype = _dtype(op.results[0])
    attrs: dict[str, Any] = {"kernel_shape": kernel, "strides": stride, "pads": padding + padding}
    kind = "MaxPool" if op.name == "tf.max_pool2d" else "AveragePool"
    if kind == "AveragePool":
        attrs["count_include_pad"] = 1
    x, rank = args[0], len(_shape(op.operands[0]))
    if rank == 3:  # ONNX pools [N, C, H, W]: a rank-3 input is one image
        x = ex.node("Unsqueeze", [x, ex.const(np.array([0], np.int64), "axes")])
    if dtype in ("i32", "i64"):  # ONNX Runtime max-pools floats only: integers up to 2^53 are exact in f64
        pooled = ex.node(kind, [ex.node("Cast", [x], to=ELEM_OF["f64"])], **attrs)
        pooled = ex.node("Cast", [pooled], to=ELEM_OF[dtype])
    else:
        pooled = ex.node(kind, [x], **attrs)
    if rank == 3:
        ex.node("Squeeze", [pooled, ex.const(np.array([0], np.int64), "axes")], [result])
    else:
        ex.node("Identity", [pooled], [result])


# -- indexing -------------------------------------------------------------------------


@_v2("tf.take")
def _take(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    ex.node("Gather", args, [result], axis=_int_attr(op, "axis"))


@_v2("tf.take_along_axis")
def _take_along_axis(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    """GatherElements, after broadcasting both operands off the axis as take_along_axis does."""
    x, idx = args
    axis = _int_attr(op, "axis")
    out = _shape(op.results[0])
    if _shape(op.operands[1]) != out:
        idx = ex.node("Expand", [idx, ex.const(np.array(out, np.int64), "shape")])
    data_shape = list(out)
    data_shape[axis] = _shape(op.operands[0])[axis]
    if _shape(op.operands[0]) != data_shape:
        x = ex.node("Expand", [x, ex.const(np.array(data_shape, np.int64), "shape")])
    ex.node("GatherElements", [x, idx], [result], axis=axis)


@_v2("tf.scatter", "tf.scatter_add")
def _scatter(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    """ScatterElements: tfir's indices pick whole slices along the axis; ONNX's pick
    elements, so they are broadcast to the updates' shape (several index dims flattened
    into one first)."""
    x, idx, upd = args
    axis = _int_attr(op, "axis")
    shape, ishape = _shape(op.operands[0]), _shape(op.operands[1])
    count = int(np.prod(ishape)) if ishape else 1
    full = shape[:axis] + [count] + shape[axis + 1:]
    upd = ex.node("Expand", [upd, ex.const(np.array(shape[:axis] + ishape + shape[axis + 1:], np.int64),
                                                   "shape")])
    if len(ishape) != 1:
        upd = ex.node("Reshape", [upd, ex.const(np.array(full, np.int64), "shape")])
    column = [1] * len(shape)
    column[axis] = count
    idx = ex.node("Reshape", [idx, ex.const(np.array(column, np.int64), "shape")])
    idx = ex.node("Expand", [idx, ex.const(np.array(full, np.int64), "shape")])
    reduction = "add" if op.name == "tf.scatter_add" else "none"
    ex.node("ScatterElements", [x, idx, upd], [result], axis=axis, reduction=reduction)


# Ops that pass every index value through (the same values, maybe reshaped or widened).
_VALUE_PRESERVING = frozenset({"tf.reshape", "tf.broadcast_to", "tf.transpose", "tf.cast", "tf.check_index"})


def _checked_by_ort(value: Any, block: Any) -> bool:
    """Whether all the values of `value` are, maybe through reshapes, the indices of an
    op of the same block (so it runs whenever the check does) whose ONNX counterpart
    checks its indices. Other uses (a gradient's index arithmetic) may exist beside it."""
    for use in value.uses:
        user = use.operation
        if user.parent_block() is not block:
            continue
        if user.name in _CHECKED_BY_ORT and use.index == 1:
            return True
        if user.name in _VALUE_PRESERVING and _dtype(user.results[0]) in ("i32", "i64") and _checked_by_ort(
                user.results[0], block):
            return True
    return False


@_v2("tf.check_index")
def _check_index(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    if not _checked_by_ort(op.results[0], op.parent_block()):
        users = ", ".join(sorted({use.operation.name for use in op.results[0].uses}))
        raise OnnxError(f"{ex.where(op)}an index check whose indices feed {users} cannot be expressed in "
                        f"ONNX (ONNX Runtime checks the indices of Gather, GatherElements and "
                        f"ScatterElements only)")
    if bool(op.negative.value.data):
        ex.node("Identity", args, [result])
        return
    dtype = _dtype(op.results[0])  # [0, n): a negative index becomes n, which ONNX Runtime rejects
    size = _scalar(ex, _int_attr(op, "size"), dtype, "size")
    ex.node("Where", [ex.node("Less", [args[0], _scalar(ex, 0, dtype, "zero")]), size, args[0]], [result])


@_v2("tf.random_uniform", "tf.random_normal")
def _random(ex: Exporter, op: Any, args: list[str], result: str) -> None:
    raise OnnxError(f"{ex.where(op)}op '{op.name}' cannot be expressed in ONNX: ONNX's random ops use "
                    f"another generator (tfir's Philox numbers would differ); a constant seed whose numbers "
                    f"tfir folds at compile time exports")
