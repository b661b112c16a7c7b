"""Element types of `.tf` programs and their xDSL and NumPy forms.

`.tf` dtypes map to MLIR builtin types: `bool` is `i1`, integers are signless
(`i32`, `i64`) with signed semantics, floats are `f16`, `f32`, `f64`.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import (
    Float16Type,
    Float32Type,
    Float64Type,
    IntegerType,
    TensorType,
)
from xdsl.ir import Attribute

DTYPES: tuple[str, ...] = ("bool", "i32", "i64", "f16", "f32", "f64")
FLOAT_DTYPES = frozenset({"f16", "f32", "f64"})
INT_DTYPES = frozenset({"i32", "i64"})

_XDSL: dict[str, Attribute] = {
    "bool": IntegerType(1),
    "i32": IntegerType(32),
    "i64": IntegerType(64),
    "f16": Float16Type(),
    "f32": Float32Type(),
    "f64": Float64Type(),
}
_NUMPY: dict[str, np.dtype] = {
    "bool": np.dtype(np.bool_),
    "i32": np.dtype(np.int32),
    "i64": np.dtype(np.int64),
    "f16": np.dtype(np.float16),
    "f32": np.dtype(np.float32),
    "f64": np.dtype(np.float64),
}
_FROM_NUMPY = {v: k for k, v in _NUMPY.items()}


def is_float(dtype: str) -> bool:
    return dtype in FLOAT_DTYPES


def is_int(dtype: str) -> bool:
    return dtype in INT_DTYPES


def to_xdsl(dtype: str) -> Attribute:
    return _XDSL[dtype]


def to_numpy(dtype: str) -> np.dtype:
    return _NUMPY[dtype]


def from_numpy(dtype: np.dtype) -> str | None:
    return _FROM_NUMPY.get(np.dtype(dtype))


def from_xdsl(elem: Attribute) -> str:
    for name, attr in _XDSL.items():
        if attr == elem:
            return name
    raise ValueError(f"expected a tfir element type, got {elem}")


def tensor_type(dtype: str, shape: tuple[int, ...]) -> TensorType:
    return TensorType(to_xdsl(dtype), list(shape))


def numpy_dtype_of(attr: Attribute) -> np.dtype:
    """The NumPy dtype of a tensor/memref type or of an element type."""
    elem = attr.get_element_type() if hasattr(attr, "get_element_type") else attr
    return to_numpy(from_xdsl(elem))
