"""Elementwise ops of the `tf` dialect added in language version 2: more
unary math (`log1p`, `expm1`, `tan`, `atan`, `square`, `reciprocal`,
`softplus`), the predicates `isnan` / `isinf` (an `i1` result), `atan2`,
`clip` (three broadcasting operands) and the activations `leaky_relu` /
`elu` (a float attribute `alpha`).

Each op's `NUMPY` is its meaning on NumPy arrays (what the eager target runs
and `fold-constants` folds with); the docstring states it in words, with the
values it takes at NaN, infinities and signed zeros where NumPy is subtle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from xdsl.dialects.builtin import FloatAttr, IntegerType, TensorType, f64
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

from tfir.dialects import shape_rules as rules
from tfir.dialects.dtypes import FLOAT_DTYPES, NUMERIC_DTYPES
from tfir.dialects.tf.base import (
    UNARY_FORMAT,
    ElementwiseBinaryOp,
    ElementwiseUnaryOp,
    VerifyCall,
    check_result_shape,
    elem_of,
    shape_of,
)


def _zero_like(x: np.ndarray) -> Any:
    return x.dtype.type(0) if x.dtype.kind == "f" else 0


def softplus(x: np.ndarray) -> np.ndarray:
    """`log(1 + exp(x))` without overflow: NumPy's `logaddexp(0, x)`."""
    return np.logaddexp(_zero_like(x), x)


def square(x: np.ndarray) -> np.ndarray:
    return np.multiply(x, x)


def reciprocal(x: np.ndarray) -> np.ndarray:
    return np.divide(x.dtype.type(1), x)


@irdl_op_definition
class Log1pOp(ElementwiseUnaryOp):
    """`log(1 + x)`, accurate for tiny `x` (`log1p(1e-10)` is `1e-10`), as
    `numpy.log1p`: -1 gives -inf, below -1 NaN.

    ```mlir
    %r = tf.log1p %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.log1p"
    NUMPY = staticmethod(np.log1p)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class Expm1Op(ElementwiseUnaryOp):
    """`exp(x) - 1`, accurate for tiny `x`, as `numpy.expm1` (-inf gives -1).

    ```mlir
    %r = tf.expm1 %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.expm1"
    NUMPY = staticmethod(np.expm1)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class TanOp(ElementwiseUnaryOp):
    """Tangent, as `numpy.tan` (an infinity gives NaN).

    ```mlir
    %r = tf.tan %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.tan"
    NUMPY = staticmethod(np.tan)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class AtanOp(ElementwiseUnaryOp):
    """Arc tangent in `[-pi/2, pi/2]`, as `numpy.arctan` (+-inf give +-pi/2).

    ```mlir
    %r = tf.atan %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.atan"
    NUMPY = staticmethod(np.arctan)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class SquareOp(ElementwiseUnaryOp):
    """`x * x` (integers wrap as NumPy's do).

    ```mlir
    %r = tf.square %x : (tensor<8xi32>) -> tensor<8xi32>
    ```
    """

    name = "tf.square"
    NUMPY = staticmethod(square)


@irdl_op_definition
class ReciprocalOp(ElementwiseUnaryOp):
    """`1 / x` on floats (+-0 give +-inf). Integers are rejected: NumPy's
    integer `reciprocal` truncates to 0 for every `|x| > 1`.

    ```mlir
    %r = tf.reciprocal %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.reciprocal"
    NUMPY = staticmethod(reciprocal)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class SoftplusOp(ElementwiseUnaryOp):
    """`log(1 + exp(x))`, computed as `max(x, 0) + log1p(exp(-|x|))` so that
    it neither overflows for large `x` (softplus(100) is 100) nor loses the
    tail for very negative `x` (softplus(-100) is exp(-100)); as
    `numpy.logaddexp(0, x)`. Its derivative is `sigmoid(x)`.

    ```mlir
    %r = tf.softplus %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.softplus"
    NUMPY = staticmethod(softplus)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


class ElementwisePredicateOp(IRDLOperation):
    """Base of elementwise tests: an `i1` result of the operand's shape."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = UNARY_FORMAT
    NUMPY: ClassVar[Callable[..., Any]]
    OPERAND_DTYPES: ClassVar[frozenset[str]] = NUMERIC_DTYPES

    def __init__(self, input: SSAValue, result_type: Attribute | None = None):
        if result_type is None:
            result_type = TensorType(IntegerType(1), shape_of(input))
        super().__init__(operands=[input], result_types=[result_type])

    def verify_(self) -> None:
        if elem_of(self.result) != IntegerType(1):
            raise VerifyException(f"expected an i1 result, got {elem_of(self.result)}")
        check_result_shape(shape_of(self.input), self.result)


@irdl_op_definition
class IsnanOp(ElementwisePredicateOp):
    """Whether each element is NaN (always false for integers), as `numpy.isnan`.

    ```mlir
    %r = tf.isnan %x : (tensor<8xf32>) -> tensor<8xi1>
    ```
    """

    name = "tf.isnan"
    NUMPY = staticmethod(np.isnan)


@irdl_op_definition
class IsinfOp(ElementwisePredicateOp):
    """Whether each element is +inf or -inf (always false for integers), as `numpy.isinf`.

    ```mlir
    %r = tf.isinf %x : (tensor<8xf32>) -> tensor<8xi1>
    ```
    """

    name = "tf.isinf"
    NUMPY = staticmethod(np.isinf)


@irdl_op_definition
class Atan2Op(ElementwiseBinaryOp):
    """The angle of the point `(x=rhs, y=lhs)`, in `[-pi, pi]`, broadcasting,
    as `numpy.arctan2(lhs, rhs)` including its signed zeros and infinities
    (`atan2(+0, -0)` is pi, `atan2(inf, inf)` is pi/4).

    ```mlir
    %r = tf.atan2 %y, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.atan2"
    NUMPY = staticmethod(np.arctan2)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


def clip(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(x, lo), hi)


@irdl_op_definition
class ClipOp(IRDLOperation):
    """`minimum(maximum(x, lo), hi)`, broadcasting all three, as `numpy.clip`:
    NaN in `x` stays NaN, and where `lo > hi` the result is `hi`.

    ```mlir
    %r = tf.clip %x, %lo, %hi : (tensor<4x5xf32>, tensor<f32>, tensor<5xf32>) -> tensor<4x5xf32>
    ```
    """

    name = "tf.clip"
    input = operand_def(TensorType)
    lo = operand_def(TensorType)
    hi = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input `,` $lo `,` $hi attr-dict `:` functional-type(operands, results)"
    NUMPY = staticmethod(clip)

    def __init__(self, input: SSAValue, lo: SSAValue, hi: SSAValue, result_type: Attribute):
        super().__init__(operands=[input, lo, hi], result_types=[result_type])

    def verify_(self) -> None:
        if not elem_of(self.input) == elem_of(self.lo) == elem_of(self.hi) == elem_of(self.result):
            raise VerifyException("expected one dtype for the operands and the result")
        shapes = [shape_of(self.input), shape_of(self.lo), shape_of(self.hi)]
        check_result_shape(rules.broadcast(VerifyCall(self), shapes), self.result)


class AlphaActivationOp(IRDLOperation):
    """Base of elementwise activations with a float parameter `alpha`."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    alpha = attr_def(FloatAttr)
    traits = traits_def(Pure())
    assembly_format = UNARY_FORMAT

    def __init__(self, input: SSAValue, alpha: float, result_type: Attribute | None = None):
        super().__init__(operands=[input], result_types=[result_type or input.type],
                         attributes={"alpha": FloatAttr(float(alpha), f64)})

    @property
    def alpha_value(self) -> float:
        return float(self.alpha.value.data)

    def verify_(self) -> None:
        if self.input.type != self.result.type:
            raise VerifyException(f"expected result type {self.input.type}, got {self.result.type}")


@irdl_op_definition
class LeakyReluOp(AlphaActivationOp):
    """`x` where `x >= 0`, else `alpha * x` (as `jax.nn.leaky_relu`; NaN stays NaN).

    ```mlir
    %r = tf.leaky_relu %x {alpha = 1.000000e-02 : f64} : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.leaky_relu"

    @staticmethod
    def numpy(x: np.ndarray, alpha: float) -> np.ndarray:
        return np.where(x >= 0, x, x * x.dtype.type(alpha))


@irdl_op_definition
class EluOp(AlphaActivationOp):
    """`x` where `x > 0`, else `alpha * expm1(x)` (as `jax.nn.elu`; NaN stays NaN).

    ```mlir
    %r = tf.elu %x {alpha = 1.000000e+00 : f64} : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.elu"

    @staticmethod
    def numpy(x: np.ndarray, alpha: float) -> np.ndarray:
        return np.where(x > 0, x, x.dtype.type(alpha) * np.expm1(x))


ELEMENTWISE_UNARY_V2 = (Log1pOp, Expm1Op, TanOp, AtanOp, SquareOp, ReciprocalOp, SoftplusOp)
PREDICATES = (IsnanOp, IsinfOp)
ACTIVATIONS = (LeakyReluOp, EluOp)
MATH_OPS = (*ELEMENTWISE_UNARY_V2, *PREDICATES, Atan2Op, ClipOp, *ACTIVATIONS)
