"""Array builtins of the `tf` dialect added in language version 2: the
triangles `tril` / `triu`, `flip`, `tile`, `repeat` and constant `pad`.

Each is a primitive with NumPy's meaning (stated in its docstring);
`decompose-tf-ops` rewrites all but `pad` into the ops of `shapes.py` and
elementwise ops before linalg, and `pad` lowers to a fill and an insertion.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, IntegerAttr, f64, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation, attr_def, irdl_op_definition
from xdsl.utils.exceptions import VerifyException

from tfir.dialects.tf.base import ShapeOp, check_result_shape, ints_of, shape_of


def tile_shape(shape: Sequence[int], reps: Sequence[int]) -> tuple[int, ...]:
    """The shape of `numpy.tile(x, reps)` for `x` of `shape`."""
    rank = max(len(shape), len(reps))
    dims = [1] * (rank - len(shape)) + list(shape)
    counts = [1] * (rank - len(reps)) + list(reps)
    return tuple(d * r for d, r in zip(dims, counts, strict=True))


class TriangleOp(ShapeOp):
    """Base of `tril` / `triu` over the last two axes, with diagonal offset `k`."""

    k = attr_def(IntegerAttr)

    def __init__(self, input: SSAValue, k: int, result_type: Attribute | None = None):
        IRDLOperation.__init__(self, operands=[input], result_types=[result_type or input.type],
                               attributes={"k": IntegerAttr(k, i64)})

    @property
    def k_value(self) -> int:
        return int(self.k.value.data)

    def verify_(self) -> None:
        if len(shape_of(self.input)) < 2:
            raise VerifyException(f"expected an operand of rank >= 2, got {self.input.type}")
        if self.input.type != self.result.type:
            raise VerifyException(f"expected result type {self.input.type}, got {self.result.type}")


@irdl_op_definition
class TrilOp(TriangleOp):
    """Lower triangle: element `[..., i, j]` is kept where `j - i <= k`, else 0,
    as `numpy.tril(x, k)` (batched over leading axes).

    ```mlir
    %r = tf.tril %x {k = 0 : i64} : (tensor<4x4xf32>) -> tensor<4x4xf32>
    ```
    """

    name = "tf.tril"


@irdl_op_definition
class TriuOp(TriangleOp):
    """Upper triangle: element `[..., i, j]` is kept where `j - i >= k`, else 0,
    as `numpy.triu(x, k)`.

    ```mlir
    %r = tf.triu %x {k = 1 : i64} : (tensor<2x4x4xi32>) -> tensor<2x4x4xi32>
    ```
    """

    name = "tf.triu"


@irdl_op_definition
class FlipOp(ShapeOp):
    """Reverses the order of the elements along each axis of `axes`, as `numpy.flip`.

    ```mlir
    %r = tf.flip %x {axes = array<i64: 1>} : (tensor<4x5xf32>) -> tensor<4x5xf32>
    ```
    """

    name = "tf.flip"
    axes = attr_def(DenseArrayBase)

    def __init__(self, input: SSAValue, axes: Sequence[int], result_type: Attribute | None = None):
        IRDLOperation.__init__(self, operands=[input], result_types=[result_type or input.type],
                               attributes={"axes": DenseArrayBase.from_list(i64, sorted(axes))})

    @property
    def axes_tuple(self) -> tuple[int, ...]:
        return ints_of(self.axes)

    def verify_(self) -> None:
        rank = len(shape_of(self.input))
        if any(not 0 <= a < rank for a in self.axes_tuple) or len(set(self.axes_tuple)) != len(self.axes_tuple):
            raise VerifyException(f"expected distinct axes in [0, {rank}), got {list(self.axes_tuple)}")
        if self.input.type != self.result.type:
            raise VerifyException(f"expected result type {self.input.type}, got {self.result.type}")


@irdl_op_definition
class TileOp(ShapeOp):
    """`numpy.tile(x, reps)`: the operand repeated `reps[i]` times along axis
    `i` (the shorter of the operand's shape and `reps` is padded with leading 1s).

    ```mlir
    %r = tf.tile %x {reps = array<i64: 2, 1>} : (tensor<2x3xf32>) -> tensor<4x3xf32>
    ```
    """

    name = "tf.tile"
    reps = attr_def(DenseArrayBase)

    def __init__(self, input: SSAValue, reps: Sequence[int], result_type: Attribute):
        IRDLOperation.__init__(self, operands=[input], result_types=[result_type],
                               attributes={"reps": DenseArrayBase.from_list(i64, list(reps))})

    @property
    def reps_tuple(self) -> tuple[int, ...]:
        return ints_of(self.reps)

    def verify_(self) -> None:
        self.check_elem()
        if any(r < 0 for r in self.reps_tuple):
            raise VerifyException(f"expected non-negative reps, got {list(self.reps_tuple)}")
        check_result_shape(tile_shape(shape_of(self.input), self.reps_tuple), self.result)


@irdl_op_definition
class RepeatOp(ShapeOp):
    """`numpy.repeat(x, repeats, axis)`: each element repeated `repeats` times
    in place along `axis` (`[a, b]` -> `[a, a, b, b]`).

    ```mlir
    %r = tf.repeat %x {repeats = 2 : i64, axis = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x6xf32>
    ```
    """

    name = "tf.repeat"
    repeats = attr_def(IntegerAttr)
    axis = attr_def(IntegerAttr)

    def __init__(self, input: SSAValue, repeats: int, axis: int, result_type: Attribute):
        IRDLOperation.__init__(self, operands=[input], result_types=[result_type],
                               attributes={"repeats": IntegerAttr(repeats, i64),
                                           "axis": IntegerAttr(axis, i64)})

    @property
    def repeats_value(self) -> int:
        return int(self.repeats.value.data)

    @property
    def axis_value(self) -> int:
        return int(self.axis.value.data)

    def verify_(self) -> None:
        self.check_elem()
        shape, axis, n = list(shape_of(self.input)), self.axis_value, self.repeats_value
        if not 0 <= axis < len(shape) or n < 0:
            raise VerifyException(f"expected an axis in [0, {len(shape)}) and repeats >= 0")
        shape[axis] *= n
        check_result_shape(shape, self.result)


@irdl_op_definition
class PadOp(ShapeOp):
    """Constant padding, as `numpy.pad(x, pads, constant_values=value)`: axis
    `i` gets `pads[2 i]` elements of `value` before and `pads[2 i + 1]` after
    (all >= 0). `value` is cast to the element type.

    ```mlir
    %r = tf.pad %x {pads = array<i64: 1, 0, 2, 1>, value = 0.000000e+00 : f64} : (tensor<2x3xf32>) -> tensor<3x6xf32>
    ```
    """

    name = "tf.pad"
    pads = attr_def(DenseArrayBase)
    value = attr_def(FloatAttr)

    def __init__(self, input: SSAValue, pads: Sequence[int], value: float, result_type: Attribute):
        IRDLOperation.__init__(self, operands=[input], result_types=[result_type],
                               attributes={"pads": DenseArrayBase.from_list(i64, list(pads)),
                                           "value": FloatAttr(float(value), f64)})

    @property
    def pairs(self) -> list[tuple[int, int]]:
        flat = ints_of(self.pads)
        return [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]

    @property
    def fill_value(self) -> float:
        return float(self.value.value.data)

    def numpy(self, x: np.ndarray) -> np.ndarray:
        return np.pad(x, self.pairs, constant_values=np.asarray(self.fill_value).astype(x.dtype))

    def verify_(self) -> None:
        self.check_elem()
        shape, pairs = shape_of(self.input), self.pairs
        if len(ints_of(self.pads)) != 2 * len(shape) or any(b < 0 or a < 0 for b, a in pairs):
            raise VerifyException(f"expected {2 * len(shape)} non-negative pads, got {list(ints_of(self.pads))}")
        check_result_shape([d + b + a for d, (b, a) in zip(shape, pairs, strict=True)], self.result)


ARRAY_OPS = (TrilOp, TriuOp, FlipOp, TileOp, RepeatOp, PadOp)
