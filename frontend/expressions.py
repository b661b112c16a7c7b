"""Expressions: names, literals (folded at compile time), operators, calls of
builtins, user functions and dialect ops, and indexing."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr

from tfir.dialects import registry as R
from tfir.dialects import tf
from tfir.dialects.builtins import INTERNAL
from tfir.dialects.dtypes import is_float, is_int, tensor_type, to_numpy
from tfir.dialects.plugins import ensure_dialect, installed_plugins
from tfir.dialects.registry import REGISTRY, OpEntry, TType
from tfir.errors import PluginError, Span, did_you_mean
from tfir.frontend import ast, gradients
from tfir.frontend.calls import Arg, CheckError, Slot, bind, convert_static
from tfir.frontend.dims import symbolic_apply
from tfir.frontend.indexing import IndexingMixin
from tfir.frontend.values import (
    POISON,
    DTypeValue,
    ListValue,
    Literal,
    Poison,
    StrValue,
    SymDim,
    Tensor,
    Value,
    describe,
    literal_tensor_type,
)

if TYPE_CHECKING:
    from tfir.frontend.checker import Frame

MAX_INT = 1 << 63  # integer literals are int64 at most
MAX_ELEMENTS = 1 << 62  # NumPy's arrays hold fewer than 2**63 bytes

OPERATORS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "@": "matmul", "**": "pow",
             "//": "floordiv", "%": "mod",
             "==": "equal", "!=": "not_equal", "<": "less", "<=": "less_equal",
             ">": "greater", ">=": "greater_equal"}

MAX_LITERAL_RANK = 64  # NumPy's limit on an array's dims



class _Call:
    """The CallInfo a shape rule sees."""

    def __init__(self, name: str, tensors: list[TType], attrs: dict[str, Any],
                 spans: dict[str, Span], callee_span: Span):
        self.name, self.tensors, self.attrs = name, tensors, attrs
        self._spans, self._callee = spans, callee_span

    def error(self, message: str, at: str | None = None) -> Exception:
        """`at` names an argument; `name@k` points at character `k` inside a string argument."""
        name, _, offset = (at or "").partition("@")
        span = self._spans.get(name, self._callee) if name else self._callee
        if offset and name in self._spans:
            span = Span.point(span.filename, span.line, span.column + 1 + int(offset))  # past the quote
        return CheckError(message, span)


def _pack_variadic(entry: OpEntry, args: list[Arg], span: Span) -> list[Arg]:
    """The positional arguments from a VARIADIC parameter on, as one list argument."""
    at = next((i for i, p in enumerate(entry.params) if p.kind == R.VARIADIC), None)
    if at is None or len(args) <= at:
        return args
    rest = args[at:]
    return [*args[:at], Arg(ListValue([a.value for a in rest], [a.span for a in rest]),
                            rest[0].span.to(rest[-1].span))]


class ExprChecker(IndexingMixin):
    frame: Frame
    describe = staticmethod(describe)

    # -- expressions --------------------------------------------------------

    def expr(self, e: ast.Expr) -> Value:
        values = self.expr_multi(e)
        if len(values) != 1:
            raise CheckError(f"this call returns {len(values)} values; bind them with "
                             f"`let {', '.join(f'r{i}' for i in range(len(values)))} = ...;`", e.span)
        return values[0]

    def expr_multi(self, e: ast.Expr) -> list[Value]:
        if isinstance(e, ast.Call):
            return self.call(e)
        return [self._single(e)]

    def _single(self, e: ast.Expr) -> Value:
        if isinstance(e, ast.IntLit) and not -MAX_INT <= e.value < MAX_INT:
            raise CheckError(f"integer literal {e.value} does not fit in 64 bits; a float is written "
                             f"{e.value}.0", e.span)
        if isinstance(e, ast.IntLit | ast.FloatLit | ast.BoolLit):
            return Literal.of(e.value)
        if isinstance(e, ast.DTypeLit):
            return DTypeValue(e.dtype)
        if isinstance(e, ast.StrLit):
            return StrValue(e.value)
        if isinstance(e, ast.Name):
            return self.name(e)
        if isinstance(e, ast.ListLit):
            return self.list_literal(e)
        if isinstance(e, ast.Neg):
            chain: list[ast.Neg] = []
            node: ast.Expr = e
            while isinstance(node, ast.Neg):  # `- - - x`: a loop, not a recursion per `-`
                chain.append(node)
                node = node.operand
            value = self.expr(node)
            for neg in reversed(chain):
                value = self._neg(neg, value)
            return value
        if isinstance(e, ast.Binary):
            return self._binary_chain(e)
        if isinstance(e, ast.Subscript):
            return self.subscript(e)
        raise AssertionError(f"unexpected expression {type(e).__name__}")

    def _neg(self, e: ast.Neg, value: Value) -> Value:
        if isinstance(value, Literal):
            if value.kind == "bool":
                raise CheckError("cannot negate a bool literal", e.span)
            return Literal(-value.value, value.kind)
        if isinstance(value, SymDim):
            return symbolic_apply("neg", [value])
        return self.apply("neg", [Arg(value, e.operand.span)], [], e.span, e.span)[0]

    def _binary_chain(self, e: ast.Binary) -> Value:
        """`a + b - c * d`: the chain of left operands in a loop (generated code writes
        sums of thousands of terms). An operator's errors are located where it
        starts, at its left operand (language.md, "Errors")."""
        spine: list[ast.Binary] = []
        node: ast.Expr = e
        while isinstance(node, ast.Binary):
            spine.append(node)
            node = node.lhs
        value = self.expr(node)
        for b in reversed(spine):
            args = [Arg(value, b.span), Arg(self.expr(b.rhs), b.span)]
            value = self.apply(OPERATORS[b.op], args, [], b.span, b.span)[0]
        return value

    def name(self, e: ast.Name) -> Value:
        value = self.frame.env.get(e.id)
        if value is None:
            value = self.lookup_dim(e.id)
        if value is not None:
            return value
        known = list(self.frame.env) + list(self.frame.dims)
        callable_names = self.frame.file.visible_functions() | set(REGISTRY.names())
        if e.id in callable_names or self.program.prelude.lookup_function(e.id):
            raise CheckError(f"'{e.id}' is a function; call it with arguments", e.span)
        spelled = {"True": "true", "False": "false"}.get(e.id)  # a Python user's near-miss
        hint = f"; .tf spells it '{spelled}'" if spelled else did_you_mean(e.id, known)
        raise CheckError(f"undefined name '{e.id}'{hint}", e.span)

    def list_literal(self, e: ast.ListLit) -> Value:
        """`[a, b, ...]`: a literal when every item is one (NumPy holds at most
        MAX_LITERAL_RANK dims), else a list for the builtins that take one."""
        items = [self.expr(x) for x in e.items]
        if any(isinstance(v, Poison) for v in items):
            return POISON
        if items and all(isinstance(v, Literal) for v in items):
            shapes = {v.value.shape for v in items}
            kinds = {v.kind for v in items}
            if len(shapes) != 1:
                raise CheckError("tensor literal is not rectangular", e.span)
            if len(kinds) != 1:
                raise CheckError(f"tensor literal mixes {' and '.join(sorted(kinds))} elements", e.span)
            if len(shapes.pop()) >= MAX_LITERAL_RANK:
                raise CheckError(f"tensor literal has more than {MAX_LITERAL_RANK} dimensions", e.span)
            return Literal(np.stack([v.value for v in items]), kinds.pop())
        if not items:
            return Literal(np.zeros((0,), np.int64), "int")
        return ListValue(items, [x.span for x in e.items])

    # -- calls --------------------------------------------------------------

    def call(self, e: ast.Call) -> list[Value]:
        args = [Arg(self.expr(a), a.span) for a in e.args]
        kwargs = [(kw, Arg(self.expr(kw.value), kw.value.span)) for kw in e.kwargs]
        if "." in e.callee:
            return self.apply(self.dialect_op(e), args, kwargs, e.span, e.callee_span)
        found = self.frame.file.lookup_function(e.callee)
        if found is not None:
            return self.call_function(*found, args, kwargs, e)
        if e.callee == "dim":
            return [self.dim_call(args, kwargs, e)]
        internal_ok = self.frame.file.is_prelude
        if REGISTRY.lookup(e.callee) is not None and (e.callee not in INTERNAL or internal_ok):
            if e.callee == gradients.NAME:
                gradients.check_call(e)
            return self.apply(e.callee, args, kwargs, e.span, e.callee_span)
        found = self.program.prelude.lookup_function(e.callee)
        if found is not None:
            return self.call_function(*found, args, kwargs, e)
        names = self.frame.file.visible_functions() | (set(REGISTRY.names()) - INTERNAL) \
            | set(self.program.prelude.functions) | {"dim"}
        raise CheckError(f"unknown function '{e.callee}'{did_you_mean(e.callee, names)}", e.callee_span)

    def dialect_op(self, e: ast.Call) -> str:
        dialect, op = e.callee.split(".", 1)
        used = {u.dialect for u in self.frame.file.source.uses}
        try:
            known = ensure_dialect(dialect)
        except PluginError as err:  # an installed plugin that fails to import
            raise CheckError(str(err), e.callee_span) from None
        if not known:
            names = REGISTRY.dialect_names() | set(installed_plugins())
            hint = did_you_mean(dialect, names)
            if REGISTRY.lookup(op) or self.program.prelude.lookup_function(op):  # np.exp, torch.exp
                hint = f"; '{op}' is a builtin: call it without a prefix, as {op}(...)"
            raise CheckError(f"unknown dialect '{dialect}'{hint}", e.callee_span)
        if dialect not in used:
            raise CheckError(f"dialect '{dialect}' is not used in this file; add `use {dialect};`",
                             e.callee_span)
        if REGISTRY.lookup(e.callee) is None:
            ops = [n.split(".", 1)[1] for n in REGISTRY.names() if n.startswith(dialect + ".")]
            raise CheckError(f"dialect '{dialect}' has no op '{op}'{did_you_mean(op, ops)}", e.callee_span)
        return e.callee

    def apply(self, name: str, args: list[Arg], kwargs: list[tuple[ast.KwArg, Arg]],
              span: Span, callee_span: Span) -> list[Value]:
        """A call of a registry entry: bind, convert, fold or check and emit."""
        entry = REGISTRY.lookup(name)
        assert entry is not None
        slots = [Slot(p.name, p.default is not R.REQUIRED) for p in entry.params]
        args = _pack_variadic(entry, args, span)
        bound = bind(name, slots, args, kwargs, callee_span)
        if any(isinstance(a.value, Poison) for a in bound.values()) or any(
                isinstance(v, Poison) for a in bound.values() if isinstance(a.value, ListValue) for v in a.value.items):
            return [POISON]
        attrs: dict[str, Any] = {}
        operands: list[tuple[str, Arg]] = []
        spans: dict[str, Span] = {}
        for p in entry.params:
            arg = bound.get(p.name)
            if arg is not None:
                spans[p.name] = arg.span
            if p.kind == R.TENSOR:
                operands.append((p.name, arg))
            elif p.kind in (R.TENSORS, R.VARIADIC):
                operands.extend((p.name, a) for a in self._tensor_list(p.name, arg))
            else:
                attrs[p.name] = p.default if arg is None else convert_static(p.kind, p.name, arg)
        folded = self._fold_literals(entry, operands, span)
        if folded is not None:
            return [folded]
        tensors = self._unify(entry, operands)
        call = _Call(name, [t.type for t in tensors], attrs, spans, callee_span if callee_span != span else span)
        try:
            result_types = entry.infer(call)
        except TypeError:
            # An int parameter given a symbolic dim (`repeat(x, N)`), where the
            # builtin's rule needs the number itself: the argument's error.
            dims = [(k, v) for k, v in attrs.items() if isinstance(v, str) and k in spans
                    and any(p.name == k and p.kind == R.INT for p in entry.params)]
            if not dims:
                raise
            k, v = dims[0]
            raise CheckError(f"argument '{k}' must be a static int (a literal or a static parameter, a "
                             f"compile-time constant), got dimension {v}", spans[k]) from None
        for t in result_types:
            if t.is_concrete and math.prod(t.shape) > MAX_ELEMENTS:
                raise CheckError(f"'{name}' would make a tensor of shape {list(t.shape)}: more elements "
                                 f"than any array holds (at most 2**62)", span)
        return self.emit_entry(entry, tensors, call.attrs, result_types, span)

    def _tensor_list(self, name: str, arg: Arg) -> list[Arg]:
        v = arg.value
        if isinstance(v, ListValue):
            return [Arg(x, s) for x, s in zip(v.items, v.spans, strict=True)]
        if isinstance(v, Literal) and v.value.ndim >= 1:
            return [Arg(Literal(x, v.kind), arg.span) for x in v.value]
        raise CheckError(f"argument '{name}' must be a list of tensors like [a, b]", arg.span)

    def _fold_literals(self, entry: OpEntry, operands: list[tuple[str, Arg]], span: Span) -> Literal | SymDim | None:
        """Elementwise builtins on compile-time values only are evaluated at compile
        time (a `SymDim` while some of them are symbolic dimensions)."""
        if entry.elementwise is None or not operands or not all(
                isinstance(a.value, Literal | SymDim) for _, a in operands):
            return None
        lits = [a.value for _, a in operands]
        if entry.name == "div" and all(lit.kind == "int" for lit in lits):
            raise CheckError("'/' between compile-time integers is an error, as for integer tensors; "
                             "use '//' (floordiv) or a float", operands[0][1].span)
        if any(isinstance(v, SymDim) for v in lits):
            return symbolic_apply(entry.name, lits)
        try:
            with np.errstate(all="ignore"):
                out = entry.elementwise(*[lit.value for lit in lits])
        except (TypeError, ValueError) as err:
            raise CheckError(f"cannot evaluate '{entry.name}' on these literals: {err}", span) from None
        return Literal.of(out)

    def _unify(self, entry: OpEntry, operands: list[tuple[str, Arg]]) -> list[Tensor]:
        """Literals among the operands that share a dtype take the tensors' dtype."""
        members = [a for name, a in operands if name in entry.unify]
        dtypes = [a.value.type.dtype for a in members if isinstance(a.value, Tensor)]
        kinds = {a.value.kind for a in members if isinstance(a.value, Literal | SymDim)}
        shared = dtypes[0] if dtypes else ("f32" if "float" in kinds else "bool" if kinds == {"bool"} else "i32")
        out = []
        for name, a in operands:
            if isinstance(a.value, Tensor):
                out.append(a.value)
            elif isinstance(a.value, Literal | SymDim):
                out.append(self.materialize(a.value, a.span, shared if name in entry.unify else None))
            else:
                raise CheckError(f"expected a tensor, got {describe(a.value)}", a.span)
        return out

    def materialize(self, lit: Literal | SymDim, span: Span, dtype: str | None) -> Tensor:
        """A literal as a tensor of `dtype` (its own default when None)."""
        if isinstance(lit, SymDim):
            return self._materialize_symbolic(lit, span, dtype)
        ttype = literal_tensor_type(lit, dtype)
        target = ttype.dtype
        if lit.kind == "float" and not is_float(target):
            raise CheckError(f"float literal {lit.scalar() if lit.is_scalar else ''} cannot take dtype "
                             f"{target}; the other operand is {target}".replace("  ", " "), span)
        if (lit.kind == "bool") != (target == "bool"):
            raise CheckError(f"{lit.describe()} cannot take dtype {target}", span)
        if lit.kind == "int" and is_int(target):
            info = np.iinfo(to_numpy(target))
            if lit.value.size and (lit.value.min() < info.min or lit.value.max() > info.max):
                raise CheckError(f"integer literal does not fit in {target}", span)
        if not self.emitting:
            return Tensor(ttype)
        xtype = tensor_type(target, ttype.shape)
        with np.errstate(over="ignore"):
            data = lit.value.astype(to_numpy(target)).reshape(-1)
        values = data.tolist() if data.size else []
        op = self.emit(tf.ConstantOp(DenseIntOrFPElementsAttr.from_list(xtype, values)), span)
        return Tensor(ttype, op.results[0])

    def _materialize_symbolic(self, value: SymDim, span: Span, dtype: str | None) -> Tensor:
        """A compile-time value not known yet (a symbolic dimension) as a rank-0
        tensor: only while a function is checked with symbolic sizes."""
        target = dtype or {"int": "i32", "float": "f32", "bool": "bool"}[value.kind]
        if value.kind == "float" and not is_float(target):
            raise CheckError(f"{describe(value)} cannot take dtype {target}; the other operand is {target}", span)
        if (value.kind == "bool") != (target == "bool"):
            raise CheckError(f"{describe(value)} cannot take dtype {target}", span)
        if self.emitting:
            raise CheckError(f"{describe(value)} has no size in this specialization", span)
        return Tensor(TType(target, ()))

    def dim_call(self, args: list[Arg], kwargs: list[tuple[ast.KwArg, Arg]], e: ast.Call) -> Value:
        """`dim(x, axis)`: the size of an axis of `x`, a compile-time integer."""
        bound = bind("dim", [Slot("x", False), Slot("axis", False)], args, kwargs, e.callee_span)
        x, axis_arg = bound["x"], bound["axis"]
        if isinstance(x.value, Poison) or isinstance(axis_arg.value, Poison):
            return POISON
        value = x.value
        if isinstance(value, Literal):
            value = Tensor(literal_tensor_type(value))
        if not isinstance(value, Tensor):
            raise CheckError(f"'dim' needs a tensor, got {describe(value)}", x.span)
        axis = convert_static(R.INT, "axis", axis_arg)
        rank = value.type.rank
        if not isinstance(axis, int) or not -rank <= axis < rank:
            raise CheckError(f"axis {axis} is out of range for a tensor of rank {rank}", axis_arg.span)
        size = value.type.shape[axis % rank]
        if isinstance(size, int):
            return Literal.of(size)
        return SymDim(size if isinstance(size, str) else f"dim({e.args[0].span.line}:{e.args[0].span.column})")

    def emit_entry(self, entry: OpEntry, tensors: list[Tensor], attrs: dict[str, Any],
                   result_types: list[TType], span: Span) -> list[Value]:
        if not self.emitting:
            return [Tensor(t) for t in result_types]
        xtypes = [tensor_type(t.dtype, t.shape) for t in result_types]
        built = entry.build([t.ssa for t in tensors], attrs, xtypes)
        for op in built if isinstance(built, list) else [built]:
            self.emit(op, span)
        return [Tensor(t, r) for t, r in zip(result_types, op.results, strict=True)]

    # -- user functions -----------------------------------------------------

    def call_function(self, fn: ast.FnDef, file: Any, args: list[Arg],
                      kwargs: list[tuple[ast.KwArg, Arg]], e: ast.Call) -> list[Value]:
        if any(f.fn is fn for f in self.stack):
            raise CheckError(f"recursive call of '{fn.name}': recursion is not supported", e.callee_span)
        slots = [Slot(p.name, p.default is not None) for p in fn.params]
        bound = bind(fn.name, slots, args, kwargs, e.callee_span)
        values: dict[str, Value] = {}
        dims: dict[str, tuple[Any, str]] = {}
        for p in fn.params:
            arg = bound.get(p.name) or Arg(self._default(fn, p, file), p.span)
            values[p.name] = self._param_value(fn, p, arg, dims)
        if any(isinstance(v, Poison) for v in values.values()):
            return [POISON] * len(fn.results or [None])
        outer = self.anchor
        if file.is_prelude and outer is None:
            self.anchor = e.callee_span
        try:
            spec = self.specialize(fn, file, values)
        finally:
            self.anchor = outer
        return self._call_results(spec, values, fn, e.span)

    def _default(self, fn: ast.FnDef, p: ast.Param, file: Any) -> Value:
        assert p.default is not None
        return self.expr(p.default)

    def _param_value(self, fn: ast.FnDef, p: ast.Param, arg: Arg, dims: dict[str, Any]) -> Value:
        v = arg.value
        if isinstance(v, Poison):
            return v
        if isinstance(p.type, ast.StaticType):
            kind = {"int": R.INT, "float": R.FLOAT, "bool": R.BOOL, "[int]": R.INTS}[p.type.kind]
            py = convert_static(kind, p.name, arg)
            return SymDim(py) if isinstance(py, str) else Literal.of(py)
        if p.type is None:
            if isinstance(v, ListValue):
                raise CheckError(f"argument '{p.name}' of '{fn.name}' must be a tensor, got a list", arg.span)
            if isinstance(v, DTypeValue | SymDim):
                raise CheckError(f"argument '{p.name}' of '{fn.name}' must be a tensor, got {describe(v)}", arg.span)
            return v
        want = p.type
        if isinstance(v, Literal):
            v = self.materialize(v, arg.span, want.dtype)
        if not isinstance(v, Tensor):
            raise CheckError(f"argument '{p.name}' of '{fn.name}' must be a tensor, got {describe(v)}", arg.span)
        got = v.type
        if got.dtype != want.dtype or got.rank != len(want.dims):
            raise CheckError(f"argument '{p.name}' of '{fn.name}' expects {want.dtype}"
                             f"[{', '.join(map(str, want.dims))}], got {got}", arg.span)
        for i, (d, g) in enumerate(zip(want.dims, got.shape, strict=True)):
            if isinstance(d, int) and isinstance(g, int) and d != g:
                raise CheckError(f"argument '{p.name}' of '{fn.name}' expects size {d} in axis {i}, got {g}",
                                 arg.span)
            if isinstance(d, str) and isinstance(g, int):
                if d in dims and dims[d][0] != g:
                    raise CheckError(f"dimension {d} of '{fn.name}' is {dims[d][0]} from parameter "
                                     f"'{dims[d][1]}' but {g} from parameter '{p.name}'", arg.span)
                dims.setdefault(d, (g, p.name))
        return v

    def _call_results(self, spec: Any, values: dict[str, Value], fn: ast.FnDef, span: Span) -> list[Value]:
        results = spec.results
        if spec.symbol is None or not self.emitting:
            return [Tensor(r.type) if isinstance(r, Tensor) else r for r in results]
        operands = [v.ssa for v in values.values() if isinstance(v, Tensor)]
        rtypes = [r.ssa.type for r in results if isinstance(r, Tensor) and r.ssa is not None]
        op = self.emit(func.CallOp(spec.symbol, operands, rtypes), span)
        out, i = [], 0
        for r in results:
            if isinstance(r, Tensor):
                out.append(Tensor(r.type, op.results[i]))
                i += 1
            else:
                out.append(r)
        return out
