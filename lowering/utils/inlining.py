"""Inlining `func.call`s (the body of `inline-calls`, and what the plugin layer
inlines a `.tf` decomposition with): every call to a function defined in the
module replaced by a clone of the callee's body, top-down (each callee's body
copied once per call, the calls it brings inlined in turn, with loops: a chain
of a thousand functions is no recursion), so that a chain `main -> f -> g` is
inlined in one walk; private functions that nothing refers to any more are
erased."""

from __future__ import annotations

from xdsl.dialects import builtin, func
from xdsl.ir import SSAValue
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException


def inline_calls(module: builtin.ModuleOp) -> None:
    """Inline every call in `module`; erase the private functions left unused."""
    funcs = {f.sym_name.data: f for f in module.ops if isinstance(f, func.FuncOp)}
    _check_acyclic(funcs)
    for root in _roots(module, funcs):
        _inline_all(root, funcs)
    erase_uncalled_private(module)


def _callees(fn: func.FuncOp, funcs: dict[str, func.FuncOp]) -> list[str]:
    return [c.callee.root_reference.data for c in fn.walk() if isinstance(c, func.CallOp)
            and (callee := funcs.get(c.callee.root_reference.data)) is not None and not callee.is_declaration]


def _check_acyclic(funcs: dict[str, func.FuncOp]) -> None:
    """Fails on a cycle of calls, with a loop rather than a recursion per call (a
    chain of a thousand functions is a thousand levels deep)."""
    done: set[str] = set()
    for start in funcs:
        if start in done:
            continue
        path: list[str] = []
        stack: list[tuple[str, bool]] = [(start, False)]
        while stack:
            name, finished = stack.pop()
            if finished:
                path.pop()
                done.add(name)
                continue
            if name in done:
                continue
            if name in path:
                cycle = " -> ".join((*path[path.index(name):], name))
                raise PassFailedException(f"inline-calls: recursive calls {cycle}")
            path.append(name)
            stack.append((name, True))
            stack += [(c, False) for c in _callees(funcs[name], funcs) if c not in done]


def _roots(module: builtin.ModuleOp, funcs: dict[str, func.FuncOp]) -> list[func.FuncOp]:
    """The functions that stay: public ones and those a symbol other than a call names.
    (The others are erased once nothing calls them, so their calls need no inlining.)"""
    named = {attr.root_reference.data for o in module.walk() if not isinstance(o, func.CallOp)
             for attr in (*o.attributes.values(), *o.properties.values()) if isinstance(attr, builtin.SymbolRefAttr)}
    return [f for f in funcs.values() if not f.is_declaration and
            (f.sym_visibility is None or f.sym_visibility.data != "private" or f.sym_name.data in named)]


def _inline_all(caller: func.FuncOp, funcs: dict[str, func.FuncOp]) -> None:
    """Inlines every call in `caller`, then the calls those brought, top-down: each
    callee's own body is copied once per call (a chain costs its length, not its square)."""
    work = [o for o in caller.walk() if isinstance(o, func.CallOp)]
    while work:
        call = work.pop()
        callee = funcs.get(call.callee.root_reference.data)
        if callee is None or callee.is_declaration:
            continue
        work += _inline(call, callee)


def _inline(call: func.CallOp, callee: func.FuncOp) -> list[func.CallOp]:
    """Replace `call` by a copy of `callee`'s body, its arguments bound to the call's operands;
    the calls the copy holds."""
    if len(callee.body.blocks) != 1:
        raise PassFailedException(
            f"inline-calls: expected @{callee.sym_name.data} to have one block, "
            f"got {len(callee.body.blocks)}")
    block = callee.body.clone().block
    calls = [o for o in block.walk() if isinstance(o, func.CallOp)]
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
    return calls


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
