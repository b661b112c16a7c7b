"""NumPy basic indexing: integer indices drop an axis (out of range is an
error), slices clamp; negative indices and steps count from the end. Lowered
to one `tf.slice` (rank kept) and a `tf.reshape` that drops indexed axes."""

from __future__ import annotations

from typing import Any

from tfir.dialects import tf
from tfir.dialects.dtypes import tensor_type
from tfir.dialects.registry import TType
from tfir.frontend import ast
from tfir.frontend.calls import CheckError
from tfir.frontend.values import Literal, Poison, Tensor, Value, describe

MAX_STEP = 1 << 62  # a step of one element larger than this is stored as its sign


class IndexingMixin:
    def _static_index(self: Any, e: ast.Expr | None) -> int | None:
        if e is None:
            return None
        v = self.expr(e)
        if isinstance(v, Literal) and v.is_scalar and v.kind == "int":
            return int(v.scalar())
        raise CheckError(f"indices and slice bounds must be integer literals, got {describe(v)}", e.span)

    def subscript(self: Any, e: ast.Subscript) -> Value:
        value = self.expr(e.value)
        if isinstance(value, Poison):
            return value
        if isinstance(value, Literal):
            value = self.materialize(value, e.value.span, None)
        if not isinstance(value, Tensor):
            raise CheckError(f"cannot index {describe(value)}", e.value.span)
        shape = value.type.shape
        if len(e.indices) > len(shape):
            raise CheckError(f"too many indices: {len(e.indices)} for a tensor of rank {len(shape)}", e.span)
        start, stride, sizes, keep = [], [], [], []
        for axis, dim in enumerate(shape):
            index = e.indices[axis] if axis < len(e.indices) else ast.Slice(e.span, None, None, None)
            s, k, n, kept = self._one_index(index, axis, dim)
            start.append(s)
            stride.append(k)
            sizes.append(n)
            if kept:
                keep.append(axis)
        sliced = TType(value.type.dtype, tuple(sizes))
        out = TType(value.type.dtype, tuple(sizes[a] for a in keep))
        if not self.emitting:
            return Tensor(out)
        result = value
        if sliced.shape != shape or any(k != 1 for k in stride):
            op = tf.SliceOp(value.ssa, start, stride, tensor_type(sliced.dtype, sliced.shape))
            result = Tensor(sliced, self.emit(op, e.span).results[0])
        if len(keep) != len(shape):
            op = tf.ReshapeOp(result.ssa, tensor_type(out.dtype, out.shape))
            result = Tensor(out, self.emit(op, e.span).results[0])
        return result

    def _one_index(self: Any, index: ast.Expr | ast.Slice, axis: int, dim: Any) -> tuple[int, int, Any, bool]:
        """(start, stride, size, axis kept) of one index on an axis of size `dim`."""
        if isinstance(index, ast.Slice):
            lo, hi = self._static_index(index.start), self._static_index(index.stop)
            step = self._static_index(index.step)
            if step == 0:
                raise CheckError("slice step cannot be zero", index.step.span)
            if not isinstance(dim, int):
                return 0, step or 1, None, True
            s, stop, k = slice(lo, hi, step).indices(dim)
            n = max(0, (stop - s + k - (1 if k > 0 else -1)) // k)  # len(range()) takes no huge step
            if n <= 1 and not -MAX_STEP < k < MAX_STEP:  # one element: only the direction matters
                k = 1 if k > 0 else -1
            return (s if n else 0), k, n, True
        i = self._static_index(index)
        if isinstance(dim, int):
            if not -dim <= i < dim:
                raise CheckError(f"index {i} is out of range for axis {axis} of size {dim}", index.span)
            i %= dim
        elif i < 0:
            return 0, 1, 1, False  # unknown until the size is known; checked again then
        return i, 1, 1, False
