"""Indexing `x[...]`: NumPy basic indexing plus (v2) tensor indices.

- An integer index (a literal or any compile-time integer) drops its axis; out
  of range it is a compile-time error. Slices clamp; negative indices and
  steps count from the end. `None` inserts an axis of size 1.
- A rank-0 integer tensor index selects along its axis and drops it; an index
  tensor of rank >= 1 (at most one per expression) is `take(x, idx, axis=k)`,
  its dims in place of axis `k`. Every tensor index is checked at run time
  (`tf.check_index`, then `tf.take`).

Emitted as one `tf.slice` for the static indices (rank kept), the takes of
the tensor indices from the last axis to the first (so earlier axes keep
their numbers), and a `tf.reshape` that drops the integer-indexed axes and
inserts the `None` ones (neither moves an element).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfir.dialects import tf
from tfir.dialects.dtypes import INT_DTYPES, tensor_type
from tfir.dialects.registry import TType
from tfir.frontend import ast
from tfir.frontend.calls import CheckError
from tfir.frontend.values import Literal, Poison, SymDim, Tensor, Value, describe


@dataclass
class _Axis:
    """How one index treats the axis it consumes."""

    start: int
    stride: int
    size: Any
    kept: bool  # False: an integer index (dropped by the final reshape)
    tensor: Tensor | None = None  # a tensor index: taken after the slice
    span: Any = None

MAX_STEP = 1 << 62  # a step of one element larger than this is stored as its sign


class IndexingMixin:
    def _static_index(self: Any, e: ast.Expr | None) -> int | SymDim | None:
        if e is None:
            return None
        v = self.expr(e)
        if isinstance(v, Literal) and v.is_scalar and v.kind == "int":
            return int(v.scalar())
        if isinstance(v, SymDim) and v.kind == "int":
            return v
        raise CheckError(f"slice bounds must be compile-time integers, got {describe(v)}", e.span)

    def subscript(self: Any, e: ast.Subscript) -> Value:
        value = self.expr(e.value)
        if isinstance(value, Poison):
            return value
        if isinstance(value, Literal):
            value = self.materialize(value, e.value.span, None)
        if not isinstance(value, Tensor):
            raise CheckError(f"cannot index {describe(value)}", e.value.span)
        shape = value.type.shape
        consumed = [i for i in e.indices if not isinstance(i, ast.NoneIndex)]
        if len(consumed) > len(shape):
            raise CheckError(f"too many indices: {len(consumed)} for a tensor of rank {len(shape)}", e.span)
        axes, arrays = [], 0
        for axis, dim in enumerate(shape):
            index = consumed[axis] if axis < len(consumed) else ast.Slice(e.span, None, None, None)
            info = self._one_index(index, axis, dim)
            if info.tensor is not None and info.tensor.type.rank >= 1:
                arrays += 1
                if arrays > 1:
                    raise CheckError("at most one index of an indexing expression may be a tensor of rank >= 1 "
                                     "(use take twice, or take_along_axis)", index.span)
            axes.append(info)
        sliced = TType(value.type.dtype, tuple(a.size for a in axes))
        out = TType(value.type.dtype, self._final_shape(e.indices, axes, shape))
        if not self.emitting:
            return Tensor(out)
        return self._emit_index(value, axes, sliced, out, e)

    def _final_shape(self: Any, indices: list[Any], axes: list[_Axis], shape: tuple[Any, ...]) -> tuple[Any, ...]:
        dims: list[Any] = []
        it = iter(axes)
        for index in indices:
            if isinstance(index, ast.NoneIndex):
                dims.append(1)
                continue
            a = next(it)
            if a.tensor is not None:
                dims.extend(a.tensor.type.shape)
            elif a.kept:
                dims.append(a.size)
        dims.extend(a.size for a in it)
        return tuple(dims)

    def _emit_index(self: Any, value: Tensor, axes: list[_Axis], sliced: TType, out: TType,
                    e: ast.Subscript) -> Tensor:
        result = value
        if sliced.shape != value.type.shape or any(a.stride != 1 for a in axes):
            op = tf.SliceOp(value.ssa, [a.start for a in axes], [a.stride for a in axes],
                            tensor_type(sliced.dtype, sliced.shape))
            result = Tensor(sliced, self.emit(op, e.span).results[0])
        for axis in reversed(range(len(axes))):
            index = axes[axis].tensor
            if index is None:
                continue
            size = result.type.shape[axis]
            check = self.emit(tf.CheckIndexOp(index.ssa, size, axis, "indexing"), axes[axis].span)
            shape = (*result.type.shape[:axis], *index.type.shape, *result.type.shape[axis + 1:])
            taken = TType(result.type.dtype, shape)
            op = tf.TakeOp(result.ssa, check.results[0], axis, tensor_type(taken.dtype, taken.shape))
            result = Tensor(taken, self.emit(op, e.span).results[0])
        if result.type.shape != out.shape:
            op = tf.ReshapeOp(result.ssa, tensor_type(out.dtype, out.shape))
            result = Tensor(out, self.emit(op, e.span).results[0])
        return result

    def _one_index(self: Any, index: ast.Expr | ast.Slice, axis: int, dim: Any) -> _Axis:
        """How the index consumes an axis of size `dim`."""
        if isinstance(index, ast.Slice):
            return self._slice(index, dim)
        v = self.expr(index)
        if isinstance(v, Tensor) or (isinstance(v, Literal) and not v.is_scalar):
            return self._tensor_index(v, index, dim)
        if isinstance(v, SymDim) and v.kind == "int":
            return _Axis(0, 1, 1, False, span=index.span)  # checked again once the sizes are known
        if not (isinstance(v, Literal) and v.is_scalar and v.kind == "int"):
            raise CheckError(f"an index must be an integer or an integer tensor, got {describe(v)}", index.span)
        i = int(v.scalar())
        if isinstance(dim, int):
            if not -dim <= i < dim:
                raise CheckError(f"index {i} is out of range for axis {axis} of size {dim}", index.span)
            i %= dim
        elif i < 0:
            return _Axis(0, 1, 1, False, span=index.span)  # unknown until the size is known; checked again then
        return _Axis(i, 1, 1, False, span=index.span)

    def _tensor_index(self: Any, v: Tensor | Literal, index: ast.Expr, dim: Any) -> _Axis:
        if isinstance(v, Literal):
            if v.kind != "int":
                raise CheckError(f"an index tensor must hold integers, got {describe(v)}", index.span)
            v = self.materialize(v, index.span, None)
        if v.type.dtype not in INT_DTYPES:
            raise CheckError(f"an index tensor must be i32 or i64, got {v.type} (boolean masks are not "
                             "supported: use where)", index.span)
        return _Axis(0, 1, dim, True, v, index.span)

    def _slice(self: Any, index: ast.Slice, dim: Any) -> _Axis:
        lo, hi = self._static_index(index.start), self._static_index(index.stop)
        step = self._static_index(index.step)
        if step == 0:
            raise CheckError("slice step cannot be zero", index.step.span)
        if not isinstance(dim, int) or any(isinstance(b, SymDim) for b in (lo, hi, step)):
            return _Axis(0, step if isinstance(step, int) else 1, None, True)
        s, stop, k = slice(lo, hi, step).indices(dim)
        n = max(0, (stop - s + k - (1 if k > 0 else -1)) // k)  # len(range()) takes no huge step
        if n <= 1 and not -MAX_STEP < k < MAX_STEP:  # one element: only the direction matters
            k = 1 if k > 0 else -1
        return _Axis(s if n else 0, k, n, True)
