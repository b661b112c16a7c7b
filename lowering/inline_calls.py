"""`inline-calls`: inline every `func.call` into its caller.

Precondition: a module in the `tf` form (docs/ir-levels.md, level 1): public
`func.func`s for the entries and private `func.func`s for specialized callees,
each with one block ending in `func.return`, called with `func.call`. There is
no recursion (the frontend rejects it; a cycle found here fails the pass).

Produces: the same module with no `func.call` to a function defined in it.
Callees are flattened first, so a call chain `main -> f -> g` is inlined in
one pass; every inlined op is a clone of the callee's op and keeps its own
location (the callee's source line, not the call's). Private functions that
nothing refers to any more (no call, no symbol reference) are erased; public functions (entries) are kept even when
another entry called them. Calls to declarations (no body) are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import builtin, func
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException


@dataclass(frozen=True)
class InlineCallsPass(ModulePass):
    name = "inline-calls"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        funcs = {f.sym_name.data: f for f in op.ops if isinstance(f, func.FuncOp)}
        flattened: set[str] = set()
        for name in funcs:
            _flatten(name, funcs, flattened, ())
        _erase_uncalled_private(op)


def _flatten(name: str, funcs: dict[str, func.FuncOp], flattened: set[str],
             stack: tuple[str, ...]) -> None:
    """Inline every call in `funcs[name]`, flattening each callee before it is copied."""
    if name in flattened:
        return
    if name in stack:
        cycle = " -> ".join((*stack[stack.index(name):], name))
        raise PassFailedException(f"inline-calls: recursive calls {cycle}")
    caller = funcs[name]
    for call in [o for o in caller.walk() if isinstance(o, func.CallOp)]:
        callee = funcs.get(call.callee.root_reference.data)
        if callee is None or callee.is_declaration:
            continue
        _flatten(callee.sym_name.data, funcs, flattened, (*stack, name))
        _inline(call, callee)
    flattened.add(name)


def _inline(call: func.CallOp, callee: func.FuncOp) -> None:
    """Replace `call` by a copy of `callee`'s body, its arguments bound to the call's operands."""
    if len(callee.body.blocks) != 1:
        raise PassFailedException(
            f"inline-calls: expected @{callee.sym_name.data} to have one block, "
            f"got {len(callee.body.blocks)}")
    block = callee.body.clone().block
    ret = block.last_op
    assert isinstance(ret, func.ReturnOp), "a func.func block ends in func.return"
    # A returned block argument is replaced by the call operand it stands for.
    bound: dict[SSAValue, SSAValue] = dict(zip(block.args, call.arguments, strict=True))
    results = [bound.get(v, v) for v in ret.arguments]
    Rewriter.erase_op(ret)
    Rewriter.inline_block(block, InsertPoint.before(call), call.arguments)
    for old, new in zip(call.res, results, strict=True):
        if not new.name_hint:
            new.name_hint = old.name_hint
        old.replace_all_uses_with(new)
    Rewriter.erase_op(call)


def _erase_uncalled_private(module: builtin.ModuleOp) -> None:
    """Erase private functions that nothing refers to any more (to a fixed point)."""
    while True:
        referenced = {attr.root_reference.data for o in module.walk()
                      for attr in (*o.attributes.values(), *o.properties.values())
                      if isinstance(attr, builtin.SymbolRefAttr)}
        dead = [f for f in module.ops if isinstance(f, func.FuncOp)
                and f.sym_visibility is not None and f.sym_visibility.data == "private"
                and f.sym_name.data not in referenced]
        if not dead:
            return
        for f in dead:
            Rewriter.erase_op(f)
