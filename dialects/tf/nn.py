"""Convolution and pooling ops of the `tf` dialect, with PyTorch's meaning
(`torch.nn.functional.conv1d/conv2d`, `max_pool2d`, `avg_pool2d`).

Layouts are channels-first: a convolution's input is `[N, C, *spatial]`
(one or two spatial axes) and its weight `[O, C / groups, *kernel]`; pooling
works on the last two axes of a rank-3 or rank-4 input. Per spatial axis,
with input size `L`, kernel `K`, stride `s`, padding `p` (on both sides)
and dilation `d`, the output size is `(L + 2 p - d (K - 1) - 1) // s + 1`.

`decompose-tf-ops` rewrites them before linalg: a convolution into padding,
strided slices gathered into columns and one batched matmul (im2col), a
pooling into padding and an elementwise max / sum over the window's strided
slices (a windowed reduction that reads the input in place).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, TensorType, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    attr_def,
    irdl_op_definition,
    operand_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from tfir.dialects.tf.base import (
    BINARY_FORMAT,
    UNARY_FORMAT,
    ShapeOp,
    check_result_shape,
    elem_of,
    ints_of,
    shape_of,
)


def out_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """The output length of a window sliding over one axis (PyTorch's formula)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def windows(x: np.ndarray, kernel: Sequence[int], stride: Sequence[int],
            dilation: Sequence[int]) -> np.ndarray:
    """A view of `x` (already padded) with one axis per output position and
    per kernel offset on its trailing spatial axes:
    `[..., out_1, ..., out_n, k_1, ..., k_n]`."""
    n = len(kernel)
    lead = x.shape[:-n]
    outs = [(x.shape[-n + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(n)]
    strides = x.strides[-n:]
    return np.lib.stride_tricks.as_strided(
        x, (*lead, *outs, *kernel),
        (*x.strides[:-n], *(s * k for s, k in zip(strides, stride, strict=True)),
         *(s * d for s, d in zip(strides, dilation, strict=True))),
        writeable=False)


def conv_numpy(x: np.ndarray, w: np.ndarray, stride: Sequence[int], padding: Sequence[int],
               dilation: Sequence[int], groups: int) -> np.ndarray:
    """The reference convolution (eager): im2col windows `[G, C/G * K, N * L]`
    and one matrix product per group."""
    xp = np.pad(x, [(0, 0), (0, 0), *((p, p) for p in padding)])
    win = windows(xp, w.shape[2:], stride, dilation)  # [N, C, *out, *k]
    n, c = x.shape[:2]
    o, cg = w.shape[:2]
    outs, kk = win.shape[2:2 + len(stride)], int(np.prod(w.shape[2:]))
    length = int(np.prod(outs))
    spatial = tuple(range(2, 2 + len(outs)))
    kernel = tuple(range(2 + len(outs), win.ndim))
    cols = win.transpose(1, *kernel, 0, *spatial).reshape(groups, cg * kk, n * length)
    out = np.matmul(w.reshape(groups, o // groups, cg * kk), cols)  # [G, O/G, N * L]
    return np.ascontiguousarray(out.reshape(o, n, *outs).swapaxes(0, 1)).astype(x.dtype)


def pool_numpy(x: np.ndarray, kernel: Sequence[int], stride: Sequence[int], padding: Sequence[int],
               kind: str) -> np.ndarray:
    """The reference pooling (eager) over the last two axes."""
    if kind == "max":
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    else:
        fill = 0
    pads = [(0, 0)] * (x.ndim - 2) + [(p, p) for p in padding]
    xp = np.pad(x, pads, constant_values=np.asarray(fill).astype(x.dtype))
    win = windows(xp, kernel, stride, (1, 1))
    if kind == "max":
        return win.max(axis=(-2, -1))
    return (win.sum(axis=(-2, -1), dtype=x.dtype) / x.dtype.type(kernel[0] * kernel[1])).astype(x.dtype)


def _ints(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, [int(v) for v in values])


@irdl_op_definition
class ConvOp(IRDLOperation):
    """Convolution (PyTorch's cross-correlation) of `input` `[N, C, *spatial]`
    with `weight` `[O, C / groups, *kernel]`, one or two spatial axes:

        out[n, o, p] = sum over c in o's group, k:
            input_padded[n, c, p * stride + k * dilation] * weight[o, c - group start, k]

    with zero padding of `padding[i]` on both sides of spatial axis `i`; the
    channels are split into `groups` groups of `C / groups` inputs and
    `O / groups` outputs each.

    ```mlir
    %y = tf.conv %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<2x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<2x6x5x5xf32>
    ```
    """

    name = "tf.conv"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    stride = attr_def(DenseArrayBase)
    padding = attr_def(DenseArrayBase)
    dilation = attr_def(DenseArrayBase)
    groups = attr_def(IntegerAttr)
    traits = traits_def(Pure())
    assembly_format = BINARY_FORMAT

    def __init__(self, input: SSAValue, weight: SSAValue, stride: Sequence[int], padding: Sequence[int],
                 dilation: Sequence[int], groups: int, result_type: Attribute):
        super().__init__(operands=[input, weight], result_types=[result_type], attributes={
            "stride": _ints(stride), "padding": _ints(padding), "dilation": _ints(dilation),
            "groups": IntegerAttr(groups, i64)})

    @property
    def params(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], int]:
        """(stride, padding, dilation, groups)."""
        return ints_of(self.stride), ints_of(self.padding), ints_of(self.dilation), int(self.groups.value.data)

    def numpy(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return conv_numpy(x, w, *self.params)

    def verify_(self) -> None:
        x, w = shape_of(self.lhs), shape_of(self.rhs)
        stride, padding, dilation, groups = self.params
        n = len(x) - 2
        if n not in (1, 2) or len(w) != len(x) or not len(stride) == len(padding) == len(dilation) == n:
            raise VerifyException(f"expected [N, C, *spatial] and [O, C/groups, *kernel] with 1 or 2 "
                                  f"spatial axes, got {self.lhs.type} and {self.rhs.type}")
        if groups < 1 or x[1] != w[1] * groups or w[0] % groups:
            raise VerifyException(f"expected channels divisible into {groups} groups")
        if elem_of(self.lhs) != elem_of(self.rhs) or elem_of(self.lhs) != elem_of(self.result):
            raise VerifyException("expected one element type")
        outs = [out_size(x[2 + i], w[2 + i], stride[i], padding[i], dilation[i]) for i in range(n)]
        check_result_shape([x[0], w[0], *outs], self.result)


class PoolOp(ShapeOp):
    """Base of 2-D pooling over the last two axes of a rank-3 or rank-4 input."""

    kernel = attr_def(DenseArrayBase)
    stride = attr_def(DenseArrayBase)
    padding = attr_def(DenseArrayBase)
    assembly_format = UNARY_FORMAT
    KIND: ClassVar[str] = ""

    def __init__(self, input: SSAValue, kernel: Sequence[int], stride: Sequence[int],
                 padding: Sequence[int], result_type: Attribute):
        IRDLOperation.__init__(self, operands=[input], result_types=[result_type], attributes={
            "kernel": _ints(kernel), "stride": _ints(stride), "padding": _ints(padding)})

    @property
    def params(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """(kernel, stride, padding)."""
        return ints_of(self.kernel), ints_of(self.stride), ints_of(self.padding)

    def numpy(self, x: np.ndarray) -> np.ndarray:
        return pool_numpy(x, *self.params, self.KIND)

    def verify_(self) -> None:
        self.check_elem()
        shape = shape_of(self.input)
        kernel, stride, padding = self.params
        if len(shape) not in (3, 4) or not len(kernel) == len(stride) == len(padding) == 2:
            raise VerifyException(f"expected a rank-3 or rank-4 input and 2 kernel sizes, got {self.input.type}")
        if any(p > k // 2 for p, k in zip(padding, kernel, strict=True)):
            raise VerifyException("expected padding at most half the kernel")
        outs = [out_size(shape[-2 + i], kernel[i], stride[i], padding[i], 1) for i in range(2)]
        check_result_shape([*shape[:-2], *outs], self.result)


@irdl_op_definition
class MaxPool2dOp(PoolOp):
    """Maximum over each `kernel` window, windows `stride` apart, the input
    padded with -inf (the smallest integer for integers) by `padding` on both
    sides, as `torch.nn.functional.max_pool2d`. Its gradient goes to the first
    maximum of each window (row-major order), as PyTorch's.

    ```mlir
    %y = tf.max_pool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>} : (tensor<2x4x9x9xf32>) -> tensor<2x4x5x5xf32>
    ```
    """

    name = "tf.max_pool2d"
    KIND: ClassVar[str] = "max"


@irdl_op_definition
class AvgPool2dOp(PoolOp):
    """Mean over each `kernel` window (padding counts as zeros: the divisor is
    always `kernel[0] * kernel[1]`), as `torch.nn.functional.avg_pool2d` with
    `count_include_pad=True`. Floats only.

    ```mlir
    %y = tf.avg_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : (tensor<2x4x9x9xf32>) -> tensor<2x4x4x4xf32>
    ```
    """

    name = "tf.avg_pool2d"
    KIND: ClassVar[str] = "avg"


NN_OPS = (ConvOp, MaxPool2dOp, AvgPool2dOp)
