"""`drop-unused-globals`: constant globals nothing reads any more are erased.

Precondition: the `device` level (docs/ir-levels.md section 6).

Once `inline-scalar-constants` has made the loads of one-value constants
literals and `prune-kernel-args` has dropped the arguments that carried
them, the private constant `memref.global`s no `memref.get_global` names
any more are erased, so the generated module does not define them.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import memref
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter


def drop_unused_globals(module: ModuleOp) -> None:
    """Erases the private constant globals no `memref.get_global` reads any more."""
    used = {op.name_.root_reference.data for op in module.walk()
            if isinstance(op, memref.GetGlobalOp)}
    for glob in [g for g in module.ops if isinstance(g, memref.GlobalOp)]:
        private = glob.sym_visibility is not None and glob.sym_visibility.data == "private"
        if private and glob.constant is not None and glob.sym_name.data not in used:
            Rewriter.erase_op(glob)


@dataclass(frozen=True)
class DropUnusedGlobalsPass(ModulePass):
    """Private constant globals without a reader -> gone."""

    name = "drop-unused-globals"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        drop_unused_globals(op)
