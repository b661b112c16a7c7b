"""Bases shared by the ops of the `tf` dialect: operand and result
definitions, assembly formats and verifiers of each family of ops.

The verifiers check shapes with the rules of `dialects/shape_rules.py`, the
same functions that type a `.tf` call in the frontend, through `VerifyCall`.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from xdsl.dialects.builtin import (
    BoolAttr,
    DenseArrayBase,
    IntegerAttr,
    IntegerType,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import IRDLOperation, attr_def, operand_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from tfir.dialects import shape_rules as rules
from tfir.dialects.dtypes import NUMERIC_DTYPES, from_xdsl
from tfir.dialects.registry import TType

BINARY_FORMAT = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"
UNARY_FORMAT = "$input attr-dict `:` functional-type(operands, results)"


def shape_of(value: SSAValue | Attribute) -> tuple[int, ...]:
    typ = value.type if isinstance(value, SSAValue) else value
    assert isinstance(typ, TensorType)
    return tuple(typ.get_shape())


def elem_of(value: SSAValue | Attribute) -> Attribute:
    typ = value.type if isinstance(value, SSAValue) else value
    assert isinstance(typ, TensorType)
    return typ.get_element_type()


def ttype_of(value: SSAValue) -> TType:
    """The checker's view of a tensor value (an element type `.tf` lacks keeps its IR spelling)."""
    elem = elem_of(value)
    try:
        dtype = from_xdsl(elem)
    except ValueError:
        dtype = str(elem)
    return TType(dtype, shape_of(value))


def ints_of(attr: DenseArrayBase) -> tuple[int, ...]:
    return tuple(int(a) for a in attr.get_values())


class VerifyCall:
    """The `CallInfo` the shape rules see when an op is verified: the problem
    a rule finds becomes a `VerifyException`."""

    def __init__(self, op: Operation):
        self.name = op.name
        self.tensors = [ttype_of(v) for v in op.operands]
        self.attrs: dict[str, Any] = {}

    def error(self, message: str, at: str | None = None) -> Exception:
        return VerifyException(message)


def check_result_shape(want: Sequence[Any], result: SSAValue) -> None:
    if tuple(want) != shape_of(result):
        raise VerifyException(f"expected result shape {tuple(want)}, got {shape_of(result)}")


class ElementwiseBinaryOp(IRDLOperation, abc.ABC):
    """Base of broadcasting binary ops whose result has the operands' dtype.

    Like the `py_operation` of xDSL's arith ops, each op carries its meaning
    on NumPy arrays (`NUMPY`: what the eager target runs, `fold-constants`
    folds with and the frontend folds literals with) and the operand dtypes a
    `.tf` call may give it (`OPERAND_DTYPES`, the checker's rule, with
    `DTYPE_HINT` added to its error); `dialects/builtins.py` makes the
    registry entry from them."""

    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = BINARY_FORMAT
    RESULT_IS_BOOL: ClassVar[bool] = False
    NUMPY: ClassVar[Callable[..., Any]]
    OPERAND_DTYPES: ClassVar[frozenset[str]] = NUMERIC_DTYPES
    DTYPE_HINT: ClassVar[str] = ""

    def __init__(self, lhs: SSAValue, rhs: SSAValue, result_type: Attribute):
        super().__init__(operands=[lhs, rhs], result_types=[result_type])

    def verify_(self) -> None:
        if elem_of(self.lhs) != elem_of(self.rhs):
            raise VerifyException(
                f"expected operands of one dtype, got {elem_of(self.lhs)} and {elem_of(self.rhs)}"
            )
        want = IntegerType(1) if self.RESULT_IS_BOOL else elem_of(self.lhs)
        if elem_of(self.result) != want:
            raise VerifyException(f"expected result dtype {want}, got {elem_of(self.result)}")
        shape = rules.broadcast(VerifyCall(self), [shape_of(self.lhs), shape_of(self.rhs)])
        check_result_shape(shape, self.result)


class CompareOp(ElementwiseBinaryOp, abc.ABC):
    """Base of broadcasting comparisons: the result is `i1`."""

    RESULT_IS_BOOL: ClassVar[bool] = True


class ElementwiseUnaryOp(IRDLOperation, abc.ABC):
    """Base of elementwise unary ops: the result has the operand's type.
    `NUMPY` and `OPERAND_DTYPES` as for `ElementwiseBinaryOp`."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = UNARY_FORMAT
    NUMPY: ClassVar[Callable[..., Any]]
    OPERAND_DTYPES: ClassVar[frozenset[str]] = NUMERIC_DTYPES

    def __init__(self, input: SSAValue, result_type: Attribute | None = None):
        super().__init__(operands=[input], result_types=[result_type or input.type])

    def verify_(self) -> None:
        if self.input.type != self.result.type:
            raise VerifyException(f"expected result type {self.input.type}, got {self.result.type}")


class ShapeOp(IRDLOperation, abc.ABC):
    """Base of one-operand ops whose result type (shape, dtype) is carried by the result only."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = UNARY_FORMAT

    def __init__(self, input: SSAValue, result_type: Attribute):
        super().__init__(operands=[input], result_types=[result_type])

    def check_elem(self) -> None:
        if elem_of(self.input) != elem_of(self.result):
            raise VerifyException(f"expected result dtype {elem_of(self.input)}, got {elem_of(self.result)}")


class ReductionOp(IRDLOperation, abc.ABC):
    """Base of reductions over `axes` (sorted, non-negative), optionally keeping them."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    axes = attr_def(DenseArrayBase)
    keepdims = attr_def(BoolAttr)
    traits = traits_def(Pure())
    assembly_format = UNARY_FORMAT

    def __init__(self, input: SSAValue, axes: Sequence[int], keepdims: bool, result_type: Attribute):
        super().__init__(
            operands=[input],
            result_types=[result_type],
            attributes={
                "axes": DenseArrayBase.from_list(i64, sorted(axes)),
                "keepdims": IntegerAttr.from_bool(keepdims),
            },
        )

    @property
    def axes_tuple(self) -> tuple[int, ...]:
        return ints_of(self.axes)

    @property
    def keeps_dims(self) -> bool:
        return bool(self.keepdims.value.data)

    def verify_(self) -> None:
        shape, axes = shape_of(self.input), self.axes_tuple
        if any(a < 0 for a in axes):
            raise VerifyException(f"expected non-negative axes, got {list(axes)}")
        rules.norm_axes(VerifyCall(self), axes, len(shape))
        check_result_shape(rules.reduced_shape(shape, axes, self.keeps_dims), self.result)
        if elem_of(self.result) != elem_of(self.input):
            raise VerifyException(f"expected result dtype {elem_of(self.input)}, got {elem_of(self.result)}")


class ArgReductionOp(IRDLOperation, abc.ABC):
    """Base of `argmax` / `argmin` along one axis: an `i64` index tensor."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    axis = attr_def(IntegerAttr)
    traits = traits_def(Pure())
    assembly_format = UNARY_FORMAT

    def __init__(self, input: SSAValue, axis: int, result_type: Attribute):
        super().__init__(operands=[input], result_types=[result_type],
                         attributes={"axis": IntegerAttr(axis, i64)})

    def verify_(self) -> None:
        axis = self.axis.value.data
        if axis < 0:
            raise VerifyException(f"expected a non-negative axis, got {axis}")
        _, want = rules.arg_reduced_shape(VerifyCall(self), shape_of(self.input), axis)
        if shape_of(self.result) != want or elem_of(self.result) != i64:
            raise VerifyException(f"expected tensor of i64 with shape {want}, got {self.result.type}")
