"""The one op registry: every callable builtin primitive, and every op a user
dialect adds, is one `OpEntry`.

An entry holds the `.tf` name, the parameters (tensor operands and static
attributes with kinds and defaults), the shape/dtype rule, how to build its
IR op, its eager NumPy implementation, and the lowerings later stages add
(`lowerings[target]`). The grammar and the checker never list builtin names:
they look names up here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from xdsl.ir import Attribute, Operation, SSAValue

Dim = int | str | None  # a size, a symbolic dimension, or unknown


@dataclass(frozen=True)
class TType:
    """A tensor type during checking: dims may be symbolic or unknown."""

    dtype: str
    shape: tuple[Dim, ...]

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def is_concrete(self) -> bool:
        return all(isinstance(d, int) for d in self.shape)

    def __str__(self) -> str:
        dims = ", ".join("?" if d is None else str(d) for d in self.shape)
        return f"{self.dtype}[{dims}]"


# Parameter kinds. Tensor kinds take tensor values (literals are converted);
# the others are static attributes, known at compile time.
TENSOR = "tensor"        # one tensor operand
TENSORS = "tensors"      # a list of tensor operands: concat([a, b])
INT = "int"
FLOAT = "float"
BOOL = "bool"
INTS = "[int]"           # a list of ints, e.g. perm
AXES = "axes"            # an int, a list of ints, or absent (None)
SHAPE = "shape"          # a list of sizes that may name symbolic dims, one -1 allowed
DTYPE = "dtype"          # a dtype name: f32, i64, ...
NUMBER = "number"        # an int or float literal (the fill value of `full`)
STRING = "string"        # a string literal: the equation of `einsum`
PAIRS = "[[int]]"        # a list of [int, int] pairs: the widths of `pad`
VARIADIC = "*tensors"    # the remaining positional arguments, each a tensor: einsum("ij->j", a, ...)

TENSOR_KINDS = frozenset({TENSOR, TENSORS, VARIADIC})
REQUIRED = object()


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    default: Any = REQUIRED

    @property
    def is_tensor(self) -> bool:
        return self.kind in TENSOR_KINDS


class CallInfo(Protocol):
    """What a shape rule sees of one call."""

    name: str
    tensors: list[TType]           # tensor operands in parameter order (TENSORS flattened)
    attrs: dict[str, Any]          # static arguments, defaults filled; rules may normalize them

    def error(self, message: str, at: str | None = None) -> Exception:
        """A diagnostic at argument `at` (or the callee) to `raise`."""
        ...


Infer = Callable[[CallInfo], list[TType]]
# Builds the op (or ops, the last one giving the results) of one call.
Build = Callable[[Sequence[SSAValue], dict[str, Any], Sequence[Attribute]], Operation | list[Operation]]
Eager = Callable[..., Any]


@dataclass
class OpEntry:
    """One callable op: a `tf` primitive or an op of a user dialect."""

    name: str
    params: tuple[Param, ...]
    infer: Infer
    build: Build
    eager: Eager                     # eager(op, *arrays) -> array | tuple of arrays
    op_names: tuple[str, ...] = ()   # IR op names this entry owns (eager dispatch)
    unify: tuple[str, ...] = ()      # tensor params sharing a dtype; literals take it
    elementwise: Callable[..., Any] | None = None  # NumPy ufunc form, folds literals
    doc: str = ""
    lowerings: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


class Registry:
    def __init__(self) -> None:
        self._by_name: dict[str, OpEntry] = {}
        self._by_op: dict[str, OpEntry] = {}

    def register(self, entry: OpEntry, *, replace: bool = False) -> OpEntry:
        if entry.name in self._by_name and not replace:
            raise ValueError(f"op {entry.name!r} is already registered")
        self._by_name[entry.name] = entry
        for op_name in entry.op_names:
            self._by_op[op_name] = entry
        return entry

    def lookup(self, name: str) -> OpEntry | None:
        return self._by_name.get(name)

    def for_op(self, op_name: str) -> OpEntry | None:
        """The entry whose eager implementation runs IR op `op_name`."""
        return self._by_op.get(op_name)

    def names(self) -> list[str]:
        return list(self._by_name)

    def dialect_names(self) -> set[str]:
        return {n.split(".", 1)[0] for n in self._by_name if "." in n}


REGISTRY = Registry()
