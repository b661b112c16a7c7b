"""Element types of `.tf` programs: the one table of their names and their
xDSL and NumPy forms.

`.tf` dtypes map to MLIR builtin types: `bool` is `i1`, integers are signless
(`i32`, `i64`) with signed semantics, floats are `f16`, `f32`, `f64`. Every
other spelling of a dtype (the NumPy backend's `np.float32`, Triton's
`tl.float32` and `*fp32`, input checking, the CLI) is derived from `TABLE`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import (
    Float16Type,
    Float32Type,
    Float64Type,
    IntegerType,
    TensorType,
)
from xdsl.ir import Attribute


@dataclass(frozen=True)
class ElementType:
    """One element type: its `.tf` name, its builtin type and its NumPy dtype."""

    name: str
    xdsl: Attribute
    numpy: np.dtype

    @property
    def kind(self) -> str:
        """"bool", "int" or "float"."""
        return {"b": "bool", "i": "int", "f": "float"}[self.numpy.kind]

    @property
    def bits(self) -> int:
        """The width of the builtin type (1 for bool)."""
        return 1 if self.kind == "bool" else self.numpy.itemsize * 8


TABLE: tuple[ElementType, ...] = (
    ElementType("bool", IntegerType(1), np.dtype(np.bool_)),
    ElementType("i32", IntegerType(32), np.dtype(np.int32)),
    ElementType("i64", IntegerType(64), np.dtype(np.int64)),
    ElementType("f16", Float16Type(), np.dtype(np.float16)),
    ElementType("f32", Float32Type(), np.dtype(np.float32)),
    ElementType("f64", Float64Type(), np.dtype(np.float64)),
)

DTYPES: tuple[str, ...] = tuple(d.name for d in TABLE)
FLOAT_DTYPES = frozenset(d.name for d in TABLE if d.kind == "float")
INT_DTYPES = frozenset(d.name for d in TABLE if d.kind == "int")
BOOL_DTYPES = frozenset(d.name for d in TABLE if d.kind == "bool")
NUMERIC_DTYPES = FLOAT_DTYPES | INT_DTYPES
ALL_DTYPES = frozenset(DTYPES)

_BY_NAME = {d.name: d for d in TABLE}
_BY_NUMPY = {d.numpy: d for d in TABLE}


def element_type(name: str) -> ElementType:
    return _BY_NAME[name]


def is_float(name: str) -> bool:
    return name in FLOAT_DTYPES


def is_int(name: str) -> bool:
    return name in INT_DTYPES


def to_xdsl(name: str) -> Attribute:
    return _BY_NAME[name].xdsl


def to_numpy(name: str) -> np.dtype:
    return _BY_NAME[name].numpy


def from_numpy(dt: np.dtype) -> str | None:
    found = _BY_NUMPY.get(np.dtype(dt))
    return found.name if found is not None else None


def of_element(elem: Attribute) -> ElementType:
    """The entry of a builtin element type; ValueError for a type `.tf` does not have."""
    for d in TABLE:
        if d.xdsl == elem:
            return d
    raise ValueError(f"expected a tfir element type, got {elem}")


def from_xdsl(elem: Attribute) -> str:
    return of_element(elem).name


def element_of(attr: Attribute) -> Attribute:
    """The element type of a tensor/memref type, or `attr` itself."""
    return attr.get_element_type() if hasattr(attr, "get_element_type") else attr


def tensor_type(name: str, shape: tuple[int, ...]) -> TensorType:
    return TensorType(to_xdsl(name), list(shape))


def numpy_dtype_of(attr: Attribute) -> np.dtype:
    """The NumPy dtype of a tensor/memref type or of an element type."""
    return of_element(element_of(attr)).numpy
