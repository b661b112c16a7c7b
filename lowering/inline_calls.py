"""`inline-calls`: inline every `func.call` into its caller.

Precondition: a module in the `tf` form (docs/ir-levels.md, level 1): public
`func.func`s for the entries and private `func.func`s for specialized callees,
each with one block ending in `func.return`, called with `func.call`. There is
no recursion (the frontend rejects it; a cycle found here fails the pass).

Produces: the same module with no `func.call` to a function defined in it.
Calls are inlined top-down, each callee's body copied once per call, so a
call chain `main -> f -> g` is inlined in
one pass; every inlined op is a clone of the callee's op and keeps its own
location (the callee's source line, not the call's). Private functions that
nothing refers to any more (no call, no symbol reference) are erased; public functions (entries) are kept even when
another entry called them. Calls to declarations (no body) are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.passes import ModulePass

from tfir.lowering.utils.inlining import inline_calls


@dataclass(frozen=True)
class InlineCallsPass(ModulePass):
    """Inline every `func.call` into its caller."""

    name = "inline-calls"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        inline_calls(op)
