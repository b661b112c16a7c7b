"""The frontend's entry points: load and check a program (every error before
anything runs), and build the `tf` IR of one entry for one input signature."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from xdsl.dialects.builtin import ModuleOp

from tfir.dialects import builtins as _builtins  # noqa: F401  (registers the builtin entries)
from tfir.dialects.plugins import ensure_dialect, installed_plugins
from tfir.dialects.registry import REGISTRY, TType
from tfir.errors import CompileError, Diagnostic, PluginError, did_you_mean
from tfir.frontend import ast, gradients
from tfir.frontend.calls import CheckError
from tfir.frontend.checker import Frame, Specializer
from tfir.frontend.deep import deep_call
from tfir.frontend.dims import dim_size, unbound_dims
from tfir.frontend.loader import LoadedFile, Program, load_program
from tfir.frontend.values import Literal, SymDim, Tensor, Value


def load_and_check(text: str, filename: str) -> Program:
    """Parses, resolves imports and checks every non-generic function of the
    root file with its declared (possibly symbolic) types."""
    return deep_call(_load_and_check, text, filename)


def _load_and_check(text: str, filename: str) -> Program:
    program = load_program(text, filename)
    _check_parameters(program)
    _check_recursion(program)
    _check_signatures(program)
    checker = Specializer(program, emit=False)
    checker.diagnostics.extend(_check_uses(program))
    for fn in program.root.functions.values():
        if fn.is_generic or any(p.is_static and p.default is None for p in fn.params):
            continue
        checker.stack.append(Frame(fn, program.root))
        try:
            args = symbolic_args(checker, fn, {})
        except CheckError as err:  # a default that is no value (`k: int = fn`)
            checker.record(err.message, err.span)
            continue
        finally:
            checker.stack.pop()
        checker.specialize(fn, program.root, args)
    checker.diagnostics += gradients.while_errors(program)
    checker.raise_if_errors()
    return program


def symbolic_args(checker: Specializer, fn: ast.FnDef, given: dict[str, Value]) -> dict[str, Value]:
    """Argument values of `fn` from its declared types (sizes symbolic), its
    defaults, and the values `given`."""
    args: dict[str, Value] = {}
    for p in fn.params:
        if p.name in given:
            args[p.name] = given[p.name]
        elif not isinstance(p.type, ast.TensorTypeExpr):
            args[p.name] = _default(checker, p)

    def lookup(name: str) -> int | SymDim | None:
        value = args.get(name)
        if isinstance(value, Literal) and value.kind == "int" and value.is_scalar:
            return int(value.scalar())
        return value if isinstance(value, SymDim) else SymDim(name)

    for p in fn.params:
        if isinstance(p.type, ast.TensorTypeExpr) and p.name not in args:
            args[p.name] = Tensor(TType(p.type.dtype, tuple(dim_size(d, lookup) for d in p.type.dims)))
    return {p.name: args[p.name] for p in fn.params}


def _default(checker: Specializer, p: ast.Param) -> Value:
    assert p.default is not None
    value = checker.expr(p.default)
    if isinstance(p.type, ast.StaticType) and p.type.kind == "float" and isinstance(value, Literal):
        return Literal.of(float(value.scalar()))
    return value


def _check_signatures(program: Program) -> None:
    """Dimension names bound nowhere in a signature are errors when the file is compiled."""
    diags = []
    for file in program.files.values():
        for fn in file.functions.values():
            for message, span in unbound_dims(fn):
                diags.append(Diagnostic(message, span, source_text=file.source.text))
    if diags:
        raise CompileError(diags)


def build_entry(program: Program, name: str, arg_types: dict[str, TType],
                statics: dict[str, Any]) -> ModuleOp:
    """The `tf` module of entry `name` specialized to concrete argument types."""
    return deep_call(_build_entry, program, name, arg_types, statics)


def _build_entry(program: Program, name: str, arg_types: dict[str, TType],
                 statics: dict[str, Any]) -> ModuleOp:
    fn = program.root.functions[name]
    checker = Specializer(program, emit=True)
    given: dict[str, Value] = {name: Tensor(t) for name, t in arg_types.items()}
    given.update({name: Literal.of(v) for name, v in statics.items()})
    checker.stack.append(Frame(fn, program.root))
    try:
        args = symbolic_args(checker, fn, given)
    finally:
        checker.stack.pop()
    checker.specialize(fn, program.root, args, public=True)
    checker.raise_if_errors()
    checker.module.verify()  # IR generation is checked; a failure here is a compiler bug
    # The entry is emitted last (callees first); the entry func goes first for readability.
    entry = list(checker.module.ops)[-1]
    entry.detach()
    checker.module.body.block.insert_op_before(entry, checker.module.body.block.first_op) \
        if checker.module.body.block.first_op else checker.module.body.block.add_op(entry)
    return checker.module


MAX_DIM = 1 << 62


def _check_parameters(program: Program) -> None:
    """What a signature alone breaks: a parameter declared twice, a dimension no
    array can have (result dimensions bound nowhere: `_check_signatures`)."""
    errors: list[Diagnostic] = []
    for file in program.files.values():
        text = file.source.text
        for fn in file.source.functions:
            seen: set[str] = set()
            for p in fn.params:
                if p.name in seen:
                    errors.append(Diagnostic(f"parameter '{p.name}' of '{fn.name}' is declared twice", p.span,
                                             source_text=text))
                seen.add(p.name)
                if isinstance(p.type, ast.TensorTypeExpr):
                    errors += _large_dims(p.type, text)
            for t in fn.results or []:
                errors += _large_dims(t, text)
    if errors:
        raise CompileError(errors)


def _large_dims(t: ast.TensorTypeExpr, text: str) -> list[Diagnostic]:
    return [Diagnostic(f"dimension {d} is larger than any array can have (at most 2**62)", t.span, source_text=text)
            for d in t.dims if isinstance(d, int) and d > MAX_DIM]


def _check_uses(program: Program) -> list[Diagnostic]:
    """Each `use` names a dialect that is registered or installed."""
    errors: list[Diagnostic] = []
    for file in program.files.values():
        for use in file.source.uses:
            try:
                known = ensure_dialect(use.dialect)
            except PluginError as err:  # at the first call of its ops, or here if there is none
                if not any(c.callee.startswith(use.dialect + ".") for c in _walk_calls(file.source.functions)):
                    errors.append(Diagnostic(str(err), use.span, source_text=file.source.text))
                continue
            if not known:
                names = REGISTRY.dialect_names() | set(installed_plugins())
                errors.append(Diagnostic(f"unknown dialect '{use.dialect}'{did_you_mean(use.dialect, names)}",
                                         use.span, source_text=file.source.text))
    return errors


def _walk_calls(node: Any) -> Iterator[ast.Call]:
    return (n for n in ast.walk(node) if isinstance(n, ast.Call))


def _check_recursion(program: Program) -> None:
    """Recursion is not supported: any cycle in the call graph is an error."""
    state: dict[int, int] = {}  # 1 = on the stack, 2 = done

    def visit(fn: ast.FnDef, file: LoadedFile) -> None:
        state[id(fn)] = 1
        for call in _walk_calls(fn.body):
            found = file.lookup_function(call.callee)
            if found is None:
                continue
            callee, callee_file = found
            if state.get(id(callee)) == 1:
                raise CompileError([Diagnostic(
                    f"recursive call of '{callee.name}': recursion is not supported",
                    call.callee_span, source_text=file.source.text)])
            if id(callee) not in state:
                visit(callee, callee_file)
        state[id(fn)] = 2

    for file in program.files.values():
        for fn in file.functions.values():
            if id(fn) not in state:
                visit(fn, file)


__all__ = ["SymDim", "build_entry", "load_and_check"]
