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
class Subscript(Node):
    value: Expr
    indices: list[Expr | Slice]


Expr = IntLit | FloatLit | BoolLit | DTypeLit | Name | Call | Binary | Neg | ListLit | Subscript


# -- types, statements, functions -------------------------------------------


@dataclass
class TensorTypeExpr(Node):
    dtype: str
    dims: list[int | str]


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


Stmt = Let | Return


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
