"""Values during checking and IR generation.

- `Tensor`: a typed tensor value (with its SSA value when IR is emitted);
- `Literal`: a compile-time constant, scalar or tensor literal, *weakly typed*:
  it takes the dtype of the tensor it meets (`x * 2` is f32 for f32 `x`);
- `ListValue`: a bracketed list that is not a literal (holds tensors or
  symbolic dims): the operand list of `concat`, or a shape naming dims;
- `SymDim`: a compile-time value whose number is not known yet: a symbolic
  dimension used by name while sizes are unknown, or an expression of such
  (`B * T`, `rsqrt(D)`, `dim(x, 0) == N`), spelled one way so that equal
  expressions compare equal (its `kind` is "int", "float" or "bool");
- `DTypeValue`: a dtype name (`f32`) used as an argument;
- `StrValue`: a string literal used as an argument (the equation of `einsum`);
- `Poison`: the value of an expression that already had an error, so one
  mistake gives one diagnostic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.ir import SSAValue

from tfir.dialects.registry import TType
from tfir.errors import Span


@dataclass
class Tensor:
    type: TType
    ssa: SSAValue | None = None


@dataclass
class Literal:
    value: np.ndarray  # int64, float64 or bool array
    kind: str  # "int" | "float" | "bool"

    @staticmethod
    def of(value: Any) -> Literal:
        arr = np.asarray(value)
        if arr.dtype.kind == "b":
            return Literal(arr.astype(np.bool_), "bool")
        if arr.dtype.kind in "iu":
            return Literal(arr.astype(np.int64), "int")
        return Literal(arr.astype(np.float64), "float")

    @property
    def is_scalar(self) -> bool:
        return self.value.ndim == 0

    def scalar(self) -> int | float | bool:
        return self.value.item()

    def key(self) -> tuple[Any, ...]:
        return ("lit", self.kind, self.value.shape, self.value.tobytes())

    def describe(self) -> str:
        if self.is_scalar:
            return f"{self.kind} literal {self.scalar()}"
        return f"{self.kind} tensor literal of shape {list(self.value.shape)}"


@dataclass
class SymDim:
    name: str
    kind: str = "int"
    prec: int = 3  # precedence of the top operator of `name` (3: a name, never parenthesized)


@dataclass
class ListValue:
    items: list[Any]
    spans: list[Span]


@dataclass
class DTypeValue:
    dtype: str


@dataclass
class StrValue:
    text: str


class Poison:
    """Stands for a value whose expression already reported an error."""

    _instance: Poison | None = None

    def __new__(cls) -> Poison:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance


POISON = Poison()
Value = Tensor | Literal | ListValue | SymDim | DTypeValue | StrValue | Poison


def literal_tensor_type(lit: Literal, dtype: str | None = None) -> TType:
    default = {"int": "i32", "float": "f32", "bool": "bool"}[lit.kind]
    return TType(dtype or default, tuple(int(d) for d in lit.value.shape))


def describe(value: Value) -> str:
    if isinstance(value, Tensor):
        return f"tensor {value.type}"
    if isinstance(value, Literal):
        return value.describe()
    if isinstance(value, DTypeValue):
        return f"dtype {value.dtype}"
    if isinstance(value, SymDim):
        return f"dimension {value.name}" if value.kind == "int" else f"compile-time {value.kind} {value.name}"
    if isinstance(value, StrValue):
        return "a string"
    if isinstance(value, ListValue):
        return "a list"
    return "an invalid value"
