"""What the checker adds for `gradients(y, [x1, ..., xn])` beyond the typing of
its registry entry (dialects/gradients.py): each `xi` is a name bound in the
function, as the spec asks, so that the gradient is taken with respect to that
value (a bare expression would be a new value that `y` cannot depend on); and
no gradient flows through a `while` loop (`while_errors`)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from tfir.errors import Diagnostic, Span
from tfir.frontend import ast
from tfir.frontend.calls import CheckError

NAME = "gradients"


def check_call(e: ast.Call) -> None:
    """Raises a CheckError unless the `xs` argument is a list of names."""
    xs = e.args[1] if len(e.args) > 1 else next((kw.value for kw in e.kwargs if kw.name == "xs"), None)
    if xs is None:
        return  # binding reports the missing argument
    if not isinstance(xs, ast.ListLit):
        raise CheckError("'gradients' takes a list of names to differentiate by, like [w, b]", xs.span)
    for item in xs.items:
        if not isinstance(item, ast.Name):
            raise CheckError("'gradients' differentiates with respect to names bound in the function "
                             "(a parameter or a `let`); bind this expression with `let` first", item.span)


# -- gradients through while loops ---------------------------------------------------------
# A `while` loop's trip count is known only at run time, so no reverse loop can
# be built for it: a gradient whose value flows through one is an error at the
# `gradients` call (the spec: it says to use `for`). Found on the syntax: each
# binding (a parameter, a `let`, a loop's result) is an *origin*; a value
# depends on the origins its expression reads; the values a `while` rebinds
# depend on everything they read *through* it.


class _Absent:
    """Stands for a statement class this tree's AST does not have yet."""


# The statements of language v2 (loops, branches) may not be in this tree yet.
For, While, If = (getattr(ast, name, _Absent) for name in ("For", "While", "If"))


@dataclass(frozen=True)
class Flow:
    deps: frozenset[int] = frozenset()      # the origins the value depends on
    through: frozenset[int] = frozenset()   # those whose influence passes through a while loop

    def join(self, other: Flow) -> Flow:
        return Flow(self.deps | other.deps, self.through | other.through)


@dataclass
class Binding:
    flow: Flow
    origin: int


class WhileFlow:
    """The dataflow walk of one file's functions."""

    def __init__(self, file: Any, text: str):
        self.file, self.text = file, text
        self._origins: dict[tuple[int, str], int] = {}
        self.loops: dict[int, Span] = {}  # origin -> the while loop it passed through first
        self.diagnostics: list[Diagnostic] = []
        self._has_while: dict[str, bool] = {}

    def new(self, node: Any, name: str, flow: Flow = Flow()) -> Binding:
        """The binding of `name` by `node`: one origin per binding site, so that
        walking a loop body again finds the same origins (a fixpoint)."""
        origin = self._origins.setdefault((id(node), name), len(self._origins) + 1)
        return Binding(Flow(flow.deps | {origin}, flow.through), origin)

    def function(self, fn: ast.FnDef) -> None:
        env = {p.name: self.new(fn, p.name) for p in fn.params}
        self.block(fn.body, env)

    def block(self, stmts: list[Any], env: dict[str, Binding]) -> dict[str, Binding]:
        for s in stmts:
            self.statement(s, env)
        return env

    def statement(self, s: Any, env: dict[str, Binding]) -> None:
        if isinstance(s, ast.Let):
            flow = self.expr(s.value, env)
            for name, _ in s.names:
                env[name] = self.new(s, name, flow)
        elif isinstance(s, ast.Return):
            for e in s.values:
                self.expr(e, env)
        elif isinstance(s, If):
            self.expr(s.cond, env)
            then = self.block(s.then, dict(env))
            orelse = self.block(s.orelse or [], dict(env))
            for name in list(env):
                if then[name] is not env[name] or orelse[name] is not env[name]:
                    env[name] = self.new(s, name, then[name].flow.join(orelse[name].flow))
        elif isinstance(s, (For, While)):
            self._loop(s, env)

    def _loop(self, s: Any, env: dict[str, Binding]) -> None:
        for e in (s.args if isinstance(s, For) else [s.cond]):
            self.expr(e, env)
        inner = dict(env)
        while True:  # to a fixpoint: what iteration k reads, iteration k+1 may depend on
            out = self.block(s.body, dict(inner))
            changed = False
            for name in env:
                if out[name] is not inner[name]:
                    joined = inner[name].flow.join(out[name].flow)
                    if joined != inner[name].flow:
                        inner[name], changed = Binding(joined, inner[name].origin), True
            if not changed:
                break
        for name in env:
            if inner[name] is env[name]:
                continue
            flow = inner[name].flow
            if isinstance(s, While):
                for o in flow.deps:
                    self.loops.setdefault(o, s.span)
                flow = Flow(flow.deps, flow.deps)
            env[name] = self.new(s, name, flow)

    def expr(self, e: Any, env: dict[str, Binding]) -> Flow:
        if isinstance(e, ast.Name):
            found = env.get(e.id)
            return found.flow if found is not None else Flow()
        if isinstance(e, ast.Call):
            return self._call(e, env)
        flow = Flow()
        for child in _children(e):
            flow = flow.join(self.expr(child, env))
        return flow

    def _call(self, e: ast.Call, env: dict[str, Binding]) -> Flow:
        args = [*e.args, *(kw.value for kw in e.kwargs)]
        flow = Flow()
        for a in args:
            flow = flow.join(self.expr(a, env))
        found = self.file.lookup_function(e.callee) if "." not in e.callee else None
        if found is not None:
            if self.has_while(*found):
                flow = Flow(flow.deps, flow.deps)
            return flow
        if e.callee == NAME and e.args:
            self._check(e, env)
        return flow

    def _check(self, e: ast.Call, env: dict[str, Binding]) -> None:
        target = self.expr(e.args[0], env)
        xs = e.args[1] if len(e.args) > 1 else None
        for item in (xs.items if isinstance(xs, ast.ListLit) else []):
            bound = env.get(item.id) if isinstance(item, ast.Name) else None
            if bound is None or bound.origin not in target.through:
                continue
            loop = self.loops[bound.origin]
            self.diagnostics.append(Diagnostic(
                f"'gradients' cannot differentiate through the while loop at line {loop.line}: '{item.id}' "
                f"reaches the target through it, and a while loop's trip count is known only when it runs; "
                f"write it as a for loop (`for i in range(N)`), which gradients go through",
                e.callee_span, source_text=self.text))

    def has_while(self, fn: ast.FnDef, file: Any) -> bool:
        """Whether `fn` (or a function it calls) has a while loop on the way from its arguments."""
        key = f"{file.filename}:{fn.name}"
        if key not in self._has_while:
            self._has_while[key] = False  # recursion is reported elsewhere
            found = any(isinstance(s, While) for s in _statements(fn.body))
            for call in _calls(fn.body):
                callee = file.lookup_function(call.callee) if "." not in call.callee else None
                found = found or (callee is not None and self.has_while(*callee))
            self._has_while[key] = found
        return self._has_while[key]


def _children(node: Any) -> list[Any]:
    out = []
    for f in fields(node):
        if f.name == "span":
            continue
        value = getattr(node, f.name)
        for v in (value if isinstance(value, list) else [value]):
            if isinstance(v, ast.Node):
                out.append(v)
    return out


def _statements(stmts: list[Any]) -> list[Any]:
    out = []
    for s in stmts:
        out.append(s)
        for attr in ("body", "then", "orelse"):
            out += _statements(getattr(s, attr, None) or [])
    return out


def _calls(node: Any) -> list[ast.Call]:
    nodes = node if isinstance(node, list) else [node]
    out = []
    for n in nodes:
        if isinstance(n, ast.Call):
            out.append(n)
        if isinstance(n, ast.Node):
            out += _calls(_children(n))
    return out


def while_errors(program: Any) -> list[Diagnostic]:
    """A diagnostic at each `gradients(...)` whose gradient would flow through a while loop."""
    out: list[Diagnostic] = []
    for file in program.files.values():
        flow = WhileFlow(file, file.source.text)
        for fn in file.functions.values():
            flow.function(fn)
        out += flow.diagnostics
    return out
