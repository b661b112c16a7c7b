"""Source text -> AST, through the Lark LALR grammar in grammar.lark.

Syntax errors become diagnostics at the unexpected token, naming what was
expected there.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer_NonRecursive, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from tfir.errors import CompileError, Diagnostic, Span
from tfir.frontend import ast
from tfir.frontend.deep import MAX_NESTING

_TOKEN_TEXT = {
    "SEMICOLON": "';'", "LPAR": "'('", "RPAR": "')'", "LSQB": "'['", "RSQB": "']'",
    "LBRACE": "'{'", "RBRACE": "'}'", "COMMA": "','", "COLON": "':'", "EQUAL": "'='",
    "DOT": "'.'", "MORETHAN": "'>'", "NAME": "a name", "NUMBER_INT": "an integer",
    "NUMBER_FLOAT": "a number", "STRING": "a string", "DTYPE": "a dtype",
    "__ANON_0": "'->'", "FLOORDIV": "'//'", "MUL_OP": "an operator", "$END": "the end of the file",
}


@functools.cache
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "grammar.lark").read_text()
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def parse(text: str, filename: str) -> ast.SourceFile:
    """Parses one `.tf` file; raises CompileError with a syntax diagnostic."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        raise CompileError([_syntax_diagnostic(err, text, filename)]) from None
    out = ast.SourceFile(filename, text)
    items = _Builder(filename).transform(tree).children
    _check_nesting(items, text, filename)
    for item in items:
        if isinstance(item, ast.FnDef):
            out.functions.append(item)
        elif isinstance(item, ast.Import):
            out.imports.append(item)
        elif isinstance(item, ast.Use):
            out.uses.append(item)
    return out


def _check_nesting(items: list, text: str, filename: str) -> None:
    """A diagnostic for expressions nested deeper than the frontend walks (see deep.py)."""
    for item in items:
        if isinstance(item, ast.FnDef):
            depth, node = ast.nesting(item.body)
            if depth > MAX_NESTING and node is not None:
                raise CompileError([Diagnostic(
                    f"expression nested too deeply ({depth} levels; at most {MAX_NESTING})",
                    node.span, source_text=text)])


def _describe(name: str) -> str:
    if name in _TOKEN_TEXT:
        return _TOKEN_TEXT[name]
    if name.isupper() and name.isalpha() and not name.startswith("__"):
        return f"'{name.lower()}'"
    return name.lower()


def _syntax_diagnostic(err: UnexpectedInput, text: str, filename: str) -> Diagnostic:
    line, column = max(err.line, 1), max(err.column, 1)
    if isinstance(err, UnexpectedCharacters):
        char = text[err.pos_in_stream] if err.pos_in_stream < len(text) else "?"
        message = f"unexpected character '{char}'"
    elif isinstance(err, UnexpectedToken | UnexpectedEOF):
        token = getattr(err, "token", None)
        got = "the end of the file" if token is None or token.type == "$END" else f"'{token}'"
        expected = sorted({_describe(t) for t in err.expected if not t.startswith("__ANON") or t in _TOKEN_TEXT})
        if "';'" in expected:
            expected = ["';'"]
        message = f"unexpected {got}" + (f"; expected {' or '.join(expected[:6])}" if expected else "")
        if token is not None and token.type == "$END":
            rows = text.splitlines() or [""]
            line, column = len(rows), len(rows[-1]) + 1
    else:  # pragma: no cover - Lark raises only the kinds above
        message = "syntax error"
    message += _near_miss(text, line, column)
    width = len(str(getattr(err, "token", "") or " "))
    return Diagnostic(message, Span(filename, line, column, line, column + width), source_text=text)


def _near_miss(text: str, line: int, column: int) -> str:
    """A hint for Python or NumPy spellings that .tf writes otherwise."""
    rows = text.splitlines()
    row = rows[line - 1] if 1 <= line <= len(rows) else ""
    if row[column - 1:column] == "^":
        return "; a power is written '**' ('^' is not an operator in .tf)"
    for m in re.finditer(r"\.T(?![\w(])", row):
        if m.start() - 1 <= column - 1 <= m.end() + 1:
            return "; .tf has no '.T': write transpose(x)"
    return ""


def _span(filename: str, meta: Any) -> Span:
    return Span(filename, meta.line, meta.column, meta.end_line, meta.end_column)


def _tok_span(filename: str, tok: Token) -> Span:
    return Span(filename, tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + len(tok))


@v_args(meta=True)
class _Builder(Transformer_NonRecursive):
    """Parse tree -> AST nodes with spans."""

    def __init__(self, filename: str):
        super().__init__()
        self.f = filename

    def import_stmt(self, meta, c):
        return ast.Import(_span(self.f, meta), c[1][1:-1])

    def use_stmt(self, meta, c):
        return ast.Use(_span(self.f, meta), str(c[1]))

    def fn_def(self, meta, c):
        name = c[1]
        params = [p for p in c[2:-2] if p is not None]
        results = c[-2]
        result_list = results if isinstance(results, list) else ([results] if results else None)
        for t in result_list or []:
            t.dims = t.dims if t.dims is not None else []
        rspan = None
        if result_list:
            rspan = result_list[0].span.to(result_list[-1].span)
        return ast.FnDef(_span(self.f, meta), str(name), _tok_span(self.f, name), params,
                         result_list, rspan, c[-1])

    def param(self, meta, c):
        name, typ, default = c
        if isinstance(typ, ast.TensorTypeExpr) and typ.dtype == "bool" and typ.dims is None:
            typ = ast.StaticType(typ.span, "bool")
        elif isinstance(typ, ast.TensorTypeExpr) and typ.dims is None:
            typ.dims = []
        return ast.Param(_span(self.f, meta), str(name), typ, default)

    def result_tuple(self, meta, c):
        return [t for t in c if t is not None]

    def static_int(self, meta, c):
        return ast.StaticType(_span(self.f, meta), "int")

    def static_float(self, meta, c):
        return ast.StaticType(_span(self.f, meta), "float")

    def static_int_list(self, meta, c):
        return ast.StaticType(_span(self.f, meta), "[int]")

    def tensor_type(self, meta, c):
        shape = c[1]
        if shape is None:
            return ast.TensorTypeExpr(_span(self.f, meta), str(c[0]), None)
        dims = [d for d, _ in shape]
        return ast.TensorTypeExpr(_span(self.f, meta), str(c[0]), dims, [s for _, s in shape])

    def shape(self, meta, c):
        return [d for d in c if d is not None]

    # A dimension is built as (value, span): an int, a name, or an ast.DimBinary.
    def dim_int(self, meta, c):
        return int(c[0]), _tok_span(self.f, c[0])

    def dim_name(self, meta, c):
        return str(c[0]), _tok_span(self.f, c[0])

    def dim_binary(self, meta, c):
        (lhs, lspan), op, (rhs, rspan) = c
        span = lspan.to(rspan)
        return ast.DimBinary(span, str(op), lhs, rhs), span

    def block(self, meta, c):
        return list(c)

    def let_stmt(self, meta, c):
        names = [(str(t), _tok_span(self.f, t)) for t in c[1:-1]]
        return ast.Let(_span(self.f, meta), names, c[-1])

    def return_stmt(self, meta, c):
        return ast.Return(_span(self.f, meta), list(c[1:]))

    def for_stmt(self, meta, c):
        _, var, _, (range_span, args), body = c
        return ast.For(_span(self.f, meta), str(var), _tok_span(self.f, var), range_span, args, body)

    def range_call(self, meta, c):
        return _span(self.f, meta), [a for a in c[1:] if a is not None]

    def while_stmt(self, meta, c):
        return ast.While(_span(self.f, meta), c[1], c[2])

    def if_stmt(self, meta, c):
        orelse = c[4] if len(c) > 4 else None
        if isinstance(orelse, ast.If):
            orelse = [orelse]
        return ast.If(_span(self.f, meta), c[1], c[2], orelse)

    def none_index(self, meta, c):
        return ast.NoneIndex(_tok_span(self.f, c[0]))

    def compare_op(self, meta, c):
        return ast.Binary(_span(self.f, meta), str(c[1]), c[0], c[2])

    def binary(self, meta, c):
        return ast.Binary(_span(self.f, meta), str(c[1]), c[0], c[2])

    def neg(self, meta, c):
        return ast.Neg(_span(self.f, meta), c[1])

    def subscript(self, meta, c):
        return ast.Subscript(_span(self.f, meta), c[0], list(c[1:]))

    def slice(self, meta, c):
        return ast.Slice(_span(self.f, meta) if meta and not meta.empty else c[0].span, *c)

    def int_lit(self, meta, c):
        return ast.IntLit(_span(self.f, meta), int(c[0]))

    def float_lit(self, meta, c):
        return ast.FloatLit(_span(self.f, meta), float(c[0]))

    def true_lit(self, meta, c):
        return ast.BoolLit(_span(self.f, meta), True)

    def false_lit(self, meta, c):
        return ast.BoolLit(_span(self.f, meta), False)

    def str_lit(self, meta, c):
        return ast.StrLit(_span(self.f, meta), str(c[0])[1:-1])

    def dtype_lit(self, meta, c):
        return ast.DTypeLit(_span(self.f, meta), str(c[0]))

    def name(self, meta, c):
        return ast.Name(_span(self.f, meta), str(c[0]))

    def callee(self, meta, c):
        return ".".join(str(t) for t in c), _span(self.f, meta)

    def call(self, meta, c):
        (callee, cspan), rest = c[0], [a for a in c[1:] if a is not None]
        args = [a for a in rest if not isinstance(a, ast.KwArg)]
        kwargs = [a for a in rest if isinstance(a, ast.KwArg)]
        return ast.Call(_span(self.f, meta), callee, cspan, args, kwargs)

    def kwarg(self, meta, c):
        return ast.KwArg(_tok_span(self.f, c[0]), str(c[0]), c[1])

    def list_lit(self, meta, c):
        return ast.ListLit(_span(self.f, meta), [x for x in c if x is not None])
