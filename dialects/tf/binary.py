"""Broadcasting binary ops of the `tf` dialect: arithmetic, logical ops and
comparisons (an `i1` result), and `tf.select`.

Operands broadcast as NumPy does; the result type carries the broadcast shape.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import IntegerType, TensorType
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from tfir.dialects import shape_rules as rules
from tfir.dialects.dtypes import ALL_DTYPES, BOOL_DTYPES, FLOAT_DTYPES
from tfir.dialects.tf.base import (
    CompareOp,
    ElementwiseBinaryOp,
    VerifyCall,
    check_result_shape,
    elem_of,
    shape_of,
)


@irdl_op_definition
class AddOp(ElementwiseBinaryOp):
    """`lhs + rhs`, broadcasting.

    ```mlir
    %r = tf.add %a, %b : (tensor<4x5xf32>, tensor<5xf32>) -> tensor<4x5xf32>
    ```
    """

    name = "tf.add"
    NUMPY = staticmethod(np.add)


@irdl_op_definition
class SubOp(ElementwiseBinaryOp):
    """`lhs - rhs`, broadcasting.

    ```mlir
    %r = tf.sub %a, %b : (tensor<4x5xf32>, tensor<4x1xf32>) -> tensor<4x5xf32>
    ```
    """

    name = "tf.sub"
    NUMPY = staticmethod(np.subtract)


@irdl_op_definition
class MulOp(ElementwiseBinaryOp):
    """`lhs * rhs`, broadcasting.

    ```mlir
    %r = tf.mul %a, %b : (tensor<8xi32>, tensor<i32>) -> tensor<8xi32>
    ```
    """

    name = "tf.mul"
    NUMPY = staticmethod(np.multiply)


@irdl_op_definition
class DivOp(ElementwiseBinaryOp):
    """`lhs / rhs` on floats, broadcasting.

    ```mlir
    %r = tf.div %a, %b : (tensor<4x5xf32>, tensor<f32>) -> tensor<4x5xf32>
    ```
    """

    name = "tf.div"
    NUMPY = staticmethod(np.true_divide)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES
    DTYPE_HINT: ClassVar[str] = "use floordiv for integers"


@irdl_op_definition
class PowOp(ElementwiseBinaryOp):
    """`lhs ** rhs`, broadcasting.

    ```mlir
    %r = tf.pow %a, %b : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
    ```
    """

    name = "tf.pow"
    NUMPY = staticmethod(np.power)


@irdl_op_definition
class MaximumOp(ElementwiseBinaryOp):
    """Elementwise maximum (NaN-propagating, as NumPy).

    ```mlir
    %r = tf.maximum %a, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.maximum"
    NUMPY = staticmethod(np.maximum)


@irdl_op_definition
class MinimumOp(ElementwiseBinaryOp):
    """Elementwise minimum (NaN-propagating, as NumPy).

    ```mlir
    %r = tf.minimum %a, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.minimum"
    NUMPY = staticmethod(np.minimum)


@irdl_op_definition
class FloordivOp(ElementwiseBinaryOp):
    """Floor division, rounding toward -inf as NumPy.

    ```mlir
    %r = tf.floordiv %a, %b : (tensor<8xi32>, tensor<i32>) -> tensor<8xi32>
    ```
    """

    name = "tf.floordiv"
    NUMPY = staticmethod(np.floor_divide)


@irdl_op_definition
class ModOp(ElementwiseBinaryOp):
    """Modulo with the sign of the divisor, as NumPy.

    ```mlir
    %r = tf.mod %a, %b : (tensor<8xi32>, tensor<i32>) -> tensor<8xi32>
    ```
    """

    name = "tf.mod"
    NUMPY = staticmethod(np.mod)


@irdl_op_definition
class LogicalAndOp(ElementwiseBinaryOp):
    """Logical and of `i1` tensors.

    ```mlir
    %r = tf.logical_and %a, %b : (tensor<8xi1>, tensor<8xi1>) -> tensor<8xi1>
    ```
    """

    name = "tf.logical_and"
    NUMPY = staticmethod(np.logical_and)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = BOOL_DTYPES


@irdl_op_definition
class LogicalOrOp(ElementwiseBinaryOp):
    """Logical or of `i1` tensors.

    ```mlir
    %r = tf.logical_or %a, %b : (tensor<8xi1>, tensor<8xi1>) -> tensor<8xi1>
    ```
    """

    name = "tf.logical_or"
    NUMPY = staticmethod(np.logical_or)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = BOOL_DTYPES


@irdl_op_definition
class EqualOp(CompareOp):
    """`lhs == rhs`, an `i1` tensor.

    ```mlir
    %r = tf.equal %a, %b : (tensor<8xi32>, tensor<8xi32>) -> tensor<8xi1>
    ```
    """

    name = "tf.equal"
    NUMPY = staticmethod(np.equal)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = ALL_DTYPES


@irdl_op_definition
class NotEqualOp(CompareOp):
    """`lhs != rhs`, an `i1` tensor.

    ```mlir
    %r = tf.not_equal %a, %b : (tensor<8xf32>, tensor<f32>) -> tensor<8xi1>
    ```
    """

    name = "tf.not_equal"
    NUMPY = staticmethod(np.not_equal)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = ALL_DTYPES


@irdl_op_definition
class LessOp(CompareOp):
    """`lhs < rhs`, an `i1` tensor.

    ```mlir
    %r = tf.less %a, %b : (tensor<4x5xf32>, tensor<5xf32>) -> tensor<4x5xi1>
    ```
    """

    name = "tf.less"
    NUMPY = staticmethod(np.less)


@irdl_op_definition
class LessEqualOp(CompareOp):
    """`lhs <= rhs`, an `i1` tensor.

    ```mlir
    %r = tf.less_equal %a, %b : (tensor<8xi64>, tensor<i64>) -> tensor<8xi1>
    ```
    """

    name = "tf.less_equal"
    NUMPY = staticmethod(np.less_equal)


@irdl_op_definition
class GreaterOp(CompareOp):
    """`lhs > rhs`, an `i1` tensor.

    ```mlir
    %r = tf.greater %a, %b : (tensor<8xf32>, tensor<f32>) -> tensor<8xi1>
    ```
    """

    name = "tf.greater"
    NUMPY = staticmethod(np.greater)


@irdl_op_definition
class GreaterEqualOp(CompareOp):
    """`lhs >= rhs`, an `i1` tensor.

    ```mlir
    %r = tf.greater_equal %a, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xi1>
    ```
    """

    name = "tf.greater_equal"
    NUMPY = staticmethod(np.greater_equal)


@irdl_op_definition
class SelectOp(IRDLOperation):
    """`where(cond, a, b)`, broadcasting all three.

    ```mlir
    %r = tf.select %c, %a, %b : (tensor<8xi1>, tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
    ```
    """

    name = "tf.select"
    cond = operand_def(TensorType)
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$cond `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def __init__(self, cond: SSAValue, lhs: SSAValue, rhs: SSAValue, result_type: Attribute):
        super().__init__(operands=[cond, lhs, rhs], result_types=[result_type])

    def verify_(self) -> None:
        if elem_of(self.cond) != IntegerType(1):
            raise VerifyException(f"expected an i1 condition, got {elem_of(self.cond)}")
        if not (elem_of(self.lhs) == elem_of(self.rhs) == elem_of(self.result)):
            raise VerifyException(
                f"expected one dtype for both branches and the result, got "
                f"{elem_of(self.lhs)}, {elem_of(self.rhs)} and {elem_of(self.result)}"
            )
        shapes = [shape_of(self.cond), shape_of(self.lhs), shape_of(self.rhs)]
        check_result_shape(rules.broadcast(VerifyCall(self), shapes), self.result)


ELEMENTWISE_BINARY = (AddOp, SubOp, MulOp, DivOp, PowOp, MaximumOp, MinimumOp, FloordivOp,
                      ModOp, LogicalAndOp, LogicalOrOp, EqualOp, NotEqualOp, LessOp,
                      LessEqualOp, GreaterOp, GreaterEqualOp)
