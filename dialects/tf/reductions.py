"""Reductions of the `tf` dialect: over `axes` (`sum`, `mean`, `max`,
`min`, `prod`), along one axis to an index (`argmax`, `argmin`), and the
contraction `tf.matmul`."""

from __future__ import annotations

from xdsl.dialects.builtin import TensorType
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, result_def, traits_def
from xdsl.traits import Pure

from tfir.dialects import shape_rules as rules
from tfir.dialects.tf.base import (
    BINARY_FORMAT,
    ArgReductionOp,
    ReductionOp,
    VerifyCall,
    check_result_shape,
    ttype_of,
)


@irdl_op_definition
class SumOp(ReductionOp):
    """Sum over `axes`; the result keeps the operand's dtype.

    ```mlir
    %s = tf.sum %x {axes = array<i64: 1>, keepdims = true} : (tensor<4x5xf32>) -> tensor<4x1xf32>
    ```
    """

    name = "tf.sum"


@irdl_op_definition
class MeanOp(ReductionOp):
    """Arithmetic mean over `axes` (floats only).

    ```mlir
    %m = tf.mean %x {axes = array<i64: 0, 1>, keepdims = false} : (tensor<4x5xf32>) -> tensor<f32>
    ```
    """

    name = "tf.mean"


@irdl_op_definition
class MaxOp(ReductionOp):
    """Maximum over `axes`.

    ```mlir
    %m = tf.max %y {axes = array<i64: 1>, keepdims = false} : (tensor<4x5xf32>) -> tensor<4xf32>
    ```
    """

    name = "tf.max"


@irdl_op_definition
class MinOp(ReductionOp):
    """Minimum over `axes`.

    ```mlir
    %m = tf.min %y {axes = array<i64: 0>, keepdims = false} : (tensor<4x5xi32>) -> tensor<5xi32>
    ```
    """

    name = "tf.min"


@irdl_op_definition
class ProdOp(ReductionOp):
    """Product over `axes`.

    ```mlir
    %p = tf.prod %x {axes = array<i64: 0>, keepdims = true} : (tensor<3x2xf64>) -> tensor<1x2xf64>
    ```
    """

    name = "tf.prod"


@irdl_op_definition
class ArgmaxOp(ArgReductionOp):
    """Index of the first maximum along `axis`.

    ```mlir
    %i = tf.argmax %x {axis = 1 : i64} : (tensor<4x10xf32>) -> tensor<4xi64>
    ```
    """

    name = "tf.argmax"


@irdl_op_definition
class ArgminOp(ArgReductionOp):
    """Index of the first minimum along `axis`.

    ```mlir
    %i = tf.argmin %x {axis = 0 : i64} : (tensor<4x10xf32>) -> tensor<10xi64>
    ```
    """

    name = "tf.argmin"


@irdl_op_definition
class MatmulOp(IRDLOperation):
    """`numpy.matmul`: 1-D operands are promoted and the added axis removed,
    batch dimensions broadcast.

    ```mlir
    %c = tf.matmul %a, %b : (tensor<16x784xf32>, tensor<784x128xf32>) -> tensor<16x128xf32>
    ```
    """

    name = "tf.matmul"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = BINARY_FORMAT

    def __init__(self, lhs: SSAValue, rhs: SSAValue, result_type: Attribute):
        super().__init__(operands=[lhs, rhs], result_types=[result_type])

    def verify_(self) -> None:
        want = rules.matmul_result(VerifyCall(self), ttype_of(self.lhs), ttype_of(self.rhs))
        check_result_shape(want, self.result)


REDUCTIONS = (SumOp, MeanOp, MaxOp, MinOp, ProdOp)
