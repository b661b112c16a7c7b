"""Inlining `func.call`s (the body of `inline-calls`, and what the plugin layer
inlines a `.tf` decomposition with): every call to a function defined in the
module replaced by a clone of the callee's body, callees flattened first, so
that a chain `main -> f -> g` is inlined in one walk; private functions that
nothing refers to any more are erased."""

from __future__ import annotations

from xdsl.dialects import builtin, func
from xdsl.ir import SSAValue
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException


def inline_calls(module: builtin.ModuleOp) -> None:
    """Inline every call in `module`; erase the private functions left unused."""
    funcs = {f.sym_name.data: f for f in module.ops if isinstance(f, func.FuncOp)}
    flattened: set[str] = set()
    for name in funcs:
        _flatten(name, funcs, flattened, ())
    erase_uncalled_private(module)


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


def erase_uncalled_private(module: builtin.ModuleOp) -> None:
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
