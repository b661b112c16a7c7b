"""`decompose-tf-ops`: `tf` primitives that have no linalg lowering of their
own are replaced by the `tf` ops of their decomposition
(`dialects/decompositions.py`): `var`, `std`, `any`, `all`, `tril`, `triu`,
`flip`, `tile`, `repeat`, `einsum`, `conv`, `max_pool2d`, `avg_pool2d`.

Precondition: the `tf` form (docs/ir-levels.md, level 1), after
`inline-calls` and `expand-custom-ops`.

Produces: the same form without those ops. Every op created keeps the
location of the op it replaces, so diagnostics and generated code point at
the `.tf` call. The tf-level optimizations that follow (canonicalization,
constant folding, CSE) then see only the primitives the linalg lowering knows.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.dialects.decompositions import DECOMPOSITIONS, decompose


@dataclass(frozen=True)
class DecomposeTfOps(ModulePass):
    """Replace the decomposable `tf` primitives by their decompositions."""

    name = "decompose-tf-ops"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for inner in [o for o in op.walk() if o.name in DECOMPOSITIONS]:
            found = decompose(inner)
            assert found is not None
            new_ops, value = found
            for new in new_ops:
                for nested in new.walk():
                    nested.location = inner.location
            Rewriter.insert_op(new_ops, InsertPoint.before(inner))
            inner.results[0].replace_all_uses_with(value)
            Rewriter.erase_op(inner)
