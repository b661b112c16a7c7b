"""What custom ops (tfir/plugin.py) are lowered with, shared by the pass
`expand-custom-ops`, the pass `convert-tf-to-linalg` and the plugin layer:
`TfBuilder` (from dialects/tf_builder.py), the IR builder of Python decompositions; `LINALG_LOWERINGS`, the
lowerings `convert-tf-to-linalg` applies to ops of other dialects, with the
hook that registers a custom op's linalg lowering or the call of its target
implementation (`linalg_lowering`); and the attributes that mark them."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import func
from xdsl.dialects.builtin import (
    FunctionType,
    ModuleOp,
    StringAttr,
)
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint

from tfir.dialects.plugins import CustomOp
from tfir.lowering.utils.linalg_builders import Emitter

LOWERING_ATTR = "tfir.lowering"
"""Set by `expand-custom-ops` on a custom op lowered later: "linalg" or "impl"."""
EXTERNAL_ATTR = "tfir.external"
"""On the declaration a custom op's target implementation is called through."""

Lowering = Callable[[Operation, PatternRewriter], None]

LINALG_LOWERINGS: dict[str, Lowering] = {}
"""Lowerings of plugin ops, keyed by op name: `fn(op, rewriter)` replaces
`op` by linalg-level IR. Ops it creates without a location get `op`'s."""


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
