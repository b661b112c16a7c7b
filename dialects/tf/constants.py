"""Ops of the `tf` dialect that make a tensor from no operands."""

from __future__ import annotations

from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, TensorType
from xdsl.ir import Attribute
from xdsl.irdl import IRDLOperation, attr_def, irdl_op_definition, result_def, traits_def
from xdsl.traits import ConstantLike, Pure
from xdsl.utils.exceptions import VerifyException

from tfir.dialects.tf.base import shape_of


@irdl_op_definition
class ConstantOp(IRDLOperation):
    """A constant tensor (splat or dense).

    ```mlir
    %c = tf.constant {value = dense<1.000000e+00> : tensor<2x3xf32>} : tensor<2x3xf32>
    ```
    """

    name = "tf.constant"
    value = attr_def(DenseIntOrFPElementsAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure(), ConstantLike())
    assembly_format = "attr-dict `:` type($result)"

    def __init__(self, value: DenseIntOrFPElementsAttr):
        super().__init__(result_types=[value.type], attributes={"value": value})


@irdl_op_definition
class IotaOp(IRDLOperation):
    """`arange(n)`: the 1-D tensor 0, 1, ..., n-1.

    ```mlir
    %i = tf.iota : tensor<8xi32>
    ```
    """

    name = "tf.iota"
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "attr-dict `:` type($result)"

    def __init__(self, result_type: Attribute):
        super().__init__(result_types=[result_type])

    def verify_(self) -> None:
        if len(shape_of(self.result)) != 1:
            raise VerifyException(f"expected a 1-D result, got {self.result.type}")
