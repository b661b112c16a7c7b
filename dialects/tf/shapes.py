"""Ops of the `tf` dialect that move elements without computing on them:
transpose, reshape, broadcast, strided slice and concatenation."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, TensorType, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    attr_def,
    irdl_op_definition,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from tfir.dialects import shape_rules as rules
from tfir.dialects.tf.base import (
    ShapeOp,
    VerifyCall,
    check_result_shape,
    elem_of,
    ints_of,
    shape_of,
    ttype_of,
)


@irdl_op_definition
class TransposeOp(ShapeOp):
    """Permutes the axes: result axis `i` is operand axis `perm[i]`.

    ```mlir
    %t = tf.transpose %x {perm = array<i64: 1, 0>} : (tensor<4x5xf32>) -> tensor<5x4xf32>
    ```
    """

    name = "tf.transpose"
    perm = attr_def(DenseArrayBase)

    def __init__(self, input: SSAValue, perm: Sequence[int], result_type: Attribute):
        IRDLOperation.__init__(self, operands=[input], result_types=[result_type],
                               attributes={"perm": DenseArrayBase.from_list(i64, list(perm))})

    @property
    def perm_tuple(self) -> tuple[int, ...]:
        return ints_of(self.perm)

    def verify_(self) -> None:
        shape, perm = shape_of(self.input), self.perm_tuple
        norm, want = rules.permuted(VerifyCall(self), shape, perm)
        if tuple(norm) != perm:
            raise VerifyException(f"expected a permutation of {len(shape)} axes, got {list(perm)}")
        check_result_shape(want, self.result)


@irdl_op_definition
class ReshapeOp(ShapeOp):
    """Row-major reshape to the result type's shape (same element count).

    ```mlir
    %r = tf.reshape %x : (tensor<4x5xf32>) -> tensor<20xf32>
    ```
    """

    name = "tf.reshape"

    def verify_(self) -> None:
        self.check_elem()
        rules.resolve_shape(VerifyCall(self), shape_of(self.result), rules.numel(shape_of(self.input)))


@irdl_op_definition
class BroadcastToOp(ShapeOp):
    """Broadcasts the operand to the result type's shape, as NumPy.

    ```mlir
    %b = tf.broadcast_to %x : (tensor<5xf32>) -> tensor<4x5xf32>
    ```
    """

    name = "tf.broadcast_to"

    def verify_(self) -> None:
        self.check_elem()
        rules.broadcast_to(VerifyCall(self), shape_of(self.input), shape_of(self.result))


@irdl_op_definition
class SliceOp(ShapeOp):
    """Strided slice: result element `i` is operand element `start + i * stride`
    per axis (strides may be negative); the rank is kept.

    ```mlir
    %s = tf.slice %x {start = array<i64: 1, 5>, stride = array<i64: 2, -1>} : (tensor<5x6xf32>) -> tensor<2x6xf32>
    ```
    """

    name = "tf.slice"
    start = attr_def(DenseArrayBase)
    stride = attr_def(DenseArrayBase)

    def __init__(self, input: SSAValue, start: Sequence[int], stride: Sequence[int],
                 result_type: Attribute):
        IRDLOperation.__init__(
            self, operands=[input], result_types=[result_type],
            attributes={"start": DenseArrayBase.from_list(i64, list(start)),
                        "stride": DenseArrayBase.from_list(i64, list(stride))})

    def verify_(self) -> None:
        self.check_elem()
        shape, out = shape_of(self.input), shape_of(self.result)
        start, stride = ints_of(self.start), ints_of(self.stride)
        if not len(shape) == len(out) == len(start) == len(stride):
            raise VerifyException(f"expected start and stride of rank {len(shape)}")
        for dim, n, s, k in zip(shape, out, start, stride, strict=True):
            if k == 0 or (n > 0 and not (0 <= s < dim and 0 <= s + (n - 1) * k < dim)):
                raise VerifyException(f"expected a slice inside dim {dim}, got start {s} stride {k} size {n}")


@irdl_op_definition
class ConcatOp(IRDLOperation):
    """Concatenation along `axis`, as `numpy.concatenate`.

    ```mlir
    %c = tf.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<6x3xf32>
    ```
    """

    name = "tf.concat"
    inputs = var_operand_def(TensorType)
    result = result_def(TensorType)
    axis = attr_def(IntegerAttr)
    traits = traits_def(Pure())
    assembly_format = "$inputs attr-dict `:` functional-type(operands, results)"

    def __init__(self, inputs: Sequence[SSAValue], axis: int, result_type: Attribute):
        super().__init__(operands=[list(inputs)], result_types=[result_type],
                         attributes={"axis": IntegerAttr(axis, i64)})

    def verify_(self) -> None:
        axis = self.axis.value.data
        if axis < 0:
            raise VerifyException(f"expected a non-negative axis, got {axis}")
        _, out = rules.concat_result(VerifyCall(self), [ttype_of(v) for v in self.inputs], axis, stack=False)
        check_result_shape(out.shape, self.result)
        if elem_of(self.result) != elem_of(self.inputs[0]):
            raise VerifyException(f"expected result dtype {elem_of(self.inputs[0])}, got {elem_of(self.result)}")

