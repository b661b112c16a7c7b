"""The one `tf` op control flow needs besides xDSL's `scf` ops.

Loops and branches are `scf.for` / `scf.while` / `scf.if` with tensor-typed
carried values (docs/ir-levels.md section 1). A `for` loop's induction
variable is an `index`; `.tf` sees it as an `i32` rank-0 tensor made by
`tf.from_index`. (A condition goes the other way with upstream
`tensor.extract`: a `tensor<i1>` read as the `i1` that `scf` needs.)
"""

from __future__ import annotations

from xdsl.dialects.builtin import IndexType, IntegerType, TensorType
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from tfir.dialects.tf.base import elem_of, shape_of


@irdl_op_definition
class FromIndexOp(IRDLOperation):
    """An `index` (a loop's induction variable) as a rank-0 integer tensor.

    ```mlir
    %t = tf.from_index %i : (index) -> tensor<i32>
    ```
    """

    name = "tf.from_index"
    input = operand_def(IndexType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    def __init__(self, input: SSAValue, result_type: Attribute):
        super().__init__(operands=[input], result_types=[result_type])

    def verify_(self) -> None:
        elem = elem_of(self.result)
        if shape_of(self.result) != () or not isinstance(elem, IntegerType) or elem.width.data == 1:
            raise VerifyException(f"expected a rank-0 integer tensor, got {self.result.type}")
