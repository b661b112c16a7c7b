"""Elementwise unary ops of the `tf` dialect (the result has the operand's
type) and `tf.cast`."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from xdsl.irdl import irdl_op_definition
from xdsl.utils.exceptions import VerifyException

from tfir.dialects.dtypes import BOOL_DTYPES, FLOAT_DTYPES
from tfir.dialects.tf.base import ElementwiseUnaryOp, ShapeOp, shape_of

# NumPy forms of the ops NumPy has no ufunc for.
erf = np.vectorize(math.erf, otypes=[np.float64])


def rsqrt(x: np.ndarray) -> np.ndarray:
    return 1 / np.sqrt(x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    one = x.dtype.type(1) if x.dtype.kind == "f" else 1.0
    return one / (one + np.exp(-x))


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, x.dtype.type(0))


@irdl_op_definition
class NegOp(ElementwiseUnaryOp):
    """`-x`.

    ```mlir
    %r = tf.neg %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.neg"
    NUMPY = staticmethod(np.negative)


@irdl_op_definition
class AbsOp(ElementwiseUnaryOp):
    """`|x|`.

    ```mlir
    %r = tf.abs %x : (tensor<8xi32>) -> tensor<8xi32>
    ```
    """

    name = "tf.abs"
    NUMPY = staticmethod(np.abs)


@irdl_op_definition
class ExpOp(ElementwiseUnaryOp):
    """`e ** x`.

    ```mlir
    %r = tf.exp %x : (tensor<4x5xf32>) -> tensor<4x5xf32>
    ```
    """

    name = "tf.exp"
    NUMPY = staticmethod(np.exp)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class LogOp(ElementwiseUnaryOp):
    """Natural logarithm.

    ```mlir
    %r = tf.log %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.log"
    NUMPY = staticmethod(np.log)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class SqrtOp(ElementwiseUnaryOp):
    """Square root.

    ```mlir
    %r = tf.sqrt %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.sqrt"
    NUMPY = staticmethod(np.sqrt)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class RsqrtOp(ElementwiseUnaryOp):
    """`1 / sqrt(x)`.

    ```mlir
    %r = tf.rsqrt %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.rsqrt"
    NUMPY = staticmethod(rsqrt)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class TanhOp(ElementwiseUnaryOp):
    """Hyperbolic tangent.

    ```mlir
    %r = tf.tanh %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.tanh"
    NUMPY = staticmethod(np.tanh)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class SinOp(ElementwiseUnaryOp):
    """Sine.

    ```mlir
    %r = tf.sin %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.sin"
    NUMPY = staticmethod(np.sin)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class CosOp(ElementwiseUnaryOp):
    """Cosine.

    ```mlir
    %r = tf.cos %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.cos"
    NUMPY = staticmethod(np.cos)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class FloorOp(ElementwiseUnaryOp):
    """Round toward -inf.

    ```mlir
    %r = tf.floor %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.floor"
    NUMPY = staticmethod(np.floor)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class CeilOp(ElementwiseUnaryOp):
    """Round toward +inf.

    ```mlir
    %r = tf.ceil %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.ceil"
    NUMPY = staticmethod(np.ceil)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class SignOp(ElementwiseUnaryOp):
    """-1, 0 or 1 (NaN stays NaN).

    ```mlir
    %r = tf.sign %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.sign"
    NUMPY = staticmethod(np.sign)


@irdl_op_definition
class ErfOp(ElementwiseUnaryOp):
    """The error function.

    ```mlir
    %r = tf.erf %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.erf"
    NUMPY = staticmethod(erf)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class SigmoidOp(ElementwiseUnaryOp):
    """`1 / (1 + exp(-x))`.

    ```mlir
    %r = tf.sigmoid %x : (tensor<8xf32>) -> tensor<8xf32>
    ```
    """

    name = "tf.sigmoid"
    NUMPY = staticmethod(sigmoid)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = FLOAT_DTYPES


@irdl_op_definition
class ReluOp(ElementwiseUnaryOp):
    """`max(x, 0)`.

    ```mlir
    %r = tf.relu %x : (tensor<4x5xf32>) -> tensor<4x5xf32>
    ```
    """

    name = "tf.relu"
    NUMPY = staticmethod(relu)


@irdl_op_definition
class LogicalNotOp(ElementwiseUnaryOp):
    """Logical not of an `i1` tensor.

    ```mlir
    %r = tf.logical_not %x : (tensor<8xi1>) -> tensor<8xi1>
    ```
    """

    name = "tf.logical_not"
    NUMPY = staticmethod(np.logical_not)
    OPERAND_DTYPES: ClassVar[frozenset[str]] = BOOL_DTYPES


@irdl_op_definition
class CastOp(ShapeOp):
    """Element type conversion, as NumPy's `astype`.

    ```mlir
    %r = tf.cast %x : (tensor<6xi32>) -> tensor<6xf32>
    ```
    """

    name = "tf.cast"

    def verify_(self) -> None:
        if shape_of(self.input) != shape_of(self.result):
            raise VerifyException(f"expected result shape {shape_of(self.input)}, got {shape_of(self.result)}")


ELEMENTWISE_UNARY = (NegOp, AbsOp, ExpOp, LogOp, SqrtOp, RsqrtOp, TanhOp, SinOp, CosOp,
                     FloorOp, CeilOp, SignOp, ErfOp, SigmoidOp, ReluOp, LogicalNotOp)
