"""The `.tf` source of an AST (frontend/ast.py): what `tfir reduce` writes
after each edit. Parentheses only where precedence needs them; comments and
layout are not kept. `print_source(parse(text))` parses back to the same
tree. A node this printer does not know raises `Unprintable`, so that a
language construct added later makes the reducer skip the candidate instead
of writing a wrong program (add one entry to `EXPRESSIONS` or `STATEMENTS`)."""

from __future__ import annotations

import math
from collections.abc import Callable

from tfir.frontend import ast

COMPARE, SUM, TERM, UNARY, POWER, POSTFIX = 1, 2, 3, 4, 5, 6
LEVEL = {"==": COMPARE, "!=": COMPARE, "<": COMPARE, "<=": COMPARE, ">": COMPARE, ">=": COMPARE,
         "+": SUM, "-": SUM, "*": TERM, "/": TERM, "@": TERM, "//": TERM, "%": TERM, "**": POWER}


class Unprintable(Exception):
    """A node the printer has no rule for."""


def level(e: object) -> int:
    if isinstance(e, ast.Binary):
        return LEVEL[e.op]
    if isinstance(e, ast.Neg):
        return UNARY
    return POSTFIX + 1


def wrap(e: object, at_least: int) -> str:
    text = expr(e)
    return text if level(e) >= at_least else f"({text})"


def _binary(e: ast.Binary) -> str:
    lv = LEVEL[e.op]
    if e.op == "**":
        return f"{wrap(e.lhs, POSTFIX)} ** {wrap(e.rhs, UNARY)}"
    if lv == COMPARE:
        return f"{wrap(e.lhs, SUM)} {e.op} {wrap(e.rhs, SUM)}"
    return f"{wrap(e.lhs, lv)} {e.op} {wrap(e.rhs, lv + 1)}"


def _float(e: ast.FloatLit) -> str:
    if math.isinf(e.value):
        return "1e999"
    text = repr(float(e.value))
    return text if any(c in text for c in ".e") else text + ".0"


def _slice(e: ast.Slice) -> str:
    parts = ["" if p is None else expr(p) for p in (e.start, e.stop)]
    return ":".join(parts) + (f":{expr(e.step)}" if e.step is not None else "")


def _index(e: object) -> str:
    if isinstance(e, ast.NoneIndex):
        return "None"
    return _slice(e) if isinstance(e, ast.Slice) else expr(e)


def _call(e: ast.Call) -> str:
    args = [expr(a) for a in e.args] + [f"{k.name}={expr(k.value)}" for k in e.kwargs]
    return f"{e.callee}({', '.join(args)})"


EXPRESSIONS: dict[type, Callable[..., str]] = {
    ast.IntLit: lambda e: str(e.value),
    ast.FloatLit: _float,
    ast.BoolLit: lambda e: "true" if e.value else "false",
    ast.DTypeLit: lambda e: e.dtype,
    ast.StrLit: lambda e: f'"{e.value}"',
    ast.Name: lambda e: e.id,
    ast.Binary: _binary,
    ast.Neg: lambda e: f"-{wrap(e.operand, UNARY)}",
    ast.Call: _call,
    ast.ListLit: lambda e: "[" + ", ".join(expr(x) for x in e.items) + "]",
    ast.Subscript: lambda e: f"{wrap(e.value, POSTFIX)}[{', '.join(_index(i) for i in e.indices)}]",
}
"""How each expression node prints."""


def expr(e: object) -> str:
    rule = EXPRESSIONS.get(type(e))
    if rule is None:
        raise Unprintable(type(e).__name__)
    return rule(e)


def type_text(t: object) -> str:
    if isinstance(t, ast.StaticType):
        return t.kind
    if isinstance(t, ast.TensorTypeExpr):  # a DimBinary prints as written (`4 * H`)
        return f"{t.dtype}[{', '.join(str(d) for d in t.dims)}]"
    raise Unprintable(type(t).__name__)


def param(p: ast.Param) -> str:
    text = p.name + (f": {type_text(p.type)}" if p.type is not None else "")
    return text + (f" = {expr(p.default)}" if p.default is not None else "")


def _let(s: ast.Let, indent: str) -> list[str]:
    return [f"{indent}let {', '.join(n for n, _ in s.names)} = {expr(s.value)};"]


def _return(s: ast.Return, indent: str) -> list[str]:
    return [f"{indent}return {', '.join(expr(v) for v in s.values)};"]


def _for(s: ast.For, indent: str) -> list[str]:
    return [f"{indent}for {s.var} in range({', '.join(expr(a) for a in s.args)}) {{",
            *statements(s.body, indent + "    "), f"{indent}}}"]


def _while(s: ast.While, indent: str) -> list[str]:
    return [f"{indent}while {expr(s.cond)} {{", *statements(s.body, indent + "    "), f"{indent}}}"]


def _if(s: ast.If, indent: str) -> list[str]:
    lines = [f"{indent}if {expr(s.cond)} {{", *statements(s.then, indent + "    ")]
    if s.orelse is not None:
        lines += [f"{indent}}} else {{", *statements(s.orelse, indent + "    ")]
    return lines + [f"{indent}}}"]


STATEMENTS: dict[type, Callable[..., list[str]]] = {ast.Let: _let, ast.Return: _return, ast.For: _for,
                                                     ast.While: _while, ast.If: _if}
"""How each statement prints (its lines, at `indent`)."""


def statements(body: list, indent: str = "    ") -> list[str]:
    lines: list[str] = []
    for s in body:
        rule = STATEMENTS.get(type(s))
        if rule is None:
            raise Unprintable(type(s).__name__)
        lines += rule(s, indent)
    return lines


def function(fn: ast.FnDef) -> str:
    head = f"fn {fn.name}({', '.join(param(p) for p in fn.params)})"
    if fn.results:
        types = [type_text(t) for t in fn.results]
        head += f" -> {types[0]}" if len(types) == 1 else f" -> ({', '.join(types)})"
    return "\n".join([head + " {", *statements(fn.body), "}"])


def print_source(source: ast.SourceFile) -> str:
    """The text of a whole file: imports, uses, then the functions in order."""
    head = [f'import "{i.path}";' for i in source.imports] + [f"use {u.dialect};" for u in source.uses]
    parts = ["\n".join(head)] if head else []
    parts += [function(fn) for fn in source.functions]
    return "\n\n".join(parts) + "\n"
