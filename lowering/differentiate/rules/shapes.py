"""Gradient rules of the ops that move elements: `transpose` (the inverse
permutation), `reshape` (back), `broadcast_to` (a sum over the broadcast
axes), `slice` (the gradient placed back among zeros) and `concat` (a slice
per operand)."""

from __future__ import annotations

from xdsl.dialects.builtin import TensorType, i32
from xdsl.ir import Operation, SSAValue

from tfir.dialects import tf
from tfir.dialects.tf.base import ints_of
from tfir.lowering.differentiate.builder import GradBuilder, retyped, shape
from tfir.lowering.differentiate.rules import rule


@rule(tf.TransposeOp.name)
def _transpose(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    assert isinstance(op, tf.TransposeOp)
    perm = op.perm_tuple
    inverse = [perm.index(i) for i in range(len(perm))]
    return [b.transpose(grads[0], inverse)]


@rule(tf.ReshapeOp.name)
def _reshape(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    return [b.reshape(grads[0], shape(op.operands[0]))]


@rule(tf.BroadcastToOp.name)
def _broadcast(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    return [b.unbroadcast(grads[0], shape(op.operands[0]))]


@rule(tf.ConcatOp.name)
def _concat(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    assert isinstance(op, tf.ConcatOp)
    axis, g = op.axis.value.data, grads[0]
    out: list[SSAValue | None] = []
    offset = 0
    for operand, want in zip(op.operands, wants, strict=True):
        size = shape(operand)
        if want:
            start = [offset if i == axis else 0 for i in range(len(size))]
            out.append(b.slice(g, start, [1] * len(size), size))
        else:
            out.append(None)
        offset += size[axis]
    return out


@rule(tf.SliceOp.name)
def _slice(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    assert isinstance(op, tf.SliceOp)
    g = grads[0]
    dims = shape(op.operands[0])
    for axis, (start, stride) in enumerate(zip(ints_of(op.start), ints_of(op.stride), strict=True)):
        g = unslice_axis(b, g, axis, dims[axis], start, stride)
    return [g]


def unslice_axis(b: GradBuilder, g: SSAValue, axis: int, dim: int, start: int, stride: int) -> SSAValue:
    """`g`, the gradient of elements `start + i * stride` along `axis`, placed
    at those positions of an axis of size `dim`, zeros elsewhere."""
    gshape = list(shape(g))
    n = gshape[axis]
    if n == dim and start == 0 and stride == 1:
        return g
    if n == 0:
        return b.fill(0.0, _with(g, axis, dim))
    if stride != 1:  # a scatter_add at start + i * stride (negative strides too)
        iota = b.insert(tf.IotaOp(TensorType(i32, [n]))).results[0]
        index = b.add(b.mul(iota, b.scalar(stride, "i32")), b.scalar(start, "i32"))
        zeros = b.fill(0.0, _with(g, axis, dim))
        return b.insert(tf.ScatterAddOp(zeros, index, g, axis)).results[0]
    span = shape(g)[axis]
    before = b.fill(0.0, _with(g, axis, start))
    after = b.fill(0.0, _with(g, axis, dim - start - span))
    return b.concat([before, g, after], axis)


def _at(values: list[int], axis: int, value: int) -> list[int]:
    return [value if i == axis else v for i, v in enumerate(values)]


def _with(g: SSAValue, axis: int, size: int) -> TensorType:
    return retyped(g, _at(list(shape(g)), axis, size))
