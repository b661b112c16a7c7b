"""Semantic analysis and IR generation in one walk: a function is checked
for one argument signature (specialized, like a template) and, when IR is
wanted, emitted as a `func.func` of `tf` ops with a location on every op.

The same walk runs twice in a program's life: at compile time with the
declared (possibly symbolic) types of each non-generic function, to report
every error before anything runs, and once per concrete input signature to
build the IR that the pipeline lowers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import FileLineColLoc, FunctionType, IntAttr, ModuleOp, StringAttr
from xdsl.ir import Block, Operation, Region

from tfir.dialects.dtypes import tensor_type
from tfir.dialects.registry import TType
from tfir.errors import CompileError, Diagnostic, Span
from tfir.frontend import ast
from tfir.frontend.calls import CheckError
from tfir.frontend.control import ControlMixin
from tfir.frontend.dims import dim_size
from tfir.frontend.expressions import ExprChecker
from tfir.frontend.loader import LoadedFile, Program
from tfir.frontend.values import POISON, Literal, Poison, SymDim, Tensor, Value


@dataclass
class Spec:
    """A specialized function: its IR symbol and how to map its results."""

    symbol: str | None
    results: list[Value]  # Tensor (a func result, in order) or Literal (substituted at the call)
    n_tensor_results: int = 0


@dataclass
class Frame:
    fn: ast.FnDef
    file: LoadedFile
    env: dict[str, Value] = field(default_factory=dict)
    dims: dict[str, int | str] = field(default_factory=dict)
    block: Block | None = None
    bound_at: dict[str, Span] = field(default_factory=dict)  # the `let` that last bound each name
    public: bool = False  # the entry: what it returns are tensors, literals too


class Specializer(ControlMixin, ExprChecker):
    """Checks (and, with `emit=True`, generates IR for) functions of a program."""

    def __init__(self, program: Program, emit: bool):
        self.program = program
        self.emit_ir = emit
        self.module = ModuleOp([])
        self.cache: dict[tuple[Any, ...], Spec] = {}
        self.stack: list[Frame] = []
        self.diagnostics: list[Diagnostic] = []
        self.anchor: Span | None = None  # errors inside the prelude point at the user's call
        self._symbols: set[str] = set()

    # -- diagnostics --------------------------------------------------------

    def record(self, message: str, span: Span) -> None:
        if not message:
            return  # an error already reported (a poisoned value), raised to stop a statement
        if self.anchor is not None:
            span = self.anchor
        diag = Diagnostic(message, span, source_text=self.program.source_text(span.filename))
        if not any(d.message == message and d.span == span for d in self.diagnostics):
            self.diagnostics.append(diag)

    def raise_if_errors(self) -> None:
        if self.diagnostics:
            ordered = sorted(self.diagnostics, key=lambda d: (d.filename != self.program.root.filename,
                                                               d.line, d.column))
            raise CompileError(ordered)

    # -- IR emission --------------------------------------------------------

    @property
    def frame(self) -> Frame:
        return self.stack[-1]

    def emit(self, op: Operation, span: Span) -> Operation:
        # Ops of the prelude's composites are attributed to the user's call.
        span = self.anchor or span
        op.location = FileLineColLoc(StringAttr(span.filename), IntAttr(span.line), IntAttr(span.column))
        block = self.frame.block
        if block is not None:
            block.add_op(op)
        return op

    @property
    def emitting(self) -> bool:
        return self.emit_ir and self.frame.block is not None

    def _symbol(self, name: str) -> str:
        sym, n = name, 1
        while sym in self._symbols:
            sym, n = f"{name}_{n}", n + 1
        self._symbols.add(sym)
        return sym

    # -- functions ----------------------------------------------------------

    def specialize(self, fn: ast.FnDef, file: LoadedFile, args: dict[str, Value],
                   public: bool = False) -> Spec:
        """Checks `fn` for these argument values; emits it once per signature."""
        key = (id(fn), tuple(_arg_key(args[p.name]) for p in fn.params))
        if key in self.cache:
            return self.cache[key]
        frame = Frame(fn, file, public=public)
        tensor_params: list[tuple[str, TType]] = []
        for p in fn.params:
            value = args[p.name]
            if isinstance(value, Tensor):
                tensor_params.append((p.name, value.type))
            frame.env[p.name] = value
        for p in fn.params:
            value = args[p.name]
            if isinstance(p.type, ast.TensorTypeExpr) and isinstance(value, Tensor):
                for d, got in zip(p.type.dims, value.type.shape, strict=False):
                    if isinstance(d, str) and not isinstance(frame.env.get(d), Literal | SymDim):
                        frame.dims.setdefault(d, got if got is not None else d)
        block = None
        if self.emit_ir and all(t.is_concrete for _, t in tensor_params):
            block = Block(arg_types=[tensor_type(t.dtype, t.shape) for _, t in tensor_params])
            for (name, _), barg in zip(tensor_params, block.args, strict=True):
                barg.name_hint = name
                frame.env[name] = Tensor(frame.env[name].type, barg)
        frame.block = block
        self.stack.append(frame)
        try:
            results = self._body(fn)
        finally:
            self.stack.pop()
        spec = Spec(None, results)
        if block is not None:
            spec = self._finish_func(fn, file, block, results, public)
        self.cache[key] = spec
        return spec

    def _finish_func(self, fn: ast.FnDef, file: LoadedFile, block: Block, results: list[Value],
                     public: bool) -> Spec:
        tensors = [r for r in results if isinstance(r, Tensor) and r.ssa is not None]
        ret = func.ReturnOp(*[t.ssa for t in tensors])
        at = self.anchor or fn.span
        ret.location = FileLineColLoc(StringAttr(at.filename), IntAttr(at.line), IntAttr(at.column))
        block.add_op(ret)
        ftype = FunctionType.from_lists([a.type for a in block.args], [t.ssa.type for t in tensors])
        symbol = self._symbol(fn.name)
        fop = func.FuncOp(symbol, ftype, Region(block), visibility=None if public else "private")
        fop.location = ret.location
        self.module.body.block.add_op(fop)
        return Spec(symbol, results, len(tensors))

    def _body(self, fn: ast.FnDef) -> list[Value]:
        returns = [s for s in fn.body if isinstance(s, ast.Return)]
        if not returns:
            end = fn.span
            self.record(f"function '{fn.name}' has no return statement", Span(end.filename, end.line, end.column, end.line, end.column + 2))
            return [POISON] * len(fn.results or [None])
        results: list[Value] = []
        for stmt in fn.body:
            if isinstance(stmt, ast.Return) and stmt is not fn.body[-1]:
                self.record("return must be the last statement of a function", stmt.span)
                return [POISON] * len(stmt.values)
            if not isinstance(stmt, ast.Return):
                self.statements([stmt])
                continue
            try:
                results = self._return(fn, stmt)
            except CheckError as err:
                self.record(err.message, err.span)
                results = [POISON] * len(stmt.values)
        return results

    def _let(self, stmt: ast.Let) -> None:
        values = [self.expr(stmt.value)] if len(stmt.names) == 1 else self.expr_multi(stmt.value)
        if len(values) != len(stmt.names):
            raise CheckError(f"cannot unpack {len(values)} values into {len(stmt.names)} names", stmt.span)
        for (name, _), value in zip(stmt.names, values, strict=True):
            if isinstance(value, Tensor) and value.ssa is not None and value.ssa.name_hint is None:
                value.ssa.name_hint = name
            self.frame.env[name] = value
            self.frame.bound_at[name] = stmt.span

    def _return(self, fn: ast.FnDef, stmt: ast.Return) -> list[Value]:
        values = [self.expr(e) for e in stmt.values]
        if fn.results is None:
            if self.frame.public:  # a literal the entry returns is a result like any (a helper's stays a literal)
                values = [self.materialize(v, e.span, None) if isinstance(v, Literal | SymDim) else v
                          for v, e in zip(values, stmt.values, strict=True)]
            return values
        if len(values) != len(fn.results):
            raise CheckError(f"'{fn.name}' returns {len(values)} value{'s' * (len(values) != 1)} but its "
                             f"result type lists {len(fn.results)}", stmt.span)
        out = []
        for value, expr, declared in zip(values, stmt.values, fn.results, strict=True):
            out.append(self._check_result(fn, value, expr.span, declared))
        return out

    def _check_result(self, fn: ast.FnDef, value: Value, span: Span, declared: ast.TensorTypeExpr) -> Value:
        if isinstance(value, Poison):
            return value
        want = self.declared_type(declared)
        if isinstance(value, Literal):
            value = self.materialize(value, span, want.dtype)
        if not isinstance(value, Tensor):
            raise CheckError(f"'{fn.name}' must return tensors, got {self.describe(value)}", span)
        got = value.type
        if got.dtype != want.dtype or got.rank != want.rank or any(
                _dims_differ(g, w) for g, w in zip(got.shape, want.shape, strict=True)):
            raise CheckError(f"result type mismatch: '{fn.name}' returns {got} but its signature "
                             f"declares {want}", span)
        return value

    def declared_type(self, t: ast.TensorTypeExpr) -> TType:
        return TType(t.dtype, tuple(dim_size(d, self._dim_value) for d in t.dims))

    def _dim_value(self, name: str) -> int | SymDim | None:
        """The size a name stands for in a type: a bound dimension or a static int parameter."""
        if not self.stack:
            return SymDim(name)
        value = self.frame.env.get(name)
        if isinstance(value, Literal) and value.is_scalar and value.kind == "int":
            return int(value.scalar())
        if isinstance(value, SymDim) and value.kind == "int":
            return value
        dim = self.frame.dims.get(name, name)
        return SymDim(dim) if isinstance(dim, str) else dim

    def lookup_dim(self, name: str) -> Value | None:
        dim = self.frame.dims.get(name)
        if dim is None:
            return None
        return SymDim(dim) if isinstance(dim, str) else Literal.of(dim)


def _dims_differ(got: Any, want: Any) -> bool:
    return isinstance(got, int) and isinstance(want, int) and got != want


def _arg_key(value: Value) -> Any:
    if isinstance(value, Tensor):
        return ("t", value.type)
    if isinstance(value, Literal):
        return value.key()
    return (type(value).__name__, repr(value))
