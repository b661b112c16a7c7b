"""`fold-constants`: evaluate `tf` ops whose operands are all constants.

Precondition: the `tf` form (docs/ir-levels.md, level 1), after `inline-calls`.

A `tf` op all of whose operands are defined by `tf.constant` or `tf.iota` is
evaluated with its reference NumPy implementation (the eager backend's
`run_op`, so folding computes exactly what eager execution computes, a
division by zero included) and replaced by a `tf.constant` of its
result, which keeps the folded op's location. Folding repeats until no op
folds, so a whole constant subgraph becomes one constant. An op that the
reference implementation cannot evaluate on its constants (it raises, as
NumPy does for an integer to a negative integer power) is left as it is.

Folding is capped at `max_elements` elements per result (and per `tf.iota`
operand): a big constant is cheaper to compute at run time than to carry in
the IR (xDSL 0.74 stores even a splat `dense<...>` attribute as all of its
elements; the printer shows it as a splat when all elements are bit-equal).
A lone `tf.iota` is not folded either: it is no cheaper as a constant.
Nor is a result that xDSL 0.74 would not print faithfully: one holding NaN
or an infinity (printed as a hex bit pattern its parser misreads), or an
all-zero result mixing `0.0` and `-0.0` (printed as a splat); the op then
computes it at run time.

The conversions between `dense<...>` attributes and NumPy arrays are in
lowering/utils/constants.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)
from xdsl.utils.exceptions import PassFailedException

from tfir.dialects import tf
from tfir.dialects.evaluate import EagerError, run_op
from tfir.errors import ExecutionError
from tfir.lowering.utils.constants import constant_array, dense_attr, numel

DEFAULT_MAX_ELEMENTS = 1 << 16


def _operand_array(value: SSAValue) -> np.ndarray | None:
    owner = value.owner
    if isinstance(owner, tf.ConstantOp):
        return constant_array(owner.value)
    if isinstance(owner, tf.IotaOp):
        return run_op(owner, ())[0]
    return None


def _prints_faithfully(array: np.ndarray) -> bool:
    """Whether xDSL 0.74 prints and parses back a `dense<...>` of `array` unchanged.

    It does not for non-finite floats (printed as hex bit patterns, which its
    parser reads as integer values) nor for `0.0` mixed with `-0.0` (printed as
    a splat of the first, since `0.0 == -0.0`)."""
    if array.dtype.kind != "f" or array.size == 0:
        return True
    if not np.isfinite(array).all():
        return False
    zeros = np.signbit(array[array == 0])
    return zeros.all() or not zeros.any() or not (array == array.flat[0]).all()


@dataclass
class FoldConstantOp(RewritePattern):
    """Replaces a `tf` op on constant operands by the constant it computes."""

    max_elements: int = DEFAULT_MAX_ELEMENTS

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if not self._foldable(op):
            return
        args = [_operand_array(v) for v in op.operands]
        try:
            with np.errstate(all="ignore"):
                results = run_op(op, args)  # type: ignore[arg-type]
        except (EagerError, ExecutionError, ValueError, ArithmeticError):
            # No reference implementation, or it rejects these values (an index check of
            # a literal index out of range): the op stays, to raise at run time as unfolded.
            return
        arrays = [np.asarray(v) for v in results]
        if not all(_prints_faithfully(a) for a in arrays):
            return
        consts: list[Operation] = []
        for result, array in zip(op.results, arrays, strict=True):
            assert isinstance(result.type, TensorType)
            if array.shape != tuple(result.type.get_shape()):
                raise PassFailedException(
                    f"fold-constants: {op.name} gave shape {array.shape}, expected {result.type}")
            const = tf.ConstantOp(dense_attr(array, result.type))
            const.location = op.location
            consts.append(const)
        rewriter.replace(op, consts, [c.results[0] for c in consts])

    def _foldable(self, op: Operation) -> bool:
        if op.dialect_name() != "tf" or isinstance(op, tf.ConstantOp | tf.IotaOp):
            return False
        if not op.operands or any(numel(r.type) > self.max_elements for r in op.results):
            return False
        for v in op.operands:
            if isinstance(v.owner, tf.IotaOp):
                if numel(v.type) > self.max_elements:
                    return False
            elif not isinstance(v.owner, tf.ConstantOp):
                return False
        return True


@dataclass(frozen=True)
class FoldConstantsPass(ModulePass):
    name = "fold-constants"

    max_elements: int = DEFAULT_MAX_ELEMENTS

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier([FoldConstantOp(self.max_elements)]),
        ).rewrite_module(op)
