"""The `tf` dialect: tensor-level primitives with value semantics.

Every op works on builtin `tensor<...>` types with static shapes (a program is
specialized per input signature before it is lowered). Elementwise ops
broadcast their operands as NumPy does; the result type carries the
broadcast shape:

```mlir
%y = tf.add %a, %b : (tensor<4x5xf32>, tensor<5xf32>) -> tensor<4x5xf32>
%m = tf.max %y {axes = array<i64: 1>, keepdims = false} : (tensor<4x5xf32>) -> tensor<4xf32>
```
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    BoolAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    IntegerType,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, Dialect, Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    attr_def,
    irdl_op_definition,
    operand_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import ConstantLike, Pure
from xdsl.utils.exceptions import VerifyException

BINARY_FORMAT = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"
UNARY_FORMAT = "$input attr-dict `:` functional-type(operands, results)"


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...] | None:
    """NumPy's broadcasting of static shapes; None when they do not broadcast."""
    rank = max((len(s) for s in shapes), default=0)
    out: list[int] = []
    for i in range(rank):
        dims = {s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0}
        dims.discard(1)
        if len(dims) > 1:
            return None
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def _shape(value: SSAValue | Attribute) -> tuple[int, ...]:
    typ = value.type if isinstance(value, SSAValue) else value
    assert isinstance(typ, TensorType)
    return tuple(typ.get_shape())


def _elem(value: SSAValue | Attribute) -> Attribute:
    typ = value.type if isinstance(value, SSAValue) else value
    assert isinstance(typ, TensorType)
    return typ.get_element_type()


def _check_broadcast(op: Operation, operands: Sequence[SSAValue], result: SSAValue) -> None:
    want = broadcast_shapes(*(_shape(v) for v in operands))
    got = _shape(result)
    if want != got:
        raise VerifyException(f"expected result shape {want}, got {got}")


def _axes_of(attr: DenseArrayBase) -> tuple[int, ...]:
    return tuple(int(a) for a in attr.get_values())


class ElementwiseBinaryOp(IRDLOperation, abc.ABC):
    """Base of broadcasting binary ops whose result has the operands' dtype."""

    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = BINARY_FORMAT
    RESULT_IS_BOOL: ClassVar[bool] = False

    def __init__(self, lhs: SSAValue, rhs: SSAValue, result_type: Attribute):
        super().__init__(operands=[lhs, rhs], result_types=[result_type])

    def verify_(self) -> None:
        if _elem(self.lhs) != _elem(self.rhs):
            raise VerifyException(
                f"expected operands of one dtype, got {_elem(self.lhs)} and {_elem(self.rhs)}"
            )
        want = IntegerType(1) if self.RESULT_IS_BOOL else _elem(self.lhs)
        if _elem(self.result) != want:
            raise VerifyException(f"expected result dtype {want}, got {_elem(self.result)}")
        _check_broadcast(self, [self.lhs, self.rhs], self.result)


class CompareOp(ElementwiseBinaryOp, abc.ABC):
    """Base of broadcasting comparisons: the result is `i1`."""

    RESULT_IS_BOOL: ClassVar[bool] = True


class ElementwiseUnaryOp(IRDLOperation, abc.ABC):
    """Base of elementwise unary ops: the result has the operand's type."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = UNARY_FORMAT

    def __init__(self, input: SSAValue, result_type: Attribute | None = None):
        super().__init__(operands=[input], result_types=[result_type or input.type])

    def verify_(self) -> None:
        if self.input.type != self.result.type:
            raise VerifyException(f"expected result type {self.input.type}, got {self.result.type}")


def _binary(name: str, doc: str, base: type = ElementwiseBinaryOp) -> type[IRDLOperation]:
    cls = type(name.title().replace("_", "") + "Op", (base,), {"name": f"tf.{name}", "__doc__": doc})
    return irdl_op_definition(cls)


def _unary(name: str, doc: str) -> type[IRDLOperation]:
    cls = type(name.title().replace("_", "") + "Op", (ElementwiseUnaryOp,),
               {"name": f"tf.{name}", "__doc__": doc})
    return irdl_op_definition(cls)


AddOp = _binary("add", "`lhs + rhs`, broadcasting.")
SubOp = _binary("sub", "`lhs - rhs`, broadcasting.")
MulOp = _binary("mul", "`lhs * rhs`, broadcasting.")
DivOp = _binary("div", "`lhs / rhs` on floats, broadcasting.")
PowOp = _binary("pow", "`lhs ** rhs`, broadcasting.")
MaximumOp = _binary("maximum", "Elementwise maximum (NaN-propagating, as NumPy).")
MinimumOp = _binary("minimum", "Elementwise minimum (NaN-propagating, as NumPy).")
FloordivOp = _binary("floordiv", "Floor division, rounding toward -inf as NumPy.")
ModOp = _binary("mod", "Modulo with the sign of the divisor, as NumPy.")
LogicalAndOp = _binary("logical_and", "Logical and of `i1` tensors.")
LogicalOrOp = _binary("logical_or", "Logical or of `i1` tensors.")
EqualOp = _binary("equal", "`lhs == rhs`, an `i1` tensor.", CompareOp)
NotEqualOp = _binary("not_equal", "`lhs != rhs`, an `i1` tensor.", CompareOp)
LessOp = _binary("less", "`lhs < rhs`, an `i1` tensor.", CompareOp)
LessEqualOp = _binary("less_equal", "`lhs <= rhs`, an `i1` tensor.", CompareOp)
GreaterOp = _binary("greater", "`lhs > rhs`, an `i1` tensor.", CompareOp)
GreaterEqualOp = _binary("greater_equal", "`lhs >= rhs`, an `i1` tensor.", CompareOp)

NegOp = _unary("neg", "`-x`.")
AbsOp = _unary("abs", "`|x|`.")
ExpOp = _unary("exp", "`e ** x`.")
LogOp = _unary("log", "Natural logarithm.")
SqrtOp = _unary("sqrt", "Square root.")
RsqrtOp = _unary("rsqrt", "`1 / sqrt(x)`.")
TanhOp = _unary("tanh", "Hyperbolic tangent.")
SinOp = _unary("sin", "Sine.")
CosOp = _unary("cos", "Cosine.")
FloorOp = _unary("floor", "Round toward -inf.")
CeilOp = _unary("ceil", "Round toward +inf.")
SignOp = _unary("sign", "-1, 0 or 1 (NaN stays NaN).")
ErfOp = _unary("erf", "The error function.")
SigmoidOp = _unary("sigmoid", "`1 / (1 + exp(-x))`.")
ReluOp = _unary("relu", "`max(x, 0)`.")
LogicalNotOp = _unary("logical_not", "Logical not of an `i1` tensor.")


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
        if _elem(self.cond) != IntegerType(1):
            raise VerifyException(f"expected an i1 condition, got {_elem(self.cond)}")
        if not (_elem(self.lhs) == _elem(self.rhs) == _elem(self.result)):
            raise VerifyException(
                f"expected one dtype for both branches and the result, got "
                f"{_elem(self.lhs)}, {_elem(self.rhs)} and {_elem(self.result)}"
            )
        _check_broadcast(self, [self.cond, self.lhs, self.rhs], self.result)


class ShapeOp(IRDLOperation, abc.ABC):
    """Base of one-operand ops whose result type (shape, dtype) is carried by the result only."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = UNARY_FORMAT

    def __init__(self, input: SSAValue, result_type: Attribute):
        super().__init__(operands=[input], result_types=[result_type])

    def _check_elem(self) -> None:
        if _elem(self.input) != _elem(self.result):
            raise VerifyException(f"expected result dtype {_elem(self.input)}, got {_elem(self.result)}")


@irdl_op_definition
class CastOp(ShapeOp):
    """Element type conversion, as NumPy's `astype`.

    ```mlir
    %r = tf.cast %x : (tensor<6xi32>) -> tensor<6xf32>
    ```
    """

    name = "tf.cast"

    def verify_(self) -> None:
        if _shape(self.input) != _shape(self.result):
            raise VerifyException(f"expected result shape {_shape(self.input)}, got {_shape(self.result)}")


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
        return _axes_of(self.axes)

    @property
    def keeps_dims(self) -> bool:
        return bool(self.keepdims.value.data)

    def verify_(self) -> None:
        shape = _shape(self.input)
        axes = self.axes_tuple
        if any(not 0 <= a < len(shape) for a in axes) or len(set(axes)) != len(axes):
            raise VerifyException(f"expected distinct axes in [0, {len(shape)}), got {list(axes)}")
        keep = self.keeps_dims
        want = tuple(1 if i in axes else d for i, d in enumerate(shape) if keep or i not in axes)
        if _shape(self.result) != want:
            raise VerifyException(f"expected result shape {want}, got {_shape(self.result)}")
        if _elem(self.result) != self.result_elem():
            raise VerifyException(f"expected result dtype {self.result_elem()}, got {_elem(self.result)}")

    def result_elem(self) -> Attribute:
        return _elem(self.input)


def _reduction(name: str, doc: str) -> type[IRDLOperation]:
    cls = type(name.title() + "Op", (ReductionOp,), {"name": f"tf.{name}", "__doc__": doc})
    return irdl_op_definition(cls)


SumOp = _reduction("sum", "Sum over `axes`; the result keeps the operand's dtype.")
MeanOp = _reduction("mean", "Arithmetic mean over `axes` (floats only).")
MaxOp = _reduction("max", "Maximum over `axes`.")
MinOp = _reduction("min", "Minimum over `axes`.")
ProdOp = _reduction("prod", "Product over `axes`.")


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
        shape = _shape(self.input)
        axis = self.axis.value.data
        if not 0 <= axis < len(shape):
            raise VerifyException(f"expected an axis in [0, {len(shape)}), got {axis}")
        want = shape[:axis] + shape[axis + 1:]
        if _shape(self.result) != want or _elem(self.result) != i64:
            raise VerifyException(f"expected tensor of i64 with shape {want}, got {self.result.type}")


@irdl_op_definition
class ArgmaxOp(ArgReductionOp):
    """Index of the first maximum along `axis`."""

    name = "tf.argmax"


@irdl_op_definition
class ArgminOp(ArgReductionOp):
    """Index of the first minimum along `axis`."""

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
        want = matmul_shape(_shape(self.lhs), _shape(self.rhs))
        if want is None:
            raise VerifyException(f"expected matching contraction dims, got {self.lhs.type} and {self.rhs.type}")
        if want != _shape(self.result):
            raise VerifyException(f"expected result shape {want}, got {_shape(self.result)}")


def matmul_shape(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...] | None:
    """The shape of `numpy.matmul(a, b)`, or None when it is undefined."""
    if not a or not b:
        return None
    a2 = (1, *a) if len(a) == 1 else tuple(a)
    b2 = (*b, 1) if len(b) == 1 else tuple(b)
    if a2[-1] != b2[-2]:
        return None
    batch = broadcast_shapes(a2[:-2], b2[:-2])
    if batch is None:
        return None
    out = (*batch, a2[-2], b2[-1])
    if len(b) == 1:
        out = out[:-1]
    if len(a) == 1:
        out = out[:-2] + out[-1:] if len(b) > 1 else out[:-1]
    return out


@irdl_op_definition
class TransposeOp(IRDLOperation):
    """Permutes the axes: result axis `i` is operand axis `perm[i]`."""

    name = "tf.transpose"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    perm = attr_def(DenseArrayBase)
    traits = traits_def(Pure())
    assembly_format = UNARY_FORMAT

    def __init__(self, input: SSAValue, perm: Sequence[int], result_type: Attribute):
        super().__init__(operands=[input], result_types=[result_type],
                         attributes={"perm": DenseArrayBase.from_list(i64, list(perm))})

    @property
    def perm_tuple(self) -> tuple[int, ...]:
        return _axes_of(self.perm)

    def verify_(self) -> None:
        shape, perm = _shape(self.input), self.perm_tuple
        if sorted(perm) != list(range(len(shape))):
            raise VerifyException(f"expected a permutation of {len(shape)} axes, got {list(perm)}")
        want = tuple(shape[p] for p in perm)
        if _shape(self.result) != want:
            raise VerifyException(f"expected result shape {want}, got {_shape(self.result)}")


@irdl_op_definition
class ReshapeOp(ShapeOp):
    """Row-major reshape to the result type's shape (same element count)."""

    name = "tf.reshape"

    def verify_(self) -> None:
        self._check_elem()
        n_in, n_out = _numel(_shape(self.input)), _numel(_shape(self.result))
        if n_in != n_out:
            raise VerifyException(f"expected {n_in} elements in the result, got {n_out}")


@irdl_op_definition
class BroadcastToOp(ShapeOp):
    """Broadcasts the operand to the result type's shape, as NumPy."""

    name = "tf.broadcast_to"

    def verify_(self) -> None:
        self._check_elem()
        out = _shape(self.result)
        if broadcast_shapes(_shape(self.input), out) != out:
            raise VerifyException(f"expected a shape {_shape(self.input)} broadcasts to, got {out}")


@irdl_op_definition
class SliceOp(ShapeOp):
    """Strided slice: result element `i` is operand element `start + i * stride`
    per axis (strides may be negative); the rank is kept.

    ```mlir
    %s = tf.slice %x {start = array<i64: 1, 0>, stride = array<i64: 2, -1>} : (tensor<5x6xf32>) -> tensor<2x6xf32>
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
        self._check_elem()
        shape, out = _shape(self.input), _shape(self.result)
        start, stride = _axes_of(self.start), _axes_of(self.stride)
        if not len(shape) == len(out) == len(start) == len(stride):
            raise VerifyException(f"expected start and stride of rank {len(shape)}")
        for dim, n, s, k in zip(shape, out, start, stride, strict=True):
            if k == 0 or (n > 0 and not (0 <= s < dim and 0 <= s + (n - 1) * k < dim)):
                raise VerifyException(f"expected a slice inside dim {dim}, got start {s} stride {k} size {n}")


@irdl_op_definition
class ConcatOp(IRDLOperation):
    """Concatenation along `axis`, as `numpy.concatenate`."""

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
        shapes = [_shape(v) for v in self.inputs]
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        if tuple(out) != _shape(self.result):
            raise VerifyException(f"expected result shape {tuple(out)}, got {_shape(self.result)}")


@irdl_op_definition
class ConstantOp(IRDLOperation):
    """A constant tensor (splat or dense).

    ```mlir
    %c = tf.constant {value = dense<1.0> : tensor<2x3xf32>} : tensor<2x3xf32>
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
    """`arange(n)`: the 1-D tensor 0, 1, ..., n-1."""

    name = "tf.iota"
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "attr-dict `:` type($result)"

    def __init__(self, result_type: Attribute):
        super().__init__(result_types=[result_type])

    def verify_(self) -> None:
        if len(_shape(self.result)) != 1:
            raise VerifyException(f"expected a 1-D result, got {self.result.type}")


def _numel(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


ELEMENTWISE_BINARY = (AddOp, SubOp, MulOp, DivOp, PowOp, MaximumOp, MinimumOp, FloordivOp,
                      ModOp, LogicalAndOp, LogicalOrOp, EqualOp, NotEqualOp, LessOp,
                      LessEqualOp, GreaterOp, GreaterEqualOp)
ELEMENTWISE_UNARY = (NegOp, AbsOp, ExpOp, LogOp, SqrtOp, RsqrtOp, TanhOp, SinOp, CosOp,
                     FloorOp, CeilOp, SignOp, ErfOp, SigmoidOp, ReluOp, LogicalNotOp)
REDUCTIONS = (SumOp, MeanOp, MaxOp, MinOp, ProdOp)

TF = Dialect(
    "tf",
    [*ELEMENTWISE_BINARY, *ELEMENTWISE_UNARY, SelectOp, CastOp, *REDUCTIONS, ArgmaxOp,
     ArgminOp, MatmulOp, TransposeOp, ReshapeOp, BroadcastToOp, SliceOp, ConcatOp,
     ConstantOp, IotaOp],
    [],
)
