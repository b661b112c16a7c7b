"""Reductions of the `tf` dialect added in language version 2: `any` / `all`
over `i1` tensors, and the variance and standard deviation `var` / `std`
with NumPy's `ddof`.

All reduce over `axes` (sorted, non-negative), optionally keeping them, like
the reductions of `reductions.py`; `decompose-tf-ops` rewrites them into
those reductions before linalg.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import IntegerAttr, IntegerType, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import attr_def, irdl_op_definition
from xdsl.utils.exceptions import VerifyException

from tfir.dialects.tf.base import ReductionOp, elem_of


class BoolReductionOp(ReductionOp):
    """Base of `any` / `all`: an `i1` operand and result."""

    def verify_(self) -> None:
        super().verify_()
        if elem_of(self.input) != IntegerType(1):
            raise VerifyException(f"expected an i1 operand, got {elem_of(self.input)}")


@irdl_op_definition
class AnyOp(BoolReductionOp):
    """Whether any element over `axes` is true (false over no elements), as `numpy.any`.

    ```mlir
    %r = tf.any %x {axes = array<i64: 1>, keepdims = false} : (tensor<4x5xi1>) -> tensor<4xi1>
    ```
    """

    name = "tf.any"


@irdl_op_definition
class AllOp(BoolReductionOp):
    """Whether every element over `axes` is true (true over no elements), as `numpy.all`.

    ```mlir
    %r = tf.all %x {axes = array<i64: 0>, keepdims = true} : (tensor<4x5xi1>) -> tensor<1x5xi1>
    ```
    """

    name = "tf.all"


class MomentOp(ReductionOp):
    """Base of `var` / `std`: a float reduction with `ddof`."""

    ddof = attr_def(IntegerAttr)

    def __init__(self, input: SSAValue, axes: Sequence[int], keepdims: bool, ddof: int,
                 result_type: Attribute):
        super().__init__(input, axes, keepdims, result_type)
        self.attributes["ddof"] = IntegerAttr(ddof, i64)

    @property
    def ddof_value(self) -> int:
        return int(self.ddof.value.data)


@irdl_op_definition
class VarOp(MomentOp):
    """Variance over `axes`: `sum((x - mean(x))**2) / (n - ddof)` with `n` the
    number of elements reduced, as `numpy.var(x, axis, ddof=ddof)` (`n <= ddof`
    divides by zero or a negative count: inf or NaN, as NumPy).

    ```mlir
    %v = tf.var %x {axes = array<i64: 0>, keepdims = false, ddof = 1 : i64} : (tensor<4x5xf32>) -> tensor<5xf32>
    ```
    """

    name = "tf.var"


@irdl_op_definition
class StdOp(MomentOp):
    """Standard deviation: `sqrt(var(x, axes, ddof))`, as `numpy.std`.

    ```mlir
    %s = tf.std %x {axes = array<i64: 0, 1>, keepdims = true, ddof = 0 : i64} : (tensor<4x5xf32>) -> tensor<1x1xf32>
    ```
    """

    name = "tf.std"


STATS_OPS = (AnyOp, AllOp, VarOp, StdOp)
