"""An independent reference for `.tf` programs and their gradients: the
syntax tree run by JAX (`jax.numpy`, `jax.nn`, `jax.lax`), with `gradients`
as `jb.jax.grad`.

Nothing of tfir's IR, passes or gradient rules is used: the source is parsed
by the frontend's parser, and every builtin is written here again from the
language spec, as JAX spells it (the spec says gradients equal `jb.jax.grad`'s,
ties and kinks included). The builtins' argument names and defaults come from
the registry (the interface, not the semantics). `random_uniform` and
`random_normal` take tfir's own Philox values: they are constants of the
gradient, and the spec defines them by tfir's generator.

Semantics kept from the spec:
- a literal (or an expression of literals) is a compile-time value that takes
  the dtype of the tensor beside it; alone it is f32 (a fraction) or i32;
- control flow runs in Python on concrete values (`jb.jax.grad` without `jit`
  allows it); names first bound in a block are local to it;
- `gradients(y, [x1, ...])` is `jb.jax.grad` of `sum(y)` by each `xi`, with the
  statements from `xi`'s binding to the `gradients` re-run as a function of
  it: across enclosing blocks too (a total derivative), where an `if`'s block
  shares every outer name and a loop's body all but its carried names (which
  are the iteration's inputs, as block arguments are in the `tf` IR).

Needs `jax` (in the `dev` and `bench` extras); `jax_enable_x64` is switched on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfir.dialects.builtins import REGISTRY
from tfir.dialects.registry import REQUIRED
from tfir.frontend import ast
from tfir.frontend.control import rebound_names
from tfir.frontend.expressions import OPERATORS
from tfir.frontend.parser import parse
from tfir.testing import jax_builtins as jb
from tfir.testing.jax_builtins import (
    COMPOSITES,
    ELEMENTWISE,
    STRUCTURAL,
    LitTensor,
    available,
    concrete,
    harmonize,
    is_lit,
)


class Unsupported(Exception):
    """A construct the reference does not model (a custom op, an import)."""


def fold(fn: Callable[..., Any], values: Sequence[Any]) -> Any:
    """An elementwise builtin of literals only: a literal (computed in double)."""
    raw = [v.value if isinstance(v, LitTensor) else v for v in values]
    arrays = [np.asarray(r, dtype=np.float64) if isinstance(r, float) else np.asarray(r) for r in raw]
    try:
        out = np.asarray(fn(*arrays))
    except TypeError:  # a float function of compile-time ints (`rsqrt(dim(x, -1))`)
        out = np.asarray(fn(*[a.astype(np.float64) for a in arrays]))
    if any(isinstance(v, LitTensor) for v in values):
        return LitTensor(out)
    return bool(out) if out.dtype.kind == "b" else int(out) if out.dtype.kind in "iu" else float(out)


# -- running a program -------------------------------------------------------------------

Env = dict[str, Any]
UNCAST = ("indices", "seed", "labels", "cond")  # tensor parameters that keep their own dtype


class Interpreter:
    """Runs the functions of one `.tf` source with JAX."""

    def __init__(self, source: str, filename: str = "<reference>"):
        if not available():
            raise Unsupported("jax is not installed")
        tree = parse(source, filename)
        if tree.imports or tree.uses:
            raise Unsupported("imports and custom dialects")
        self.fns = {f.name: f for f in tree.functions}
        self._snapshots: dict[int, bool] = {}
        self._frames: list[_Frame] = []  # the blocks around the running one, outermost first

    def __call__(self, entry: str, inputs: dict[str, Any]) -> tuple[Any, ...]:
        fn = self.fns[entry]
        kwargs = {p.name: inputs[p.name] if p.is_static else jb.jnp.asarray(inputs[p.name])
                  for p in fn.params if p.name in inputs}
        return self.call(fn, [], kwargs)

    def call(self, fn: ast.FnDef, args: list[Any], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        env: Env = {}
        for i, p in enumerate(fn.params):
            value = args[i] if i < len(args) else kwargs[p.name] if p.name in kwargs else self.expr(p.default, {})
            if isinstance(p.type, ast.TensorTypeExpr):
                value = concrete(value)
                env.update({d: int(n) for d, n in zip(p.type.dims, value.shape, strict=True) if isinstance(d, str)})
            env[p.name] = value
        result = self.block(fn.body, env)
        assert result is not None, f"function {fn.name} has no return"
        return result

    # -- statements ----------------------------------------------------------------------

    def block(self, stmts: list[ast.Stmt], env: Env) -> tuple[Any, ...] | None:
        """Runs `stmts` in `env`; the values of a `return`, if it has one."""
        return self.statements(stmts, env, 0, len(stmts), [] if self._keeps_snapshots(stmts) else None)

    def statements(self, stmts: list[ast.Stmt], env: Env, start: int, stop: int,
                   before: list[Env] | None) -> tuple[Any, ...] | None:
        """Runs `stmts[start:stop]`, keeping in `before` (if given) the names bound
        before each statement (what `gradients` re-runs from)."""
        for k in range(start, stop):
            stmt = stmts[k]
            if before is not None:
                before.append(dict(env))
            if isinstance(stmt, ast.Return):
                return tuple(concrete(self.expr(v, env)) for v in stmt.values)
            if isinstance(stmt, ast.Let):
                self.let(stmt, env, stmts, before, k)
            else:
                if before is not None:
                    self._frames.append(_Frame(stmts, before, k))
                try:
                    self.compound(stmt, env)
                finally:
                    if before is not None:
                        self._frames.pop()
        return None

    def compound(self, stmt: ast.Stmt, env: Env) -> None:
        """A `for`, `while` or `if`: names first bound in its blocks are local to them."""
        outer = set(env)
        if isinstance(stmt, ast.For):
            for i in range(*[int(self.expr(a, env)) for a in stmt.args]):
                env[stmt.var] = jb.jnp.asarray(i, np.int32)
                self.block(stmt.body, env)
        elif isinstance(stmt, ast.While):
            while bool(self.expr(stmt.cond, env)):
                self.block(stmt.body, env)
        elif isinstance(stmt, ast.If):
            cond = self.expr(stmt.cond, env)
            self.block(stmt.then if bool(cond) else stmt.orelse or [], env)
            if isinstance(cond, bool):  # a compile-time branch is inline
                return
        _forget(env, outer)

    def _keeps_snapshots(self, stmts: list[ast.Stmt]) -> bool:
        """Whether a `gradients` is in the block, or in a block within it."""
        key = id(stmts)
        if key not in self._snapshots:
            self._snapshots[key] = any(isinstance(n, ast.Call) and n.callee == "gradients" for n in ast.walk(stmts))
        return self._snapshots[key]

    def let(self, stmt: ast.Let, env: Env, stmts: list[ast.Stmt], before: list[Env] | None, k: int) -> None:
        names = [n for n, _ in stmt.names]
        if isinstance(stmt.value, ast.Call) and stmt.value.callee == "gradients":
            assert before is not None
            values: Any = self.gradients(stmt.value, env, stmts, before, k)
        else:
            values = self.expr(stmt.value, env)
        if len(names) == 1:
            env[names[0]] = values[0] if isinstance(values, tuple) else values
        else:
            env.update(zip(names, values, strict=True))

    def gradients(self, call: ast.Call, env: Env, stmts: list[ast.Stmt], before: list[Env],
                  k: int) -> tuple[Any, ...]:
        """`jax.grad` of `sum(y)` by each `xi`: the statements from `xi`'s binding
        to here re-run as a function of it (`replay`)."""
        y_node, xs_node = call.args[0], call.args[1]
        assert isinstance(xs_node, ast.ListLit)
        here = [*self._frames, _Frame(stmts, before, k)]
        out = []
        for x_node in xs_node.items:
            assert isinstance(x_node, ast.Name)
            depth, start = _binding(here, x_node.id)

            def loss(v: Any, name: str = x_node.id, depth: int = depth, start: int = start) -> Any:
                local = self.replay(here, depth, start, name, v)
                return jb.jnp.sum(self.expr(y_node, local))

            out.append(jb.jax.grad(loss)(env[x_node.id]))
        return tuple(out)

    def replay(self, here: list[_Frame], depth: int, start: int, name: str, value: Any) -> Env:
        """The names bound just before the innermost frame's statement, recomputed
        with `name` = `value` from its binding (`start` in the frame at `depth`).
        Inner blocks take what their statement shares with the outer one: all of it
        for an `if`; for a loop, all but its carried names (a loop's carried values
        are its iteration's inputs, as in the `tf` IR, where they are block arguments)."""
        saved = self._frames
        try:
            frame = here[depth]
            local = dict(frame.before[start])
            local[name] = value
            self._frames = here[:depth]
            self.statements(frame.stmts, local, start, frame.k, frame.before[:start])
            for outer, inner in zip(here[depth:], here[depth + 1:], strict=False):
                shared = _shared(outer.stmts[outer.k], local)
                local = {**inner.before[0], **shared}
                self._frames = here[:here.index(inner)]
                self.statements(inner.stmts, local, 0, inner.k, [])
            return local
        finally:
            self._frames = saved

    # -- expressions ---------------------------------------------------------------------

    def expr(self, node: ast.Expr | None, env: Env) -> Any:
        if isinstance(node, ast.IntLit | ast.FloatLit | ast.BoolLit | ast.StrLit):
            return node.value
        if isinstance(node, ast.DTypeLit):
            return node.dtype
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.Neg):
            return self.builtin("neg", [self.expr(node.operand, env)])
        if isinstance(node, ast.Binary):
            lhs, rhs = self.expr(node.lhs, env), self.expr(node.rhs, env)
            if node.op == "@":
                return jb.jnp.matmul(*harmonize([lhs, rhs]))
            return self.builtin(OPERATORS[node.op], [lhs, rhs])
        if isinstance(node, ast.ListLit):
            items = [self.expr(i, env) for i in node.items]
            if all(is_lit(i) for i in items):
                return LitTensor(np.array([i.value if isinstance(i, LitTensor) else i for i in items]))
            return items
        if isinstance(node, ast.Subscript):
            return self.subscript(node, env)
        if isinstance(node, ast.Call):
            return self.call_expr(node, env)
        raise Unsupported(f"expression {type(node).__name__}")

    def builtin(self, name: str, values: list[Any]) -> Any:
        """An elementwise builtin: folded when its operands are literals only."""
        fn = ELEMENTWISE[name]
        if all(is_lit(v) for v in values):
            return fold(fn, values)
        if name == "where":
            return fn(concrete(values[0]), *harmonize(values[1:]))
        return fn(*harmonize(values))

    def call_expr(self, node: ast.Call, env: Env) -> Any:
        if node.callee in self.fns:
            args = [self.expr(a, env) for a in node.args]
            result = self.call(self.fns[node.callee], args, {k.name: self.expr(k.value, env) for k in node.kwargs})
            return result[0] if len(result) == 1 else result
        entry = REGISTRY.lookup(node.callee)
        if entry is not None:
            params = [(p.name, p.kind, p.default) for p in entry.params]
        elif node.callee in COMPOSITES:
            params = list(COMPOSITES[node.callee])
        else:
            raise Unsupported(f"builtin {node.callee}")
        args = self.bind(params, node, env)
        if node.callee in ELEMENTWISE:
            return self.builtin(node.callee, [args[p[0]] for p in params])
        tensors = [n for n, kind, _ in params if kind == "tensor" and n not in UNCAST]
        args.update(zip(tensors, harmonize([args[n] for n in tensors]), strict=True))
        args.update({n: concrete(args[n]) for n in UNCAST if n in args})
        return STRUCTURAL[node.callee](args)

    def bind(self, params: list[tuple[str, str, Any]], node: ast.Call, env: Env) -> dict[str, Any]:
        """The call's arguments by parameter name, evaluated as each kind wants."""
        nodes: dict[str, Any] = {}
        positional = list(node.args)
        for name, kind, _ in params:
            if kind == "*tensors":
                nodes[name] = positional
                positional = []
            elif positional:
                nodes[name] = positional.pop(0)
        nodes.update({k.name: k.value for k in node.kwargs})
        out: dict[str, Any] = {}
        for name, kind, default in params:
            if name not in nodes:
                assert default is not REQUIRED, f"{node.callee}: missing {name}"
                out[name] = default
            elif kind in ("tensors", "*tensors"):
                items = nodes[name].items if isinstance(nodes[name], ast.ListLit) else nodes[name]
                out[name] = [self.expr(i, env) for i in items]
            else:
                value = self.expr(nodes[name], env)
                out[name] = value.value.tolist() if isinstance(value, LitTensor) and kind != "tensor" else value
        return out

    def subscript(self, node: ast.Subscript, env: Env) -> Any:
        """NumPy basic indexing; a rank-0 tensor index selects, a rank >= 1 one gathers in place."""
        x = concrete(self.expr(node.value, env))
        basic: list[Any] = []
        gather: tuple[int, Any] | None = None
        axis = 0  # x's axis the next index applies to
        for idx in node.indices:
            if isinstance(idx, ast.NoneIndex):
                basic.append(None)
                continue
            if isinstance(idx, ast.Slice):
                basic.append(slice(*(None if e is None else int(self.expr(e, env))
                                     for e in (idx.start, idx.stop, idx.step))))
            else:
                v = self.expr(idx, env)
                if not is_lit(v) and v.ndim >= 1:
                    gather = (sum(1 for b in basic if not isinstance(b, int)), jb.jnp.where(v < 0, v + x.shape[axis], v))
                    basic.append(slice(None))
                else:
                    i = int(v)
                    basic.append(i + x.shape[axis] if i < 0 else i)
            axis += 1
        out = x[tuple(basic)]
        return out if gather is None else jb.jnp.take(out, gather[1], axis=gather[0])


@dataclass
class _Frame:
    """A block being run: its statements, the names bound before each, and the
    statement running now (a `for`, `while` or `if`, or a `gradients`)."""

    stmts: list[ast.Stmt]
    before: list[Env]
    k: int


def _binding(frames: list[_Frame], name: str) -> tuple[int, int]:
    """(frame, statement) to re-run from for `name`: just after its last binding,
    in the innermost block that binds it before its running statement; the start
    of a loop's body that carries it (the iteration's input); the function's
    start for a parameter."""
    for depth in range(len(frames) - 1, -1, -1):
        f = frames[depth]
        starts = [j + 1 for j in range(f.k) if _binds(f.stmts[j], name)]
        if starts:
            return depth, starts[-1]
        around = frames[depth - 1].stmts[frames[depth - 1].k] if depth else None
        if isinstance(around, ast.For | ast.While) and _binds(around, name):
            return depth, 0
    return 0, 0


def _shared(stmt: ast.Stmt, env: Env) -> Env:
    """What a block inside `stmt` takes from the recomputed `env`."""
    if isinstance(stmt, ast.If):
        return dict(env)
    return {n: v for n, v in env.items() if not _binds(stmt, n)}


def _forget(env: Env, outer: set[str]) -> None:
    """Drops the names first bound in a block (they are local to it)."""
    for name in [n for n in env if n not in outer]:
        del env[name]


def _binds(stmt: ast.Stmt, name: str) -> bool:
    """Whether `stmt` (a `let`, or a block that rebinds a carried name) binds `name`."""
    return any(n == name for n, _ in rebound_names([stmt]))
