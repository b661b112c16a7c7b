"""Scans of the `tf` dialect: the running sum and product along one axis.

Result element `i` along `axis` combines operand elements `0..i` in order
(an inclusive scan); the other axes are independent. The result has the
operand's type (an `i32` cumsum is `i32` and wraps, as NumPy's with
`dtype=`).
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, IntegerType, TensorType, i64
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

from tfir.dialects.tf.base import UNARY_FORMAT, shape_of


class ScanOp(IRDLOperation):
    """Base of the inclusive scans along `axis` (non-negative)."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    axis = attr_def(IntegerAttr)
    traits = traits_def(Pure())
    assembly_format = UNARY_FORMAT

    def __init__(self, input: SSAValue, axis: int, result_type: Attribute | None = None):
        super().__init__(operands=[input], result_types=[result_type or input.type],
                         attributes={"axis": IntegerAttr(axis, i64)})

    @property
    def axis_value(self) -> int:
        return int(self.axis.value.data)

    def verify_(self) -> None:
        rank = len(shape_of(self.input))
        if not 0 <= self.axis_value < rank:
            raise VerifyException(f"expected an axis in [0, {rank}), got {self.axis_value}")
        if self.input.type != self.result.type:
            raise VerifyException(f"expected result type {self.input.type}, got {self.result.type}")
        typ = self.input.type
        assert isinstance(typ, TensorType)
        if typ.get_element_type() == IntegerType(1):
            raise VerifyException("expected a numeric operand, got i1")


@irdl_op_definition
class CumsumOp(ScanOp):
    """Running sum along `axis`: `r[..., i, ...] = x[..., 0, ...] + ... + x[..., i, ...]`,
    as `numpy.cumsum(x, axis, dtype=x.dtype)`.

    ```mlir
    %r = tf.cumsum %x {axis = 1 : i64} : (tensor<4x5xf32>) -> tensor<4x5xf32>
    ```
    """

    name = "tf.cumsum"


@irdl_op_definition
class CumprodOp(ScanOp):
    """Running product along `axis`, as `numpy.cumprod(x, axis, dtype=x.dtype)`.

    ```mlir
    %r = tf.cumprod %x {axis = 0 : i64} : (tensor<4x5xi32>) -> tensor<4x5xi32>
    ```
    """

    name = "tf.cumprod"


SCAN_OPS = (CumsumOp, CumprodOp)
