"""Statements (v2 control flow included): `let`, `for ... in range(...)`,
`while`, `if`/`else`, checked and emitted as structured IR.

Loops and branches are xDSL's `scf.for` / `scf.while` / `scf.if` with the
loop-carried values as explicit tensor operands and results (docs/ir-levels.md
section 1): a name bound before a block and rebound anywhere in it (nested
blocks included) is carried; names first bound inside a block are local to
it. A `for` loop has compile-time bounds, so its trip count is static; its
variable is an `i32` rank-0 tensor made from the `index` induction variable
by `tf.from_index`. A `while` condition and a runtime `if` condition are
`bool` rank-0 tensors read as an `i1` by `tensor.extract`. An `if` on a
compile-time condition is resolved here: the taken block is checked and
emitted as if written inline, the other block is not checked further.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from xdsl.dialects import arith, scf, tensor
from xdsl.dialects.builtin import FileLineColLoc, IndexType, IntAttr, IntegerAttr, StringAttr
from xdsl.ir import Block, Operation, Region

from tfir.dialects import tf
from tfir.dialects.dtypes import tensor_type
from tfir.dialects.registry import TType
from tfir.errors import Span
from tfir.frontend import ast
from tfir.frontend.calls import CheckError
from tfir.frontend.values import POISON, Literal, Poison, SymDim, Tensor, Value, describe

I32_SCALAR = TType("i32", ())


def rebound_names(stmts: list[ast.Stmt]) -> list[tuple[str, Span]]:
    """Every name a `let` binds in `stmts`, nested blocks included, in source
    order (first binding each), with the span of that `let`."""
    out: dict[str, Span] = {}

    def walk(body: list[ast.Stmt]) -> None:
        for s in body:
            if isinstance(s, ast.Let):
                for name, _ in s.names:
                    out.setdefault(name, s.span)
            elif isinstance(s, ast.For | ast.While):
                walk(s.body)
            elif isinstance(s, ast.If):
                walk(s.then)
                walk(s.orelse or [])

    walk(stmts)
    return list(out.items())


def same_type(a: TType, b: TType) -> bool:
    """Equal dtypes and shapes; an unknown dim (None) matches any."""
    return a.dtype == b.dtype and a.rank == b.rank and all(
        x is None or y is None or x == y for x, y in zip(a.shape, b.shape, strict=True))


class ControlMixin:
    """Statement checking and emission of the Specializer (frontend/checker.py)."""

    frame: Any

    # -- statements and blocks ------------------------------------------------------------

    def statement(self: Any, stmt: ast.Stmt) -> None:
        if isinstance(stmt, ast.Let):
            self._let(stmt)
        elif isinstance(stmt, ast.For):
            self._for(stmt)
        elif isinstance(stmt, ast.While):
            self._while(stmt)
        elif isinstance(stmt, ast.If):
            self._if(stmt)
        else:
            raise CheckError("return must be the last statement of the function, outside any block "
                             "(a loop or a branch cannot return)", stmt.span)

    def statements(self: Any, stmts: list[ast.Stmt]) -> None:
        """Runs `stmts`, recording each statement's error and poisoning what it binds."""
        for stmt in stmts:
            try:
                self.statement(stmt)
            except CheckError as err:
                self.record(err.message, err.span)
                self._poison(stmt)

    def _poison(self: Any, stmt: ast.Stmt) -> None:
        if isinstance(stmt, ast.Let):
            names = [n for n, _ in stmt.names]
        else:
            names = [n for n, _ in rebound_names([stmt]) if n in self.frame.env]
        for name in names:
            self.frame.env[name] = POISON

    def scoped(self: Any, stmts: list[ast.Stmt], bindings: dict[str, Value], block: Block | None
               ) -> tuple[dict[str, Value], dict[str, Span]]:
        """Runs a block in a scope of its own (emitting into `block`): the
        environment at its end, and where each name was last bound."""
        frame = self.frame
        saved = frame.env, frame.bound_at, frame.block
        frame.env, frame.bound_at = {**frame.env, **bindings}, dict(frame.bound_at)
        frame.block = block
        try:
            self.statements(stmts)
            return frame.env, frame.bound_at
        finally:
            frame.env, frame.bound_at, frame.block = saved

    @property
    def emitting_ir(self: Any) -> bool:
        return self.emit_ir and self.frame.block is not None

    def carried(self: Any, stmts: list[ast.Stmt], exclude: str | None = None) -> list[str]:
        """The names a block carries: bound before it and rebound in it. A
        compile-time value cannot be carried (its value would depend on the run)."""
        names = []
        for name, span in rebound_names(stmts):
            if name == exclude or name not in self.frame.env:
                continue
            value = self.frame.env[name]
            if isinstance(value, Poison):
                continue
            if not isinstance(value, Tensor):
                raise CheckError(
                    f"'{name}' is a compile-time value ({describe(value)}) and a loop or a branch on a "
                    f"run-time condition may not rebind it; start it as a tensor instead, e.g. "
                    f"`let {name} = full([], ...);`", span)
            names.append(name)
        return names

    def _carried_result(self: Any, name: str, value: Value, before: TType, span: Span) -> Value:
        """`value` rebound to carried `name` at the end of a block, checked against its type before."""
        if isinstance(value, Poison):
            return value
        if isinstance(value, Literal | SymDim):
            value = self.materialize(value, span, before.dtype)
        if not isinstance(value, Tensor):
            raise CheckError(f"'{name}' is carried as a tensor {before} but is rebound to {describe(value)}", span)
        return value

    # -- for ----------------------------------------------------------------------------------

    def _range_bounds(self: Any, s: ast.For) -> list[int | SymDim]:
        if not 1 <= len(s.args) <= 3:
            raise CheckError(f"range takes 1 to 3 arguments (start, stop, step), got {len(s.args)}", s.range_span)
        values: list[int | SymDim] = []
        for arg in s.args:
            v = self.expr(arg)
            if isinstance(v, Poison):
                raise CheckError("", arg.span)
            if isinstance(v, Literal) and v.is_scalar and v.kind == "int":
                values.append(int(v.scalar()))
            elif isinstance(v, SymDim) and v.kind == "int":
                values.append(v)
            else:
                raise CheckError(f"the bounds of range must be compile-time integers (literals, dimensions, "
                                 f"static int parameters), got {describe(v)}", arg.span)
        if len(values) == 3 and values[2] == 0:
            raise CheckError("the step of range cannot be zero", s.args[2].span)
        start, stop, step = (0, values[0], 1) if len(values) == 1 else (*values, 1)[:3]
        return [start, stop, step]

    def _for(self: Any, s: ast.For) -> None:
        start, stop, step = self._range_bounds(s)
        names = self.carried(s.body, exclude=s.var)
        init = {n: self.frame.env[n] for n in names}
        concrete = all(isinstance(v, int) for v in (start, stop, step))
        if not (self.emitting_ir and concrete):
            bindings = {**init, s.var: Tensor(I32_SCALAR)}
            env, bound = self.scoped(s.body, bindings, None)
            self._finish_loop(names, init, env, bound, None, s.span)
            return
        if step > 0:
            lb, ub, st, affine = start, stop, step, None
        else:
            lb, ub, st, affine = 0, len(range(start, stop, step)), 1, (start, step)
        bounds = [self.emit(arith.ConstantOp(IntegerAttr(v, IndexType())), s.range_span).results[0]
                  for v in (lb, ub, st)]
        body = Block(arg_types=[IndexType(), *(init[n].ssa.type for n in names)])
        body.args[0].name_hint = s.var
        bindings: dict[str, Value] = {n: Tensor(init[n].type, a) for n, a in zip(names, body.args[1:], strict=True)}
        for n, a in zip(names, body.args[1:], strict=True):
            a.name_hint = n
        bindings[s.var] = self._loop_variable(body, affine, s.var_span)
        env, bound = self.scoped(s.body, bindings, body)
        values = self._finish_loop(names, init, env, bound, body, s.span)
        if values is None:
            return
        loop = self.emit(scf.ForOp(*bounds, [init[n].ssa for n in names], body), s.span)
        self._bind_results(names, values, loop)

    def _loop_variable(self: Any, body: Block, affine: tuple[int, int] | None, span: Span) -> Tensor:
        """The loop variable as an `i32` rank-0 tensor (`start + k * step` for a negative step)."""
        frame = self.frame
        saved, frame.block = frame.block, body
        try:
            iv = body.args[0]
            if affine is not None:
                start, step = affine
                k_step = self.emit(arith.MuliOp(iv, self.emit(
                    arith.ConstantOp(IntegerAttr(step, IndexType())), span).results[0]), span).results[0]
                iv = self.emit(arith.AddiOp(self.emit(
                    arith.ConstantOp(IntegerAttr(start, IndexType())), span).results[0], k_step), span).results[0]
            op = self.emit(tf.FromIndexOp(iv, tensor_type("i32", ())), span)
            op.results[0].name_hint = body.args[0].name_hint
            return Tensor(I32_SCALAR, op.results[0])
        finally:
            frame.block = saved

    def _finish_loop(self: Any, names: list[str], init: dict[str, Value], env: dict[str, Value],
                     bound: dict[str, Span], body: Block | None, span: Span) -> list[Value] | None:
        """Checks the carried values at the end of a loop body and yields them
        (into `body` when emitting); None when one of them failed. Without IR,
        binds the names to what the loop gives."""
        values: list[Value] = []
        for n in names:
            before = init[n]
            assert isinstance(before, Tensor)
            at = bound.get(n, span)
            try:
                value = self._carried_result(n, env[n], before.type, at)
            except CheckError as err:
                self.record(err.message, err.span)
                value = POISON
            if isinstance(value, Tensor) and not same_type(value.type, before.type):
                self.record(f"'{n}' is carried by the loop but changes type: {before.type} before the loop, "
                            f"{value.type} at the end of its body (a carried value keeps its dtype and shape)", at)
                value = POISON
            values.append(value)
        failed = any(isinstance(v, Poison) or (body is not None and v.ssa is None) for v in values)
        if body is None or failed:
            for n, v in zip(names, values, strict=True):
                keep = body is None and not isinstance(v, Poison)
                self.frame.env[n] = Tensor(init[n].type) if keep else POISON
            return None
        self._yield(body, [v.ssa for v in values])
        return values

    def _yield(self: Any, block: Block, values: list[Any]) -> None:
        op = scf.YieldOp(*values)
        last = block.last_op
        op.location = last.location if last is not None else self._location_of_frame()
        block.add_op(op)

    def _location_of_frame(self: Any) -> Any:
        span = self.anchor or self.frame.fn.span
        return FileLineColLoc(StringAttr(span.filename), IntAttr(span.line), IntAttr(span.column))

    def _bind_results(self: Any, names: list[str], values: list[Value], op: Operation) -> None:
        for n, v, r in zip(names, values, op.results, strict=True):
            assert isinstance(v, Tensor)
            r.name_hint = n
            self.frame.env[n] = Tensor(v.type, r)

    # -- while --------------------------------------------------------------------------------

    def _condition(self: Any, cond: ast.Expr, what: str) -> Value:
        """A run-time `bool` rank-0 condition (a compile-time bool stays one)."""
        value = self.expr(cond)
        if isinstance(value, Poison | SymDim) and (isinstance(value, Poison) or value.kind == "bool"):
            return value
        if isinstance(value, Literal) and value.kind == "bool" and value.is_scalar:
            return value
        if not (isinstance(value, Tensor) and value.type.dtype == "bool" and value.type.rank == 0):
            raise CheckError(f"the condition of '{what}' must be a bool scalar (a bool rank-0 tensor), got "
                             f"{describe(value)}; reduce it with any() or all()", cond.span)
        return value

    def _i1(self: Any, value: Value, span: Span) -> Any:
        if isinstance(value, Literal):
            value = self.materialize(value, span, "bool")
        return self.emit(tensor.ExtractOp(value.ssa, [], value.ssa.type.get_element_type()), span).results[0]

    def _while(self: Any, s: ast.While) -> None:
        names = self.carried(s.body)
        init = {n: self.frame.env[n] for n in names}
        if not self.emitting_ir:
            self._condition(s.cond, "while")
            env, bound = self.scoped(s.body, {}, None)
            self._finish_loop(names, init, env, bound, None, s.span)
            return
        types = [init[n].ssa.type for n in names]
        before, after = Block(arg_types=types), Block(arg_types=types)
        frame = self.frame
        saved_env, saved_block = frame.env, frame.block
        frame.env = {**frame.env, **{n: Tensor(init[n].type, a) for n, a in zip(names, before.args, strict=True)}}
        frame.block = before
        try:
            cond = self._condition(s.cond, "while")
            if isinstance(cond, Poison):
                raise CheckError("", s.cond.span)  # already reported
            flag = self._i1(cond, s.cond.span)
            self.emit(scf.ConditionOp(flag, *before.args), s.cond.span)
        finally:
            frame.env, frame.block = saved_env, saved_block
        bindings = {n: Tensor(init[n].type, a) for n, a in zip(names, after.args, strict=True)}
        for n, a, b in zip(names, after.args, before.args, strict=True):
            a.name_hint = b.name_hint = n
        env, bound = self.scoped(s.body, bindings, after)
        values = self._finish_loop(names, init, env, bound, after, s.span)
        if values is None:
            return
        loop = self.emit(scf.WhileOp([init[n].ssa for n in names], types, Region(before), Region(after)), s.span)
        self._bind_results(names, values, loop)

    # -- if -----------------------------------------------------------------------------------

    def _if(self: Any, s: ast.If) -> None:
        cond = self._condition(s.cond, "if")
        if isinstance(cond, Poison):
            raise CheckError("", s.cond.span)
        if isinstance(cond, Literal):
            self._static_if(s, bool(cond.scalar()))
            return
        if isinstance(cond, SymDim):
            self._unknown_static_if(s)
            return
        names = self.carried(s.then + (s.orelse or []))
        init = {n: self.frame.env[n] for n in names}
        emit = self.emitting_ir
        then_block = Block() if emit else None
        else_block = Block() if emit else None
        then_env, then_bound = self.scoped(s.then, {}, then_block)
        else_env, else_bound = self.scoped(s.orelse or [], {}, else_block)
        values, failed = [], False
        for n in names:
            before = init[n]
            a = self._branch_value(n, then_env[n], before, then_bound, s.span)
            b = self._branch_value(n, else_env[n], before, else_bound, s.span)
            if isinstance(a, Tensor) and isinstance(b, Tensor) and not same_type(a.type, b.type):
                where = "when the branch is not taken" if s.orelse is None else "after the else branch"
                self.record(f"the branches of 'if' leave '{n}' with different types: {a.type} after the then "
                            f"branch but {b.type} {where} (both must give it the same type)", s.span)
                a = POISON
            values.append((a, b))
            failed = failed or isinstance(a, Poison) or isinstance(b, Poison)
        if failed or not emit:
            for n, (a, _) in zip(names, values, strict=True):
                self.frame.env[n] = POISON if isinstance(a, Poison) or emit else Tensor(a.type)
            return
        for block, k in ((then_block, 0), (else_block, 1)):
            self._yield(block, [v[k].ssa for v in values])
        flag = self._i1(cond, s.cond.span)
        op = self.emit(scf.IfOp(flag, [v[0].ssa.type for v in values], Region(then_block), Region(else_block)),
                       s.span)
        self._bind_results(names, [v[0] for v in values], op)

    def _branch_value(self: Any, name: str, value: Value, before: Value, bound: dict[str, Span],
                      span: Span) -> Value:
        assert isinstance(before, Tensor)
        try:
            return self._carried_result(name, value, before.type, bound.get(name, span))
        except CheckError as err:
            self.record(err.message, err.span)
            return POISON

    def _static_if(self: Any, s: ast.If, taken: bool) -> None:
        """A compile-time condition: the taken block as if written inline (names
        it rebinds may change type; names it binds first stay local to it)."""
        stmts = s.then if taken else (s.orelse or [])
        outer = set(self.frame.env)
        env, bound = self.scoped(stmts, {}, self.frame.block)
        for name in outer:
            if env.get(name) is not self.frame.env.get(name):
                self.frame.env[name] = env[name]
                if name in bound:
                    self.frame.bound_at[name] = bound[name]

    def _unknown_static_if(self: Any, s: ast.If) -> None:
        """A compile-time condition whose value is not known while a function is
        checked with symbolic sizes: both blocks are checked leniently (the
        specialization checks the taken one); a name they leave with different
        types is unknown afterwards."""
        envs = []
        for stmts in (s.then, s.orelse or []):
            saved = list(self.diagnostics)
            env, _ = self.scoped(stmts, {}, None)
            self.diagnostics[:] = saved  # an error in a block that may not be taken is not reported now
            envs.append(env)
        for name in set(self.frame.env):
            a, b = envs[0].get(name), envs[1].get(name)
            if a is self.frame.env[name] and b is self.frame.env[name]:
                continue
            if isinstance(a, Tensor) and isinstance(b, Tensor) and a.type.dtype == b.type.dtype \
                    and a.type.rank == b.type.rank:
                shape = tuple(x if x == y else None for x, y in zip(a.type.shape, b.type.shape, strict=True))
                self.frame.env[name] = Tensor(TType(a.type.dtype, shape))
            else:
                self.frame.env[name] = POISON


def walk_blocks(stmts: list[ast.Stmt]) -> Iterator[ast.Stmt]:
    """Every statement of `stmts`, nested blocks included."""
    for s in stmts:
        yield s
        if isinstance(s, ast.For | ast.While):
            yield from walk_blocks(s.body)
        elif isinstance(s, ast.If):
            yield from walk_blocks(s.then)
            yield from walk_blocks(s.orelse or [])
