"""Computations on blocks that `arith` / `math` do not cover in xDSL 0.74:
`device.reduce`, `device.scan`, `device.dot`, `device.select`, `device.cmp`, `device.cast`."""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import (
    I64,
    AnyFloat,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
    i32,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AnyAttr,
    IRDLOperation,
    ParsePropInAttrDict,
    VarConstraint,
    base,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import (
    Pure,
)
from xdsl.utils.exceptions import VerifyException

from tfir.dialects.device.base import (
    CMP_PREDICATES,
    REDUCE_KINDS,
    block_type,
    element_of,
    expect,
    shape_of,
)


@irdl_op_definition
class ReduceOp(IRDLOperation):
    """
    Reduces a block along `axis` (`sum`, `prod`, `max`, `min`, or the i32
    position of the first extreme for `argmax` / `argmin`). Reducing a 1-D
    block gives a scalar.

        %s = device.reduce "sum" %x {axis = 1 : i64} : tensor<4x128xf32> -> tensor<4xf32>
    """

    name = "device.reduce"
    kind = prop_def(StringAttr)
    input = operand_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(AnyAttr())
    traits = traits_def(Pure())
    assembly_format = "$kind $input attr-dict `:` type($input) `->` type($result)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, kind: str, value: SSAValue, axis: int):
        shape = list(shape_of(value.type))
        del shape[axis]
        elem = i32 if kind.startswith("arg") else element_of(value.type)
        super().__init__(
            operands=[value],
            properties={"kind": StringAttr(kind), "axis": IntegerAttr(axis, 64)},
            result_types=[block_type(shape, elem)])

    def verify_(self) -> None:
        if self.kind.data not in REDUCE_KINDS:
            raise VerifyException(f"expected a kind in {REDUCE_KINDS}, got {self.kind.data}")
        shape = list(shape_of(self.input.type))
        axis = self.axis.value.data
        if not 0 <= axis < len(shape):
            raise VerifyException(f"expected axis in [0, {len(shape)}), got {axis}")
        del shape[axis]
        elem = i32 if self.kind.data.startswith("arg") else element_of(self.input.type)
        expect("result type", block_type(shape, elem), self.result.type)


SCAN_KINDS = ("sum", "prod")


@irdl_op_definition
class ScanOp(IRDLOperation):
    """
    Inclusive scan of a block along `axis`: element `i` combines elements
    `0..i` (`sum`: `tl.cumsum`, `prod`: `tl.cumprod`); same type as the input.

        %s = device.scan "sum" %x {axis = 1 : i64} : tensor<4x128xf32> -> tensor<4x128xf32>
    """

    name = "device.scan"
    kind = prop_def(StringAttr)
    input = operand_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$kind $input attr-dict `:` type($input) `->` type($result)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, kind: str, value: SSAValue, axis: int):
        super().__init__(operands=[value], result_types=[value.type],
                         properties={"kind": StringAttr(kind), "axis": IntegerAttr(axis, 64)})

    def verify_(self) -> None:
        if self.kind.data not in SCAN_KINDS:
            raise VerifyException(f"expected a kind in {SCAN_KINDS}, got {self.kind.data}")
        axis = self.axis.value.data
        if not 0 <= axis < len(shape_of(self.input.type)):
            raise VerifyException(f"expected axis in [0, {len(shape_of(self.input.type))}), got {axis}")
        expect("result type", self.input.type, self.result.type)


@irdl_op_definition
class DotOp(IRDLOperation):
    """
    `acc + a @ b` on blocks of at least 16x16; `input_precision` as in
    `tl.dot` ("ieee" keeps float32 exact to NumPy's rounding).

        %c = device.dot %a, %b, %acc : tensor<32x16xf32>, tensor<16x32xf32> -> tensor<32x32xf32>
    """

    name = "device.dot"
    T: ClassVar = VarConstraint("T", base(TensorType))
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    acc = operand_def(T)
    input_precision = prop_def(StringAttr, default_value=StringAttr("ieee"))
    result = result_def(T)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs `,` $acc attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, lhs: SSAValue, rhs: SSAValue, acc: SSAValue):
        super().__init__(operands=[lhs, rhs, acc], result_types=[acc.type])

    def verify_(self) -> None:
        (m, k), (k2, n) = shape_of(self.lhs.type), shape_of(self.rhs.type)
        expect("rhs rows", k, k2)
        expect("result shape", (m, n), shape_of(self.result.type))
        expect("accumulator type", self.result.type, self.acc.type)
        if min(m, n, k) < 16:
            raise VerifyException(f"expected dot blocks of at least 16, got {(m, n, k)}")


@irdl_op_definition
class SelectOp(IRDLOperation):
    """
    Lane-wise `cond ? lhs : rhs` (`tl.where`); arith.select takes a scalar
    condition only.

        %y = device.select %m, %a, %b : tensor<128xi1>, tensor<128xf32>
    """

    name = "device.select"
    T: ClassVar = VarConstraint("T", AnyAttr())
    cond = operand_def(AnyAttr())
    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(T)
    traits = traits_def(Pure())
    assembly_format = "$cond `,` $lhs `,` $rhs attr-dict `:` type($cond) `,` type($result)"

    def __init__(self, cond: SSAValue, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[cond, lhs, rhs], result_types=[lhs.type])

    def verify_(self) -> None:
        expect("condition type", block_type(shape_of(self.lhs.type), IntegerType(1)),
                self.cond.type)


@irdl_op_definition
class CmpOp(IRDLOperation):
    """
    Lane-wise comparison giving an i1 block: integers compare signed; for
    floats see CMP_PREDICATES (`ne` is unordered, as Triton's `!=`).

        %m = device.cmp "lt" %idx, %n : tensor<128xi32> -> tensor<128xi1>
    """

    name = "device.cmp"
    T: ClassVar = VarConstraint("T", AnyAttr())
    predicate = prop_def(StringAttr)
    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(AnyAttr())
    traits = traits_def(Pure())
    assembly_format = "$predicate $lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)"

    def __init__(self, predicate: str, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[lhs, rhs], properties={"predicate": StringAttr(predicate)},
                         result_types=[block_type(shape_of(lhs.type), IntegerType(1))])

    def verify_(self) -> None:
        if self.predicate.data not in CMP_PREDICATES:
            raise VerifyException(
                f"expected a predicate in {CMP_PREDICATES}, got {self.predicate.data}")
        expect("result type", block_type(shape_of(self.lhs.type), IntegerType(1)),
                self.result.type)


@irdl_op_definition
class CastOp(IRDLOperation):
    """
    Lane-wise element type conversion (`x.to(dtype)`): int <-> float, widen,
    narrow; i1 converts as 0/1.

        %f = device.cast %i : tensor<128xi32> -> tensor<128xf32>
    """

    name = "device.cast"
    input = operand_def(AnyAttr())
    result = result_def(AnyAttr())
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, value: SSAValue, element: Attribute):
        super().__init__(operands=[value],
                         result_types=[block_type(shape_of(value.type), element)])

    def verify_(self) -> None:
        expect("result shape", shape_of(self.input.type), shape_of(self.result.type))
        for typ in (self.input.type, self.result.type):
            if not isinstance(element_of(typ), IntegerType | AnyFloat):
                raise VerifyException(f"expected integer or float elements, got {typ}")
