"""`expand-custom-ops`: ops of user dialects (tfir/plugin.py) decomposed into
`tf` primitives, or marked for the lowering that later stages apply.

Precondition: the `tf` form (docs/ir-levels.md, level 1), after `inline-calls`;
the module may hold ops of registered user dialects.

Produces: the `tf` form in which every custom op that is lowered by
decomposition for the target (option `target`, filled in by the pipeline) is
replaced by the `tf` ops of its decomposition, repeatedly, so that
decompositions may use other custom ops. Every op created keeps the location
of the custom op it replaces. A custom op that is lowered later keeps its
place and gets `tfir.lowering = "linalg"` (its linalg lowering) or `"impl"`
(a call of its hand-written target implementation), both applied by
`convert-tf-to-linalg` through `LINALG_LOWERINGS`. A custom op with no
lowering for the target is a compile error at its call in the `.tf` source
that names the op, the target and the lowerings it has.

What those lowerings are built with (`TfBuilder`, the IR builder of Python
decompositions, and the `convert-tf-to-linalg` hook of custom ops) is in
lowering/utils/custom_ops.py (TfBuilder itself: dialects/tf_builder.py, also used by
`decompose-tf-ops`). Decompositions written as `.tf` functions are
built by the plugin layer (`tfir/plugin.py`), which hands the pass a
callable, so that no pass imports the frontend.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import (
    FileLineColLoc,
    ModuleOp,
    StringAttr,
)
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.dialects.plugins import CUSTOM_OPS, CustomOp
from tfir.errors import CompileError, Diagnostic, Span
from tfir.lowering.utils.custom_ops import LOWERING_ATTR

MAX_DEPTH = 32  # nested expansions before a decomposition is taken to expand into itself


# The pass ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExpandCustomOps(ModulePass):
    """Decompose custom ops into `tf` ops, or mark them for their linalg or target lowering."""

    name = "expand-custom-ops"

    target: str | None = None

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        work = [(o, 0) for o in op.walk() if o.name in CUSTOM_OPS]
        while work:
            custom_op, depth = work.pop()
            custom = CUSTOM_OPS[custom_op.name]
            how = custom.lowering_for(self.target)
            if how is None:
                has = ", ".join(custom.lowerings()) or "none"
                raise _error(custom_op, f"custom op '{custom.qualname}' has no lowering for target "
                                        f"'{self.target}'; it has: {has}")
            if how != "decompose":
                custom_op.attributes[LOWERING_ATTR] = StringAttr(how)
                continue
            if depth >= MAX_DEPTH:
                raise _error(custom_op, f"the decomposition of '{custom.qualname}' expands into itself")
            new_ops = _expand(custom, custom_op)
            work += [(o, depth + 1) for new in new_ops for o in new.walk() if o.name in CUSTOM_OPS]


def _expand(custom: CustomOp, op: Operation) -> list[Operation]:
    """Replaces `op` by its decomposition; returns the ops inserted."""
    assert custom.decomposition is not None
    try:
        new_ops, values = custom.decomposition(op)
    except CompileError as err:
        for d in err.diagnostics:
            d.notes.append(f"while expanding '{custom.qualname}' called at {_where(op)}")
        raise CompileError(err.diagnostics) from None
    except ValueError as err:
        raise _error(op, f"in the decomposition of '{custom.qualname}': {err}") from None
    if len(values) != len(op.results):
        raise _error(op, f"the decomposition of '{custom.qualname}' gives {len(values)} "
                         f"result{'s' * (len(values) != 1)}, the op has {len(op.results)}")
    for i, (v, r) in enumerate(zip(values, op.results, strict=True)):
        if not isinstance(v, SSAValue) or v.type != r.type:
            got = v.type if isinstance(v, SSAValue) else type(v).__name__
            raise _error(op, f"the decomposition of '{custom.qualname}' gives {got} for result {i}, "
                             f"but its shape rule gives {r.type}")
    for new in new_ops:
        for inner in new.walk():
            inner.location = op.location
    Rewriter.insert_op(new_ops, InsertPoint.before(op))
    for old, new_value in zip(op.results, values, strict=True):
        old.replace_all_uses_with(new_value)
    Rewriter.erase_op(op)
    return new_ops


def _where(op: Operation) -> str:
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}"
    return "an unknown location"


def _error(op: Operation, message: str) -> CompileError:
    """A diagnostic at the `.tf` call that created `op`."""
    loc = op.location
    if not isinstance(loc, FileLineColLoc):
        return CompileError([Diagnostic(message, Span.point("<unknown>", 1, 1))])
    filename, line, col = loc.filename.data, loc.line.data, loc.column.data
    width = len(op.name)
    source = None
    try:
        with open(filename, encoding="utf-8") as f:
            source = f.read()
    except OSError:
        pass
    return CompileError([Diagnostic(message, Span(filename, line, col, line, col + width), source_text=source)])




