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

Python decompositions build with `TfBuilder` (dialects/tf_builder.py, also
used by `decompose-tf-ops`); this module holds the `convert-tf-to-linalg`
hook of custom ops. Decompositions written as `.tf` functions are built by the plugin
layer (`tfir/plugin.py`), which hands the pass a callable, so that no pass
imports the frontend.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    FileLineColLoc,
    FunctionType,
    ModuleOp,
    StringAttr,
)
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.dialects.plugins import CUSTOM_OPS, CustomOp
from tfir.errors import CompileError, Diagnostic, Span
from tfir.lowering.convert_tf_to_linalg import LINALG_LOWERINGS
from tfir.lowering.utils.linalg_builders import Emitter

LOWERING_ATTR = "tfir.lowering"
EXTERNAL_ATTR = "tfir.external"
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


# The convert-tf-to-linalg hook ---------------------------------------------------


def linalg_lowering(custom: CustomOp) -> None:
    """Registers how `convert-tf-to-linalg` lowers `custom` (its linalg
    lowering or a call of its target implementation)."""
    LINALG_LOWERINGS[custom.qualname] = lambda op, rewriter: _lower(custom, op, rewriter)


def _lower(custom: CustomOp, op: Operation, rewriter: PatternRewriter) -> None:
    mark = op.attributes.get(LOWERING_ATTR)
    how = mark.data if isinstance(mark, StringAttr) else custom.lowering_for(None)
    if how == "linalg" and custom.linalg is not None:
        em = Emitter(op.location)
        out = custom.linalg(em, *op.operands, **custom.attr_values(op))
        results = list(out) if isinstance(out, tuple | list) else [out]
        rewriter.replace(op, em.ops, results)
    elif how == "impl" and custom.impls:
        rewriter.replace(op, external_call(custom, op, rewriter))


def external_call(custom: CustomOp, op: Operation, rewriter: PatternRewriter) -> func.CallOp:
    """`func.call @<dialect>_<op>` to a private declaration carrying
    `tfir.external = "<dialect>.<op>"` and the op's attributes; one declaration
    per distinct signature and attributes."""
    module = op.get_toplevel_object()
    assert isinstance(module, ModuleOp)
    ftype = FunctionType.from_lists([v.type for v in op.operands], [r.type for r in op.results])
    attrs = {EXTERNAL_ATTR: StringAttr(custom.qualname)}
    attrs |= {p.name: op.attributes[p.name] for p in custom.attrs if p.name in op.attributes}
    decls = [f for f in module.ops if isinstance(f, func.FuncOp) and f.is_declaration]
    symbols = {f.sym_name.data for f in module.ops if isinstance(f, func.FuncOp)}
    decl = next((f for f in decls if f.function_type == ftype and dict(f.attributes) == attrs), None)
    if decl is None:
        symbol, n = custom.symbol, 1
        while symbol in symbols:
            symbol, n = f"{custom.symbol}_{n}", n + 1
        decl = func.FuncOp.external(symbol, ftype.inputs.data, ftype.outputs.data)
        decl.attributes.update(attrs)
        decl.location = op.location
        rewriter.insert(decl, InsertPoint.at_end(module.body.block))
    call = func.CallOp(decl.sym_name.data, list(op.operands), [r.type for r in op.results])
    call.location = op.location
    return call
