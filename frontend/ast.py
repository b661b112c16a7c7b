"""AST of `.tf` programs: plain dataclasses, each node with its source span."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields

from tfir.errors import Span


@dataclass
class Node:
    span: Span


# -- expressions -------------------------------------------------------------


@dataclass
class IntLit(Node):
    value: int


@dataclass
class FloatLit(Node):
    value: float


@dataclass
class BoolLit(Node):
    value: bool


@dataclass
class DTypeLit(Node):
    dtype: str


@dataclass
class StrLit(Node):
    value: str  # without the quotes


@dataclass
class Name(Node):
    id: str


@dataclass
class KwArg(Node):
    name: str
    value: Expr


@dataclass
class Call(Node):
    callee: str  # `f` or `dialect.op`
    callee_span: Span
    args: list[Expr]
    kwargs: list[KwArg]


@dataclass
class Binary(Node):
    op: str  # the operator's text: + - * / @ ** == != < <= > >=
    lhs: Expr
    rhs: Expr


@dataclass
class Neg(Node):
    operand: Expr


@dataclass
class ListLit(Node):
    items: list[Expr]


@dataclass
class Slice(Node):
    start: Expr | None
    stop: Expr | None
    step: Expr | None


@dataclass
class NoneIndex(Node):
    """`None` as an index: a new axis of size 1 (`x[:, None]`)."""


@dataclass
class Subscript(Node):
    value: Expr
    indices: list[Expr | Slice | NoneIndex]


Expr = IntLit | FloatLit | BoolLit | DTypeLit | StrLit | Name | Call | Binary | Neg | ListLit | Subscript


# -- types, statements, functions -------------------------------------------

# Precedence of a dimension expression's top operator (3: a number or a name).
DIM_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "//": 2, "%": 2}


def dim_text(op: str, lhs: str, lhs_prec: int, rhs: str, rhs_prec: int) -> str:
    """`lhs op rhs` with the parentheses the precedence needs (`(B + 1) * T`, `B - (T - 1)`):
    the one spelling of a dimension expression, so equal expressions compare equal."""
    prec = DIM_PRECEDENCE.get(op, 2)
    if lhs_prec < prec:
        lhs = f"({lhs})"
    if rhs_prec < prec or (rhs_prec == prec and op not in ("+", "*")):
        rhs = f"({rhs})"
    return f"{lhs} {op} {rhs}"


@dataclass
class DimBinary(Node):
    """A dimension expression in a type (v2): `4 * H`, `D // heads`, `B * T`."""

    op: str  # + - * // % (and / or @, which the checker rejects)
    lhs: Dim
    rhs: Dim

    @property
    def precedence(self) -> int:
        return DIM_PRECEDENCE.get(self.op, 2)

    def names(self) -> list[str]:
        out: list[str] = []
        for side in (self.lhs, self.rhs):
            if isinstance(side, str):
                out.append(side)
            elif isinstance(side, DimBinary):
                out += side.names()
        return out

    def __str__(self) -> str:
        def prec(d: Dim) -> int:
            return d.precedence if isinstance(d, DimBinary) else 3
        return dim_text(self.op, str(self.lhs), prec(self.lhs), str(self.rhs), prec(self.rhs))


Dim = int | str | DimBinary


@dataclass
class TensorTypeExpr(Node):
    dtype: str
    dims: list[Dim]
    dim_spans: list[Span] = field(default_factory=list)


@dataclass
class StaticType(Node):
    kind: str  # "int" | "float" | "bool" | "[int]"


@dataclass
class Param(Node):
    name: str
    type: TensorTypeExpr | StaticType | None
    default: Expr | None

    @property
    def is_static(self) -> bool:
        return isinstance(self.type, StaticType)

    @property
    def is_generic(self) -> bool:
        return self.type is None


@dataclass
class Let(Node):
    names: list[tuple[str, Span]]
    value: Expr


@dataclass
class Return(Node):
    values: list[Expr]


@dataclass
class For(Node):
    """`for VAR in range(ARGS) { BODY }` (v2): ARGS are one to three compile-time ints."""

    var: str
    var_span: Span
    range_span: Span
    args: list[Expr]
    body: list[Stmt]


@dataclass
class While(Node):
    """`while COND { BODY }` (v2)."""

    cond: Expr
    body: list[Stmt]


@dataclass
class If(Node):
    """`if COND { THEN } else { ORELSE }` (v2); `else if` nests an If in ORELSE."""

    cond: Expr
    then: list[Stmt]
    orelse: list[Stmt] | None


Stmt = Let | Return | For | While | If
BLOCK_STATEMENTS = (For, While, If)


@dataclass
class FnDef(Node):
    name: str
    name_span: Span
    params: list[Param]
    results: list[TensorTypeExpr] | None
    results_span: Span | None
    body: list[Stmt]

    @property
    def is_generic(self) -> bool:
        return any(p.is_generic for p in self.params)


@dataclass
class Import(Node):
    path: str


@dataclass
class Use(Node):
    dialect: str


@dataclass
class SourceFile:
    filename: str
    text: str
    functions: list[FnDef] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)


# -- walking the tree without recursion (a 20,000-term sum is 20,000 levels deep) --------------


def walk(node: object) -> Iterator[Node]:
    """Every node under `node` (a node or a list of them), itself included, in
    source order; an explicit stack, so that the depth of a program is no limit."""
    stack: list[object] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, Node):
            yield item
            stack.extend(reversed([getattr(item, f.name) for f in fields(item) if f.name != "span"]))


def nesting(node: object) -> tuple[int, Node | None]:
    """How deeply expressions nest under `node`, and the deepest node. The left
    operands of a chain of binary operators (`a + b + c`) and a chain of
    negations count as one level: the checker walks those with a loop."""
    best: tuple[int, Node | None] = (0, None)
    stack: list[tuple[object, int]] = [(node, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list):
            stack.extend((x, depth) for x in item)
            continue
        if not isinstance(item, Node):
            continue
        if depth > best[0]:
            best = (depth, item)
        if isinstance(item, Binary):
            stack.append((item.lhs, depth if isinstance(item.lhs, Binary) else depth + 1))
            stack.append((item.rhs, depth + 1))
        elif isinstance(item, Neg):
            stack.append((item.operand, depth if isinstance(item.operand, Neg) else depth + 1))
        else:
            stack.extend((getattr(item, f.name), depth + 1) for f in fields(item) if f.name != "span")
    return best
