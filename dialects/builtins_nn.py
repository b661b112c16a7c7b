"""Registry entries of the network builtins of language version 2: `conv1d`,
`conv2d`, `max_pool2d`, `avg_pool2d`, and the random numbers
`random_uniform` / `random_normal`.

Registered by `builtins.py` with the other builtin primitives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tfir.dialects import tf
from tfir.dialects.dtypes import FLOAT_DTYPES, INT_DTYPES, NUMERIC_DTYPES
from tfir.dialects.registry import (
    DTYPE,
    INT,
    INTS,
    SHAPE,
    TENSOR,
    CallInfo,
    Dim,
    OpEntry,
    Param,
    TType,
)
from tfir.dialects.shape_rules import check_dtype, resolve_shape, same_dtype
from tfir.dialects.tf.nn import out_size


def per_axis(call: CallInfo, name: str, value: Any, n: int, least: int) -> list[int]:
    """An int or a list of ints given for each of `n` spatial axes, each >= `least`."""
    values = [value] * n if isinstance(value, int) else list(value)
    if len(values) == 1:
        values *= n
    if len(values) != n:
        raise call.error(f"'{name}' needs an int or a list of {n} ints (one per spatial axis), got {value}",
                         name)
    if any(not isinstance(v, int) or v < least for v in values):
        raise call.error(f"'{name}' needs values >= {least}, got {value}", name)
    return values


def _window_out(call: CallInfo, size: Dim, kernel: Dim, stride: int, pad: int, dilation: int,
                at: str) -> Dim:
    if not (isinstance(size, int) and isinstance(kernel, int)):
        return None
    span = dilation * (kernel - 1) + 1
    if size + 2 * pad < span:
        raise call.error(f"the window ({span} wide with dilation) is larger than the padded input "
                         f"({size} + 2 * {pad})", at)
    return out_size(size, kernel, stride, pad, dilation)


# -- convolution --------------------------------------------------------------------


def _conv_infer(n: int) -> Any:
    def infer(call: CallInfo) -> list[TType]:
        x, w = call.tensors
        dtype = same_dtype(call, [x, w], ["x", "w"])
        check_dtype(call, dtype, FLOAT_DTYPES, "needs float operands", "x")
        layout = "[N, C, L]" if n == 1 else "[N, C, H, W]"
        if x.rank != n + 2:
            raise call.error(f"'{call.name}' needs an input {layout} of rank {n + 2}, got {x}", "x")
        if w.rank != n + 2:
            raise call.error(f"'{call.name}' needs a weight [O, C / groups, {'K' if n == 1 else 'KH, KW'}] "
                             f"of rank {n + 2}, got {w}", "w")
        groups = call.attrs["groups"]
        if groups < 1:
            raise call.error(f"groups must be >= 1, got {groups}", "groups")
        stride = per_axis(call, "stride", call.attrs["stride"], n, 1)
        padding = per_axis(call, "padding", call.attrs["padding"], n, 0)
        dilation = per_axis(call, "dilation", call.attrs["dilation"], n, 1)
        c, o, cg = x.shape[1], w.shape[0], w.shape[1]
        if isinstance(c, int) and c % groups:
            raise call.error(f"groups={groups} does not divide the {c} input channels of {x}", "groups")
        if isinstance(o, int) and o % groups:
            raise call.error(f"groups={groups} does not divide the {o} output channels of the weight {w}",
                             "groups")
        if isinstance(c, int) and isinstance(cg, int) and cg * groups != c:
            raise call.error(f"the weight {w} has {cg} channels per group, the input {x} has "
                             f"{c} // {groups} = {c // groups}", "w")
        call.attrs.update(stride=stride, padding=padding, dilation=dilation)
        outs = [_window_out(call, x.shape[2 + i], w.shape[2 + i], stride[i], padding[i], dilation[i], "w")
                for i in range(n)]
        return [TType(dtype, (x.shape[0], o, *outs))]
    return infer


def _conv_entry(n: int) -> OpEntry:
    params = (Param("x", TENSOR), Param("w", TENSOR), Param("stride", INTS, 1), Param("padding", INTS, 0),
              Param("dilation", INTS, 1), Param("groups", INT, 1))
    return OpEntry(f"conv{n}d", params, _conv_infer(n),
                   build=lambda xs, a, rts: tf.ConvOp(xs[0], xs[1], a["stride"], a["padding"],
                                                      a["dilation"], a["groups"], rts[0]),
                   eager=lambda op, x, w: op.numpy(x, w), op_names=(tf.ConvOp.name,), unify=("x", "w"),
                   doc=tf.ConvOp.__doc__ or "")


# -- pooling ------------------------------------------------------------------------


def _pool_infer(kind: str) -> Any:
    def infer(call: CallInfo) -> list[TType]:
        (x,) = call.tensors
        allowed = NUMERIC_DTYPES if kind == "max" else FLOAT_DTYPES
        check_dtype(call, x.dtype, allowed, f"needs a {'numeric' if kind == 'max' else 'float'} operand", "x")
        if x.rank not in (3, 4):
            raise call.error(f"'{call.name}' needs an input [N, C, H, W] or [C, H, W], got {x}", "x")
        kernel = per_axis(call, "kernel", call.attrs["kernel"], 2, 1)
        given = call.attrs["stride"]
        stride = kernel if given is None else per_axis(call, "stride", given, 2, 1)
        padding = per_axis(call, "padding", call.attrs["padding"], 2, 0)
        for k, p in zip(kernel, padding, strict=True):
            if p > k // 2:
                raise call.error(f"padding {p} is more than half the kernel size {k} (as PyTorch requires)",
                                 "padding")
        call.attrs.update(kernel=kernel, stride=stride, padding=padding)
        outs = [_window_out(call, x.shape[-2 + i], kernel[i], stride[i], padding[i], 1, "kernel")
                for i in range(2)]
        return [TType(x.dtype, (*x.shape[:-2], *outs))]
    return infer


def _pool_entry(op_cls: Any) -> OpEntry:
    params = (Param("x", TENSOR), Param("kernel", INTS), Param("stride", INTS, None), Param("padding", INTS, 0))
    return OpEntry(op_cls.name.removeprefix("tf."), params, _pool_infer(op_cls.KIND),
                   build=lambda xs, a, rts: op_cls(xs[0], a["kernel"], a["stride"], a["padding"], rts[0]),
                   eager=lambda op, x: op.numpy(x), op_names=(op_cls.name,), doc=op_cls.__doc__ or "")


# -- random numbers -------------------------------------------------------------------


def _random_infer(call: CallInfo) -> list[TType]:
    (seed,) = call.tensors
    if seed.rank != 0 or seed.dtype not in INT_DTYPES:
        raise call.error(f"the seed must be an integer scalar (i32 or i64) or a compile-time integer, "
                         f"got {seed}", "seed")
    dtype = call.attrs["dtype"]
    if dtype not in FLOAT_DTYPES:
        raise call.error(f"'{call.name}' makes floats (f16, f32, f64), not {dtype}", "dtype")
    if -1 in call.attrs["shape"]:
        raise call.error("-1 is not allowed in the shape of random numbers", "shape")
    shape: Sequence[Dim] = resolve_shape(call, call.attrs["shape"], None)
    return [TType(dtype, tuple(shape))]


def _random_entry(op_cls: Any) -> OpEntry:
    params = (Param("seed", TENSOR), Param("shape", SHAPE), Param("dtype", DTYPE, "f32"))
    return OpEntry(op_cls.name.removeprefix("tf."), params, _random_infer,
                   build=lambda xs, a, rts: op_cls(xs[0], rts[0]),
                   eager=lambda op, seed: op.numpy(seed), op_names=(op_cls.name,), doc=op_cls.__doc__ or "")


def nn_entries() -> list[OpEntry]:
    return [_conv_entry(1), _conv_entry(2), _pool_entry(tf.MaxPool2dOp), _pool_entry(tf.AvgPool2dOp),
            _random_entry(tf.RandomUniformOp), _random_entry(tf.RandomNormalOp)]
