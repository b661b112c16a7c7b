"""`tf.gradients`: reverse-mode differentiation not yet expanded.

The frontend emits one `tf.gradients` per `gradients(y, [x1, ..., xn])` of a
`.tf` program; the `differentiate` pass (lowering/differentiate/) replaces it
by the backward program, so no later pass and no backend ever sees it.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import Float16Type, Float32Type, Float64Type, TensorType
from xdsl.ir import SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from tfir.dialects.tf.base import elem_of

FLOAT_TYPES = (Float16Type, Float32Type, Float64Type)


@irdl_op_definition
class GradientsOp(IRDLOperation):
    """The gradient of `sum(y)` with respect to each of `xs` (TensorFlow's
    `tf.gradients`): result `i` has the type of `xs[i]`; zeros where `y` does
    not depend on `xs[i]`.

    ```mlir
    %gw = tf.gradients %loss, %w : (tensor<f32>, tensor<5xf32>) -> tensor<5xf32>
    ```
    """

    name = "tf.gradients"
    y = operand_def(TensorType)
    xs = var_operand_def(TensorType)
    grads = var_result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$y `,` $xs attr-dict `:` functional-type(operands, results)"

    def __init__(self, y: SSAValue, xs: Sequence[SSAValue]):
        super().__init__(operands=[y, list(xs)], result_types=[[x.type for x in xs]])

    def verify_(self) -> None:
        if not isinstance(elem_of(self.y), FLOAT_TYPES):
            raise VerifyException(f"expected a float target, got {self.y.type}")
        if len(self.xs) != len(self.grads):
            raise VerifyException(f"expected one gradient per value, got {len(self.grads)} for {len(self.xs)}")
        for x, g in zip(self.xs, self.grads, strict=True):
            if not isinstance(elem_of(x), FLOAT_TYPES):
                raise VerifyException(f"expected float values to differentiate by, got {x.type}")
            if x.type != g.type:
                raise VerifyException(f"expected gradient type {x.type}, got {g.type}")
