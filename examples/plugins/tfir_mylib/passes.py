"""A pass the plugin adds to the pipeline, a rewrite on its own ops:
`hard_tanh(hard_tanh(x, lo1, hi1), lo2, hi2)` is `hard_tanh(x, max(lo1, lo2),
min(hi1, hi2))` when the two ranges overlap."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import FloatAttr, ModuleOp, f64
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern


def _bound(op: Operation, name: str) -> float:
    attr = op.attributes[name]
    assert isinstance(attr, FloatAttr)
    return attr.value.data


class MergeHardTanhPattern(RewritePattern):
    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if op.name != "mylib.hard_tanh":
            return
        inner = op.operands[0].owner
        if not isinstance(inner, Operation) or inner.name != "mylib.hard_tanh":
            return
        lo = max(_bound(op, "lo"), _bound(inner, "lo"))
        hi = min(_bound(op, "hi"), _bound(inner, "hi"))
        if lo > hi:
            return
        attributes = dict(op.attributes) | {"lo": FloatAttr(lo, f64), "hi": FloatAttr(hi, f64)}
        merged = type(op).create(operands=[inner.operands[0]], result_types=[op.results[0].type],
                                 attributes=attributes)
        merged.location = op.location
        rewriter.replace(op, merged)
        if not inner.results[0].uses:
            rewriter.erase(inner)


@dataclass(frozen=True)
class MergeHardTanhPass(ModulePass):
    """Merge nested `mylib.hard_tanh` calls whose ranges overlap (a plugin's pass)."""

    name = "mylib-merge-hard-tanh"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(MergeHardTanhPattern()).rewrite_module(op)
