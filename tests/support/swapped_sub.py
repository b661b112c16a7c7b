"""A deliberately wrong pass, as a plugin, to demonstrate `tfir bisect` and
`tfir reduce --mismatch` on wrong results: `swap-sub` rewrites `a - b` into
`b - a` after `canonicalize-tf` (every target then computes the wrong sign).

    tfir bisect prog.tf --plugin tests.support.swapped_sub
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from tfir.dialects import tf
from tfir.pipeline import register_pass


@dataclass(frozen=True)
class SwapSub(ModulePass):
    """`a - b` -> `b - a` (wrong on purpose)."""

    name = "swap-sub"

    def apply(self, ctx: object, op: ModuleOp) -> None:
        for inner in list(op.walk()):
            if isinstance(inner, tf.SubOp) and inner.lhs.type == inner.rhs.type:
                lhs, rhs = inner.lhs, inner.rhs
                inner.operands = [rhs, lhs]


register_pass(SwapSub, after="canonicalize-tf")
