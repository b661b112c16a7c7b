"""`differentiate`: reverse-mode automatic differentiation of `tf` programs.

Precondition: the `tf` form (docs/ir-levels.md, level 1), with `tf.gradients`
ops (the frontend's `gradients(y, [x1, ..., xn])`); calls may still be there
(the eager target runs no `inline-calls`).

Produces: the same form with no `tf.gradients`. Each one is replaced by its
backward program, built right before it from the gradient rule of every op
between its values and its target (sweep.py; rules in rules/, one module
per family of ops). The ops of a rule carry the location of the forward op
they differentiate. Calls and custom ops on the way are inlined or
decomposed first (a custom op with a registered gradient rule is kept);
`tf.gradients` nested in others are expanded first, so gradients of
gradients work. Runs for every target, eager included, early in the
pipeline: the gradient program is then simplified, fused and lowered like
any other.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from tfir.dialects import tf
from tfir.lowering.differentiate.builder import erase_dead
from tfir.lowering.differentiate.options import RECOMPUTE
from tfir.lowering.differentiate.rules import (  # noqa: F401  (register the rules)
    control_flow,
    elementwise,
    indexing,
    math,
    nn,
    reductions,
    shapes,
)
from tfir.lowering.differentiate.sweep import expand


@dataclass(frozen=True)
class DifferentiatePass(ModulePass):
    """Expand every `tf.gradients` into its backward program."""

    name = "differentiate"

    recompute: bool = False
    """Loops save only their carried values per iteration and recompute the
    rest of their body in the reverse loop (less memory, one more forward pass)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        token = RECOMPUTE.set(self.recompute)
        try:
            while True:
                grad = next((o for o in op.walk() if isinstance(o, tf.GradientsOp)), None)
                if grad is None:
                    return
                expand(grad)
                erase_dead()
        finally:
            RECOMPUTE.reset(token)
