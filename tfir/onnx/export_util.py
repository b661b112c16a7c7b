"""Reading `tf` ops for the exporter: attributes by name, element types and
ONNX tensor types (shared by exporter.py, export_ops.py, export_control.py)."""

from __future__ import annotations

from typing import Any

from tfir.dialects.dtypes import from_xdsl
from tfir.onnx.model import ELEM_OF, OnnxError


def attr_of(op: Any, name: str) -> Any:
    value = op.properties.get(name) if hasattr(op, "properties") else None
    if value is None:
        value = op.attributes.get(name)
    if value is None:
        raise OnnxError(f"op '{op.name}' has no attribute '{name}'")
    return value


def int_of(op: Any, name: str) -> int:
    return int(attr_of(op, name).value.data)


def ints_of(op: Any, name: str) -> list[int]:
    return [int(v) for v in attr_of(op, name).get_values()]


def dtype_of(ttype: Any) -> str:
    """The `.tf` dtype of a tensor type's elements."""
    return from_xdsl(ttype.get_element_type())


def onnx_type(ttype: Any) -> tuple[int, list[int]]:
    """(ONNX element type, shape) of a tensor type."""
    return ELEM_OF[dtype_of(ttype)], list(ttype.get_shape())
