"""Rewrites that make the cone of a gradient differentiable op by op, done
before the sweep: calls of functions are inlined (the eager target runs no
`inline-calls`), and custom ops with no gradient rule are replaced by their
decomposition into `tf` ops, as `expand-custom-ops` would later."""

from __future__ import annotations

from xdsl.dialects import builtin, func
from xdsl.ir import Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.dialects.plugins import CustomOp

try:  # the decompositions of the builtins of language v2, where this tree has them
    from tfir.dialects.decompositions import DECOMPOSITIONS
    from tfir.dialects.decompositions import decompose as decompose_tf
except ImportError:  # pragma: no cover - before the v2 builtins land
    DECOMPOSITIONS = {}
    decompose_tf = None
from tfir.errors import CompileError
from tfir.lowering.differentiate.errors import error_at


def inline_call(call: func.CallOp) -> bool:
    """Replaces `call` by a copy of its callee's body; False for a declaration."""
    module = call.get_toplevel_object()
    assert isinstance(module, builtin.ModuleOp)
    name = call.callee.root_reference.data
    callee = next((f for f in module.ops if isinstance(f, func.FuncOp) and f.sym_name.data == name), None)
    if callee is None or callee.is_declaration or len(callee.body.blocks) != 1:
        return False
    block = callee.body.clone().block
    ret = block.last_op
    assert isinstance(ret, func.ReturnOp)
    bound: dict[SSAValue, SSAValue] = dict(zip(block.args, call.arguments, strict=True))
    results = [bound.get(v, v) for v in ret.arguments]
    Rewriter.erase_op(ret)
    Rewriter.inline_block(block, InsertPoint.before(call), call.arguments)
    for old, new in zip(call.res, results, strict=True):
        if not new.name_hint:
            new.name_hint = old.name_hint
        old.replace_all_uses_with(new)
    Rewriter.erase_op(call)
    return True


def decompose(custom: CustomOp, op: Operation) -> None:
    """Replaces custom op `op` by its decomposition (ops keep its location)."""
    assert custom.decomposition is not None
    try:
        new_ops, values = custom.decomposition(op)
    except CompileError as err:
        for d in err.diagnostics:
            d.notes.append(f"while differentiating '{custom.qualname}' through its decomposition")
        raise CompileError(err.diagnostics) from None
    except ValueError as err:
        raise error_at(op, f"in the decomposition of '{custom.qualname}': {err}") from None
    for new in new_ops:
        for inner in new.walk():
            inner.location = op.location
    Rewriter.insert_op(new_ops, InsertPoint.before(op))
    for old, value in zip(op.results, values, strict=True):
        if value.type != old.type:
            raise error_at(op, f"the decomposition of '{custom.qualname}' gives {value.type}, "
                               f"its shape rule {old.type}")
        old.replace_all_uses_with(value)
    Rewriter.erase_op(op)


def decompose_primitive(op: Operation) -> None:
    """Replaces `tf` op `op`, which has no gradient rule, by its decomposition into
    other `tf` ops (`dialects/decompositions.py`, as `decompose-tf-ops` would later)."""
    found = decompose_tf(op)
    assert found is not None
    new_ops, value = found
    for new in new_ops:
        for inner in new.walk():
            inner.location = op.location
    Rewriter.insert_op(new_ops, InsertPoint.before(op))
    op.results[0].replace_all_uses_with(value)
    Rewriter.erase_op(op)
