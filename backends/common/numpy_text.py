"""NumPy spelled in generated Python: dtype names and literals, for every
code generator whose host code holds NumPy arrays (numpy, triton)."""

from __future__ import annotations

import math

import numpy as np
from xdsl.dialects.builtin import IndexType, MemRefType
from xdsl.ir import Attribute

from tfir.dialects.dtypes import of_element


def dtype_name(typ: Attribute) -> str:
    """The NumPy dtype name of an element type (`float32`, `int64`, `bool`)."""
    if isinstance(typ, MemRefType):
        typ = typ.get_element_type()
    if isinstance(typ, IndexType):
        return "int64"  # loop indices: not a `.tf` dtype, int64 in generated code
    try:
        return of_element(typ).numpy.name
    except ValueError:
        raise NotImplementedError(f"no NumPy dtype for {typ}") from None


def np_dtype(typ: Attribute) -> str:
    """`np.float32`, `np.bool_`: the dtype as generated code spells it."""
    name = dtype_name(typ)
    return "np.bool_" if name == "bool" else f"np.{name}"


def float_text(value: float, dtype: str) -> str:
    """The shortest decimal that reads back as `value` in `dtype` (a Python literal)."""
    if math.isnan(value):
        return "np.nan"
    if math.isinf(value):
        return "np.inf" if value > 0 else "-np.inf"
    text = repr(float(value)) if dtype == "float64" else str(getattr(np, dtype)(value))
    if getattr(np, dtype)(float(text)) != getattr(np, dtype)(value):
        text = repr(float(value))  # a double rounding would change it: spell the exact double
    return text if any(c in text for c in ".en") else text + ".0"


def literal(value: float | int | bool, typ: Attribute) -> str:
    """A Python literal for a scalar constant (NumPy casts it to the array's dtype)."""
    name = dtype_name(typ)
    if name == "bool":
        return "True" if int(value) & 1 else "False"
    if name.startswith("float"):
        return float_text(float(value), name)
    return str(int(value))


def typed_literal(value: float | int | bool, typ: Attribute) -> str:
    """A NumPy scalar of the exact dtype, for expressions without arrays."""
    text = literal(value, typ)
    if dtype_name(typ) == "bool":
        return f"np.{text}_"
    return f"{np_dtype(typ)}({text})"

