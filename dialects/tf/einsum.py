"""`tf.einsum`: Einstein summation over any number of operands, explicit form.

The equation `"ij,jk->ik"` names each operand's axes by a letter (one
subscript per operand, separated by commas) and the result's after `->`. A
letter names one size everywhere it appears; letters absent from the result
are summed over; a letter repeated within one subscript takes that operand's
diagonal (`"ii->i"`). Meaning and result as `numpy.einsum` with the same
equation (no `...`, no implicit form).

`decompose-tf-ops` rewrites an einsum into diagonals, sums, transposes,
reshapes and (batched) matmuls, contracting the operands left to right.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import StringAttr, TensorType
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    attr_def,
    irdl_op_definition,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from tfir.dialects.tf.base import check_result_shape, elem_of, shape_of


class EquationError(ValueError):
    """A malformed equation; `letter` is the offending letter, if one is."""

    def __init__(self, message: str, letter: str | None = None):
        super().__init__(message)
        self.letter = letter


def parse_equation(equation: str, shapes: Sequence[Sequence[object]]) -> tuple[list[str], str, dict[str, object]]:
    """The operand subscripts, the result subscript and the size of each
    letter; `EquationError` when the equation does not fit the operands."""
    text = equation.replace(" ", "")
    if text.count("->") != 1:
        raise EquationError(f"einsum equation {equation!r} needs exactly one '->' (the explicit form)")
    lhs, out = text.split("->")
    subs = lhs.split(",")
    for sub in [*subs, out]:
        for ch in sub:
            if not ("a" <= ch <= "z" or "A" <= ch <= "Z"):
                what = "'...' is not supported" if ch == "." else "subscripts are letters"
                raise EquationError(f"einsum equation {equation!r}: invalid character {ch!r} ({what})", ch)
    if len(subs) != len(shapes):
        raise EquationError(f"einsum equation {equation!r} has {len(subs)} operand subscript"
                            f"{'s' * (len(subs) != 1)} but {len(shapes)} operand{'s' * (len(shapes) != 1)} given")
    sizes: dict[str, object] = {}
    for k, (sub, shape) in enumerate(zip(subs, shapes, strict=True)):
        if len(sub) != len(shape):
            raise EquationError(f"einsum subscript '{sub}' names {len(sub)} axes, but operand {k} has "
                                f"rank {len(shape)}")
        for ch, size in zip(sub, shape, strict=True):
            known = sizes.setdefault(ch, size)
            if isinstance(known, int) and isinstance(size, int) and known != size:
                raise EquationError(f"einsum letter '{ch}' has size {known} and size {size}", ch)
    for ch in out:
        if ch not in sizes:
            raise EquationError(f"einsum output letter '{ch}' appears in no operand subscript", ch)
        if out.count(ch) > 1:
            raise EquationError(f"einsum output letter '{ch}' appears more than once", ch)
    return subs, out, sizes


@irdl_op_definition
class EinsumOp(IRDLOperation):
    """Einstein summation `equation` over the operands, as `numpy.einsum`.

    ```mlir
    %r = tf.einsum %a, %b {equation = "ij,jk->ik"} : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
    ```
    """

    name = "tf.einsum"
    inputs = var_operand_def(TensorType)
    result = result_def(TensorType)
    equation = attr_def(StringAttr)
    traits = traits_def(Pure())
    assembly_format = "$inputs attr-dict `:` functional-type(operands, results)"

    def __init__(self, inputs: Sequence[SSAValue], equation: str, result_type: Attribute):
        super().__init__(operands=[list(inputs)], result_types=[result_type],
                         attributes={"equation": StringAttr(equation)})

    @property
    def equation_text(self) -> str:
        return self.equation.data

    def verify_(self) -> None:
        try:
            _, out, sizes = parse_equation(self.equation_text, [shape_of(v) for v in self.inputs])
        except EquationError as err:
            raise VerifyException(str(err)) from None
        if not self.inputs or any(elem_of(v) != elem_of(self.result) for v in self.inputs):
            raise VerifyException("expected operands of the result's dtype")
        check_result_shape([sizes[ch] for ch in out], self.result)
