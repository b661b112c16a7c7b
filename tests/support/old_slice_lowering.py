"""A saved copy of an old bug, as a plugin, to demonstrate `tfir reduce` and
`tfir bisect` on a real compiler fault (issue 13).

Before the fix, `convert-tf-to-linalg` lowered a slice with a negative step
to a `linalg.generic` that read the whole operand through `dI * stride +
start`: on any other axis that the slice shortens, loop `dI` then has two
sizes (the operand's and the result's), which upstream MLIR rejects and
which made `tile-linalg` crash, and the Triton kernels write out of bounds.
Loading this module registers that lowering again as pass
`old-slice-lowering`, right before `convert-tf-to-linalg`:

    tfir run prog.tf --plugin tests.support.old_slice_lowering
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir.affine import AffineExpr, AffineMap
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from tfir.dialects import tf
from tfir.lowering.utils.linalg_builders import PARALLEL, Emitter, elem_of, shape_of
from tfir.pipeline import register_pass


def old_lowering(op: tf.SliceOp) -> None:
    x, out = op.input, shape_of(op.result)
    start, stride = op.start.get_values(), op.stride.get_values()
    em = Emitter(op.location)
    rank = len(out)
    exprs = [AffineExpr.dimension(d) * k + s if (k, s) != (1, 0) else AffineExpr.dimension(d)
             for d, (s, k) in enumerate(zip(start, stride, strict=True))]
    init = em.empty(out, elem_of(x))
    result = em.generic([x], [AffineMap(rank, 0, tuple(exprs))], [init], [AffineMap.identity(rank)],
                        [PARALLEL] * rank, lambda b, args: [args[0]])[0]
    Rewriter.replace_op(op, em.ops, [result])


@dataclass(frozen=True)
class OldSliceLowering(ModulePass):
    """Negative-step slices -> a generic over the whole operand (the old, wrong lowering)."""

    name = "old-slice-lowering"

    def apply(self, ctx: object, op: ModuleOp) -> None:
        for inner in list(op.walk()):
            if isinstance(inner, tf.SliceOp) and any(k < 0 for k in inner.stride.get_values()):
                old_lowering(inner)


register_pass(OldSliceLowering, before="convert-tf-to-linalg")
