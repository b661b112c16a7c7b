"""`dense<...>` constants as NumPy arrays and back, shared by `fold-constants`
and `canonicalize-tf`.

`i1` is stored as xDSL's parser stores `true`, 0xFF, so folded and parsed
constants compare equal for CSE.
"""

from __future__ import annotations

import math

import numpy as np
from xdsl.dialects.builtin import BytesAttr, DenseIntOrFPElementsAttr, TensorType
from xdsl.ir import Attribute, SSAValue

from tfir.dialects import tf
from tfir.dialects.dtypes import numpy_dtype_of


def numel(typ: Attribute) -> int:
    return math.prod(typ.get_shape())  # type: ignore[attr-defined]


def constant_array(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The value of a `dense<...>` attribute as a (writable) NumPy array."""
    typ = attr.get_type()
    dtype = numpy_dtype_of(typ)
    shape = tuple(typ.get_shape())
    if dtype == np.bool_:
        flat = np.frombuffer(attr.data.data, dtype="<i1") != 0
    else:
        flat = np.frombuffer(attr.data.data, dtype=dtype.newbyteorder("<")).astype(dtype)
    if flat.size == 1 and math.prod(shape) != 1:
        return np.full(shape, flat[0], dtype=dtype)
    return flat.reshape(shape).copy()


def dense_attr(array: np.ndarray | float | bool, typ: TensorType) -> DenseIntOrFPElementsAttr:
    """A `dense<...>` attribute of type `typ` holding `array` (broadcast to its shape)."""
    dtype = numpy_dtype_of(typ)
    shape = tuple(typ.get_shape())
    values = np.broadcast_to(np.asarray(array).astype(dtype), shape)
    if dtype == np.bool_:
        data = np.where(values, -1, 0).astype("<i1").tobytes()
    else:
        data = np.ascontiguousarray(values, dtype=dtype.newbyteorder("<")).tobytes()
    return DenseIntOrFPElementsAttr(typ, BytesAttr(data))


def splat_element(attr: DenseIntOrFPElementsAttr) -> float | int | bool | None:
    """The element of a `dense<...>` attribute whose elements are all bit-identical,
    else None. Bits, not values: NaN is a splat of NaN (a set of NaNs has as many
    members as NaNs), and [0.0, -0.0] is no splat (0.0 == -0.0)."""
    data = attr.data.data
    n = numel(attr.get_type())
    size = numpy_dtype_of(attr.get_type()).itemsize
    if n == 0 or len(data) not in (size, size * n):  # a splat may store its element once
        return None
    if data != data[:size] * (len(data) // size):
        return None
    first = DenseIntOrFPElementsAttr(TensorType(attr.get_element_type(), []), BytesAttr(data[:size]))
    return constant_array(first).item()


def splat_scalar(value: SSAValue) -> float | int | bool | None:
    """The element of `value` if it is a `tf.constant` whose elements are all
    bit-identical (so `-0.0` and `0.0` differ), else None."""
    owner = value.owner
    if not isinstance(owner, tf.ConstantOp):
        return None
    return splat_element(owner.value)
