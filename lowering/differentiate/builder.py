"""`GradBuilder`: how gradient rules emit `tf` ops.

Ops are inserted at one insertion point (before the `tf.gradients` op being
expanded, or in a block the control-flow rules build) and carry the location
the sweep sets: that of the forward op being differentiated, so inspection
shows a line's forward and backward work together.

Calls go through the op registry (`b.mul(g, y)`, `b.sum(x, axis=[0],
keepdims=True)`) and are typed by the same shape rules as `.tf` calls;
Python numbers given for tensors become rank-0 constants of the other
operand's dtype. The shape helpers (`reshape`, `broadcast_to`, `unbroadcast`,
...) build the op directly and skip it when it would be the identity.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, LocationAttr, TensorType
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.traits import Pure

from tfir.dialects import tf
from tfir.dialects.dtypes import from_xdsl, numpy_dtype_of, to_xdsl
from tfir.dialects.evaluate import run_op
from tfir.dialects.tf_builder import TfBuilder
from tfir.lowering.utils.constants import constant_array, dense_attr

FOLD_MAX_ELEMENTS = 64

# The ops the pass has made since `track()` began: those nothing uses in the end
# are erased (`erase_dead`), so even the eager target (which runs no `dce`)
# runs no dead backward op.
_CREATED: list[Operation] = []


def track(op: Operation) -> Operation:
    _CREATED.append(op)
    return op


def erase_dead() -> None:
    """Erases the ops made by the pass (and still in the IR) that nothing uses,
    last first: the copies of forward ops the backward does not read, the
    parts of rules that constants made unnecessary, ..."""
    ops, _CREATED[:] = list(_CREATED), []
    for op in reversed(ops):
        if op.parent is None or any(r.uses for r in op.results) or not op.results:
            continue
        if op.has_trait(Pure) or op.name == "tf.check_index":
            Rewriter.erase_op(op)


def shape(value: SSAValue | Attribute) -> tuple[int, ...]:
    typ = value.type if isinstance(value, SSAValue) else value
    assert isinstance(typ, TensorType)
    return tuple(typ.get_shape())


def dtype(value: SSAValue) -> str:
    assert isinstance(value.type, TensorType)
    return from_xdsl(value.type.get_element_type())


def is_float(value: SSAValue) -> bool:
    return isinstance(value.type, TensorType) and numpy_dtype_of(value.type).kind == "f"


def _folded(op: Operation) -> tf.ConstantOp | None:
    """`op` evaluated, when all its operands are constants and its one result is small."""
    if not op.operands or len(op.results) != 1 or not all(isinstance(v.owner, tf.ConstantOp) for v in op.operands):
        return None
    result = op.results[0]
    if math.prod(shape(result)) > FOLD_MAX_ELEMENTS:
        return None
    (value,) = run_op(op, [constant_array(v.owner.value) for v in op.operands])
    if value.dtype.kind == "f" and not np.isfinite(value).all():
        return None  # left to run time, as fold-constants leaves it
    assert isinstance(result.type, TensorType)
    return tf.ConstantOp(dense_attr(value, result.type))


def is_zero_fill(value: SSAValue) -> bool:
    """Whether `value` is a constant of zeros, or one broadcast."""
    op = value.owner
    if isinstance(op, tf.BroadcastToOp):
        op = op.input.owner
    if not isinstance(op, tf.ConstantOp):
        return False
    array = constant_array(op.value)
    return array.size > 0 and not array.any()


def retyped(value: SSAValue, new_shape: Sequence[int]) -> TensorType:
    assert isinstance(value.type, TensorType)
    return TensorType(value.type.get_element_type(), list(new_shape))


class GradBuilder:
    """Emits ops at `point` with location `location` (changed by the sweep per forward op)."""

    def __init__(self, point: InsertPoint, location: LocationAttr):
        self.point = point
        self.location = location
        self._tf = TfBuilder()

    # -- emitting ---------------------------------------------------------------

    def insert(self, op: Operation) -> Operation:
        op.location = self.location
        Rewriter.insert_op(op, self.point)
        return track(op)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """The result(s) of registry op `name` (a `.tf` builtin) on these arguments.
        An op of small constants is evaluated now (as `fold-constants` would,
        with the eager implementation), so that the graph optimizations, which
        run before folding, see constants where rules combine them."""
        start = len(self._tf.ops)
        out = self._tf.call(name, *args, **kwargs)
        *operands, last = self._tf.ops[start:]
        for op in operands:
            self.insert(op)
        folded = _folded(last)
        if folded is None:
            self.insert(last)
            return out
        last.drop_all_references()  # a detached op would stay a user of its operands
        self.insert(folded)
        return folded.results[0]

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    # -- constants ----------------------------------------------------------------

    def scalar(self, value: float | int | bool, like: SSAValue | str) -> SSAValue:
        """A rank-0 constant of `like`'s dtype (or of the dtype named `like`)."""
        name = like if isinstance(like, str) else dtype(like)
        typ = TensorType(to_xdsl(name), [])
        data = np.asarray(value, dtype=numpy_dtype_of(typ)).reshape(-1).tolist()
        return self.insert(tf.ConstantOp(DenseIntOrFPElementsAttr.from_list(typ, data))).results[0]

    def constant(self, value: Any, dtype_name: str) -> SSAValue:
        """A `tf.constant` holding `value` (a number or an array) as `dtype_name` (TfBuilder's API)."""
        data = np.asarray(value, dtype=numpy_dtype_of(to_xdsl(dtype_name)))
        typ = TensorType(to_xdsl(dtype_name), list(data.shape))
        values = data.reshape(-1).tolist()
        return self.insert(tf.ConstantOp(DenseIntOrFPElementsAttr.from_list(typ, values))).results[0]

    def fill(self, value: float, typ: Attribute) -> SSAValue:
        """A tensor of type `typ` with every element `value` (a broadcast rank-0 constant)."""
        assert isinstance(typ, TensorType)
        return self.broadcast_to(self.scalar(value, from_xdsl(typ.get_element_type())), shape(typ))

    def zeros_like(self, value: SSAValue) -> SSAValue:
        return self.fill(0.0, value.type)

    def ones_like(self, value: SSAValue) -> SSAValue:
        return self.fill(1.0, value.type)

    # -- shapes -------------------------------------------------------------------

    def reshape(self, value: SSAValue, new_shape: Sequence[int]) -> SSAValue:
        if shape(value) == tuple(new_shape):
            return value
        return self.insert(tf.ReshapeOp(value, retyped(value, new_shape))).results[0]

    def broadcast_to(self, value: SSAValue, new_shape: Sequence[int]) -> SSAValue:
        if shape(value) == tuple(new_shape):
            return value
        return self.insert(tf.BroadcastToOp(value, retyped(value, new_shape))).results[0]

    def transpose(self, value: SSAValue, perm: Sequence[int]) -> SSAValue:
        if list(perm) == list(range(len(perm))):
            return value
        src = shape(value)
        return self.insert(tf.TransposeOp(value, perm, retyped(value, [src[p] for p in perm]))).results[0]

    def sum_axes(self, value: SSAValue, axes: Sequence[int], keepdims: bool = False) -> SSAValue:
        if not axes:
            return value
        src = shape(value)
        out = [1 if i in axes else d for i, d in enumerate(src) if keepdims or i not in axes]
        return self.insert(tf.SumOp(value, sorted(axes), keepdims, retyped(value, out))).results[0]

    def cast(self, value: SSAValue, to: str) -> SSAValue:
        if dtype(value) == to:
            return value
        return self.insert(tf.CastOp(value, TensorType(to_xdsl(to), list(shape(value))))).results[0]

    def unbroadcast(self, grad: SSAValue, target: Sequence[int]) -> SSAValue:
        """The gradient of a broadcast from `target` to `grad`'s shape: the sum over
        the broadcast axes (the leading ones and those of size 1 in `target`)."""
        src, target = shape(grad), tuple(target)
        if src == target:
            return grad
        lead = len(src) - len(target)
        axes = [i for i in range(len(src)) if i < lead or (target[i - lead] == 1 and src[i] != 1)]
        return self.reshape(self.sum_axes(grad, axes, keepdims=True), target)

    def slice(self, value: SSAValue, start: Sequence[int], stride: Sequence[int],
              sizes: Sequence[int]) -> SSAValue:
        if tuple(sizes) == shape(value) and all(s == 0 for s in start) and all(k == 1 for k in stride):
            return value
        return self.insert(tf.SliceOp(value, start, stride, retyped(value, sizes))).results[0]

    def concat(self, values: Sequence[SSAValue], axis: int) -> SSAValue:
        values = [v for v in values if shape(v)[axis] > 0] or list(values[:1])
        if len(values) == 1:
            return values[0]
        out = list(shape(values[0]))
        out[axis] = sum(shape(v)[axis] for v in values)
        return self.insert(tf.ConcatOp(values, axis, retyped(values[0], out))).results[0]

