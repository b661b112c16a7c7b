"""Evaluation of one op on NumPy arrays with its registry entry's eager
implementation: what the eager backend runs for every op and what
`fold-constants` folds with, so that both compute exactly the same values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation

from tfir.dialects.dtypes import numpy_dtype_of
from tfir.dialects.registry import REGISTRY
from tfir.errors import InternalError


class EagerError(InternalError):
    """An op has no eager implementation, or it gave results of the wrong number."""


def run_op(op: Operation, args: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Runs one `tf` (or registered dialect) op on NumPy arrays."""
    entry = REGISTRY.for_op(op.name)
    if entry is None:
        raise EagerError(f"no eager implementation for op '{op.name}'")
    with np.errstate(all="ignore"):
        out = entry.eager(op, *args)
    outs = out if isinstance(out, tuple) else (out,)
    if len(outs) != len(op.results):
        raise EagerError(f"eager implementation of '{op.name}' gave {len(outs)} results, "
                         f"expected {len(op.results)}")
    return tuple(_coerce(v, r.type) for v, r in zip(outs, op.results, strict=True))


def _coerce(value: Any, typ: Any) -> np.ndarray:
    """The array with exactly the IR result's dtype and shape."""
    arr = np.asarray(value)
    if isinstance(typ, TensorType):
        dtype = numpy_dtype_of(typ)
        if arr.dtype != dtype:
            arr = arr.astype(dtype)
        shape = tuple(typ.get_shape())
        if arr.shape != shape:
            arr = np.broadcast_to(arr, shape) if arr.size == 1 else arr.reshape(shape)
    return arr
