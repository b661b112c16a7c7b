"""Dimension expressions (v2) and compile-time values whose number is not known yet.

A dimension in a type may be an expression of sizes, symbolic dimensions and
static `int` parameters (`f32[D, 4 * H]`); `eval_dim` gives its size once the
names in it are bound, or its one spelling (`"4 * H"`) while some are still
symbolic, so that `-> f32[B, 4 * H]` matches a value typed `4 * H`.

In expressions a symbolic dimension is a compile-time value (`x / D`,
`reshape(x, [B * T, -1])`): while a function is checked with symbolic sizes,
arithmetic on such values gives a `SymDim` spelled like a dimension
expression (`symbolic_apply`); once sizes are known they are `Literal`s and
fold like any literal.
"""

from __future__ import annotations

from collections.abc import Callable

from tfir.frontend import ast
from tfir.frontend.values import Literal, SymDim

# `.tf` operators on compile-time integers that keep them integers, by builtin name.
INT_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "floordiv": "//", "mod": "%"}
COMPARISONS = {"equal": "==", "not_equal": "!=", "less": "<", "less_equal": "<=",
               "greater": ">", "greater_equal": ">="}
# Unary builtins whose result keeps an integer operand an integer.
INT_UNARY = frozenset({"neg", "abs", "relu", "sign", "floor", "ceil", "square"})

Lookup = Callable[[str], "int | SymDim | None"]


def as_sym(value: Literal | SymDim) -> SymDim:
    """A compile-time value as a `SymDim` (a literal spelled as written)."""
    if isinstance(value, SymDim):
        return value
    scalar = value.scalar()
    text = str(scalar).lower() if value.kind == "bool" else str(scalar)
    return SymDim(text, value.kind, 3 if not str(scalar).startswith("-") else 2)


def _binary_int(op: str, a: int, b: int) -> int | None:
    if op in ("//", "%") and b == 0:
        return None
    return {"+": a + b, "-": a - b, "*": a * b, "//": a // b if b else 0, "%": a % b if b else 0}[op]


def eval_dim(d: ast.Dim, lookup: Lookup) -> int | SymDim | None:
    """The size of a declared dimension: an int when every name in it is bound to
    a size, a `SymDim` spelling it with the symbolic names, None if unknown."""
    if isinstance(d, int):
        return d
    if isinstance(d, str):
        return lookup(d)
    lhs, rhs = eval_dim(d.lhs, lookup), eval_dim(d.rhs, lookup)
    if lhs is None or rhs is None or d.op not in ast.DIM_PRECEDENCE:
        return None
    if isinstance(lhs, int) and isinstance(rhs, int):
        return _binary_int(d.op, lhs, rhs)
    a, b = as_sym(Literal.of(lhs)) if isinstance(lhs, int) else lhs, \
        as_sym(Literal.of(rhs)) if isinstance(rhs, int) else rhs
    return SymDim(ast.dim_text(d.op, a.name, a.prec, b.name, b.prec), "int", ast.DIM_PRECEDENCE[d.op])


def dim_size(d: ast.Dim, lookup: Lookup) -> int | str | None:
    """`eval_dim` as a `TType` dim: an int, a symbolic spelling or None."""
    value = eval_dim(d, lookup)
    return value.name if isinstance(value, SymDim) else value


def symbolic_apply(name: str, values: list[Literal | SymDim]) -> SymDim:
    """The compile-time result of builtin `name` on values not all known yet."""
    syms = [as_sym(v) for v in values]
    kinds = {s.kind for s in syms}
    if name in INT_OPERATORS and len(syms) == 2:
        op = INT_OPERATORS[name]
        kind = "int" if kinds == {"int"} else "float"
        return SymDim(ast.dim_text(op, syms[0].name, syms[0].prec, syms[1].name, syms[1].prec), kind,
                      ast.DIM_PRECEDENCE[op])
    if name in COMPARISONS and len(syms) == 2:
        return SymDim(f"{syms[0].name} {COMPARISONS[name]} {syms[1].name}", "bool", 0)
    if name == "div" and len(syms) == 2:
        return SymDim(ast.dim_text("*", syms[0].name, syms[0].prec, syms[1].name, syms[1].prec)
                      .replace(" * ", " / ", 1), "float", 2)
    if name == "neg" and len(syms) == 1:
        inner = syms[0].name if syms[0].prec >= 3 else f"({syms[0].name})"
        return SymDim(f"-{inner}", syms[0].kind, 2)
    if name.startswith("logical_"):
        kind = "bool"
    elif name in INT_UNARY or name in ("maximum", "minimum", "where"):
        kind = "float" if "float" in kinds else "int" if "int" in kinds else "bool"
    else:
        kind = "float"
    return SymDim(f"{name}({', '.join(s.name for s in syms)})", kind, 3)


def signature_names(fn: ast.FnDef) -> set[str]:
    """The names a signature binds: symbolic dimensions that appear alone as a
    dimension of a parameter, and static `int` parameters."""
    bound = {p.name for p in fn.params if isinstance(p.type, ast.StaticType) and p.type.kind == "int"}
    for p in fn.params:
        if isinstance(p.type, ast.TensorTypeExpr):
            bound |= {d for d in p.type.dims if isinstance(d, str)}
    return bound


def unbound_dims(fn: ast.FnDef) -> list[tuple[str, ast.Span]]:
    """Problems of a signature's dimensions: a name bound nowhere (only inside
    expressions, or only in the result type), an operator dimensions lack."""
    bound = signature_names(fn)
    problems: list[tuple[str, ast.Span]] = []
    types = [(p.type, True) for p in fn.params if isinstance(p.type, ast.TensorTypeExpr)]
    types += [(t, False) for t in fn.results or []]
    for typ, is_param in types:
        for d, span in zip(typ.dims, typ.dim_spans or [typ.span] * len(typ.dims), strict=True):
            if isinstance(d, ast.DimBinary):
                bad_ops = _bad_operators(d)
                if bad_ops:
                    problems.append((f"operator '{bad_ops[0]}' is not allowed in a dimension expression "
                                     "(use + - * // %)", span))
                    continue
                missing = [n for n in d.names() if n not in bound]
                if missing:
                    problems.append((f"dimension '{missing[0]}' in the expression '{d}' is bound nowhere: a "
                                     "symbolic dimension used in an expression must also appear alone as a "
                                     "dimension of a parameter (or be a static int parameter)", span))
            elif isinstance(d, str) and not is_param and d not in bound:
                problems.append((f"dimension '{d}' of the result type is bound nowhere: it must be a "
                                 "dimension of a parameter or a static int parameter", span))
    return problems


def _bad_operators(d: ast.DimBinary) -> list[str]:
    out = [] if d.op in ast.DIM_PRECEDENCE else [d.op]
    for side in (d.lhs, d.rhs):
        if isinstance(side, ast.DimBinary):
            out += _bad_operators(side)
    return out
