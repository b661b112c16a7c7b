"""Constants and helpers of the `device` dialect's ops: block shapes and
element types of values, and the verifier's comparison."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    MemRefType,
    TensorType,
)
from xdsl.ir import Attribute
from xdsl.utils.exceptions import VerifyException

REDUCE_KINDS = ("sum", "prod", "max", "min", "argmax", "argmin")
# Floats: eq/lt/le/gt/ge/one are ordered (false on NaN), ne/ueq/ult/ule/ugt/uge
# unordered (true on NaN), ord/uno test for NaN; integers compare signed.
CMP_PREDICATES = ("eq", "ne", "lt", "le", "gt", "ge", "one", "ueq", "ult", "ule", "ugt", "uge",
                  "ord", "uno")


def shape_of(typ: Attribute) -> tuple[int, ...]:
    """The block shape of a value type; `()` for a scalar."""
    return tuple(typ.get_shape()) if isinstance(typ, TensorType) else ()


def element_of(typ: Attribute) -> Attribute:
    return typ.get_element_type() if isinstance(typ, TensorType | MemRefType) else typ


def block_type(shape: Sequence[int], element: Attribute) -> Attribute:
    """`tensor<shape x element>`, or the bare element for a scalar."""
    return TensorType(element, list(shape)) if shape else element


def expect(what: str, want: object, got: object) -> None:
    if want != got:
        raise VerifyException(f"expected {what} {want}, got {got}")
