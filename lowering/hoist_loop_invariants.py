"""`hoist-loop-invariants`: move loop-invariant computations out of loops.

Precondition: the `tf` form (docs/ir-levels.md, level 1), loops as `scf.for`
and `scf.while` with tensor-typed carried values.

Produces the same form. An op in a loop's body (or a `while` loop's
condition region) is moved right before the loop when it has no side effect,
may be executed speculatively (both: `tf` ops are `Pure`), and every value it
uses is defined outside the loop; moved ops make their users candidates too,
so a whole invariant subgraph moves (`x @ w` of a loop-invariant `x` and `w`,
a constant a literal became). Inner loops are visited first, so an invariant
of two nested loops leaves both. Ops with side effects (`tf.check_index`)
and loops themselves stay: a check must run where the program runs it, and a
loop that runs zero times must not run its body's checks. A moved op keeps
its location. It is xDSL's loop-invariant code motion
(`xdsl.transforms.loop_invariant_code_motion`), applied to `scf.while`
regions as well as `scf.for` bodies.

Before hoisting from a `for` loop, work done on one row per iteration of a
loop-invariant tensor is batched (lowering/utils/loop_batching.py): `x[t] @
w` over the rows of `x` becomes `(x @ w)[t]`, whose matmul then leaves the
loop as one large matmul (up to the summation order of that matmul, the same
values).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.builder import Builder
from xdsl.context import Context
from xdsl.dialects import builtin, scf
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern
from xdsl.rewriter import InsertPoint
from xdsl.transforms.loop_invariant_code_motion import _move_loop_invariant_code

from tfir.lowering.utils.loop_batching import batch_rows


class HoistFromLoop(RewritePattern):
    """Hoists the invariant ops of one `scf.for` body or `scf.while` region."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if isinstance(op, scf.ForOp):
            batch_rows(op)  # x[t] @ w over the rows of x: (x @ w)[t], its matmul then invariant
            regions = [op.body]
        elif isinstance(op, scf.WhileOp):
            regions = [op.before_region, op.after_region]
        else:
            return
        for region in regions:
            _move_loop_invariant_code(region, Builder(InsertPoint.before(op)))


@dataclass(frozen=True)
class HoistLoopInvariantsPass(ModulePass):
    name = "hoist-loop-invariants"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        PatternRewriteWalker(HoistFromLoop(), apply_recursively=False,
                             walk_regions_first=True).rewrite_module(op)
