"""AST of `.tf` programs: plain dataclasses, each node with its source span."""

from __future__ import annotations

from dataclasses import dataclass, field

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
class Subscript(Node):
    value: Expr
    indices: list[Expr | Slice]


Expr = IntLit | FloatLit | BoolLit | DTypeLit | StrLit | Name | Call | Binary | Neg | ListLit | Subscript


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
