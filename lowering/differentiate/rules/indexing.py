"""Gradient rules of the gathers and scatters (spec, "Indexing with tensors
and scatter"): a gather's gradient is a `scatter_add` of it into zeros
(repeated indices accumulate), a scatter's passes the gradient to the entries
it kept and gathers the rest for the updates. Indices pass no gradient.

The ops these rules build index with indices that were checked already (by
the `tf.check_index` before the forward op), so they add no check."""

from __future__ import annotations

import math

from xdsl.dialects.builtin import TensorType, i64
from xdsl.ir import Operation, SSAValue

from tfir.dialects import tf
from tfir.lowering.differentiate.builder import GradBuilder, retyped, shape
from tfir.lowering.differentiate.rules import no_gradient, rule

no_gradient(tf.CheckIndexOp.name, tf.FromIndexOp.name)


def _axis(op: Operation) -> int:
    return op.attributes["axis"].value.data  # type: ignore[union-attr]


def scatter_add_into_zeros(b: GradBuilder, like: SSAValue, indices: SSAValue, grad: SSAValue,
                           axis: int) -> SSAValue:
    zeros = b.fill(0.0, like.type)
    return b.insert(tf.ScatterAddOp(zeros, indices, grad, axis)).results[0]


def take(b: GradBuilder, x: SSAValue, indices: SSAValue, axis: int) -> SSAValue:
    out = [*shape(x)[:axis], *shape(indices), *shape(x)[axis + 1:]]
    return b.insert(tf.TakeOp(x, indices, axis, retyped(x, out))).results[0]


@rule(tf.TakeOp.name)
def _take(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    x, indices = op.operands
    return [scatter_add_into_zeros(b, x, indices, grads[0], _axis(op)), None]


@rule(tf.ScatterOp.name)
def _scatter(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    x, indices, updates = op.operands
    g, axis = grads[0], _axis(op)
    dx = b.insert(tf.ScatterOp(g, indices, b.zeros_like(updates), axis)).results[0] if wants[0] else None
    return [dx, None, take(b, g, indices, axis) if wants[2] else None]


@rule(tf.ScatterAddOp.name)
def _scatter_add(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    _, indices, _ = op.operands
    g = grads[0]
    return [g, None, take(b, g, indices, _axis(op)) if wants[2] else None]


@rule(tf.TakeAlongAxisOp.name)
def _take_along(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    """A scatter_add on the flattened operand at each picked entry's flat index
    (x's axes of size 1 broadcast: their entries take every gradient along them)."""
    x, indices = op.operands
    axis, g = _axis(op), grads[0]
    out, xs = shape(g), shape(x)
    index = b.cast(indices, "i64")
    n = b.scalar(xs[axis], "i64")
    index = b.where(b.less(index, b.scalar(0, "i64")), b.add(index, n), index)
    flat = b.broadcast_to(index, out)
    stride = math.prod(xs[axis + 1:])
    flat = b.mul(flat, b.scalar(stride, "i64")) if stride != 1 else flat
    for k, size in enumerate(xs):
        if k == axis or size == 1:
            continue
        iota = b.insert(tf.IotaOp(TensorType(i64, [out[k]]))).results[0]
        coord = b.reshape(iota, [out[k] if j == k else 1 for j in range(len(out))])
        flat = b.add(flat, b.mul(coord, b.scalar(math.prod(xs[k + 1:]), "i64")))
    total = math.prod(xs)
    flat_x = b.fill(0.0, TensorType(x.type.get_element_type(), [total]))
    count = math.prod(out)
    summed = b.insert(tf.ScatterAddOp(flat_x, b.reshape(flat, [count]), b.reshape(g, [count]), 0)).results[0]
    return [b.reshape(summed, xs), None]


__all__ = ["scatter_add_into_zeros", "take"]
