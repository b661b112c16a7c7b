"""Gradient rules of the reductions and of `matmul`.

A reduction's gradient is broadcast back over the reduced axes. `max`/`min`
split it evenly among the elements equal to the result (JAX's rule, so ties
share); `prod` gives each element the product of the others, with no
division (exact at zeros and infinities, as JAX). `matmul` gives the two
transposed products, 1-D operands promoted as NumPy promotes them and
broadcast batch dimensions summed back."""

from __future__ import annotations

import math

from xdsl.ir import Operation, SSAValue

from tfir.dialects import tf
from tfir.lowering.differentiate.builder import GradBuilder, dtype, retyped, shape
from tfir.lowering.differentiate.rules import rule
from tfir.lowering.differentiate.rules.nn import reverse


def expand_back(b: GradBuilder, g: SSAValue, op: tf.ReductionOp) -> SSAValue:
    """The reduction's result gradient broadcast to the operand's shape."""
    src = shape(op.input)
    kept = [1 if i in op.axes_tuple else d for i, d in enumerate(src)]
    return b.broadcast_to(b.reshape(g, kept), src)


def _kept(b: GradBuilder, value: SSAValue, op: tf.ReductionOp) -> SSAValue:
    """A result of `op` reshaped to keep the reduced axes (size 1)."""
    src = shape(op.input)
    return b.reshape(value, [1 if i in op.axes_tuple else d for i, d in enumerate(src)])


@rule(tf.SumOp.name)
def _sum(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    assert isinstance(op, tf.SumOp)
    return [expand_back(b, grads[0], op)]


@rule(tf.MeanOp.name)
def _mean(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    assert isinstance(op, tf.MeanOp)
    count = math.prod(shape(op.input)[a] for a in op.axes_tuple)
    return [expand_back(b, b.div(grads[0], float(count)), op)]


@rule(tf.MaxOp.name, tf.MinOp.name)
def _extreme(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    assert isinstance(op, tf.MaxOp | tf.MinOp)
    x = op.input
    hits = b.cast(b.equal(x, _kept(b, op.result, op)), dtype(x))
    count = b.sum(hits, axis=list(op.axes_tuple), keepdims=True)
    return [b.mul(b.div(hits, count), _kept(b, grads[0], op))]


@rule(tf.ProdOp.name)
def _prod(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    """d prod / d x_i = the product of the others, with no division (JAX's rule, a
    product tree's derivative): the exclusive products from the left times those
    from the right, along the reduced axes moved to the front and flattened. Exact
    at zeros, and at infinities as JAX: `prod([inf, a, b])` gives `[a*b, inf*b, inf*a]`."""
    assert isinstance(op, tf.ProdOp)
    x, axes = op.input, list(op.axes_tuple)
    src = shape(x)
    rest = [a for a in range(len(src)) if a not in axes]
    n = math.prod(src[a] for a in axes)
    perm = [*axes, *rest]
    flat = b.reshape(b.transpose(x, perm), [n, *(src[a] for a in rest)])
    others = b.mul(_exclusive_products(b, flat), reverse(b, _exclusive_products(b, reverse(b, flat, 0)), 0))
    moved = b.reshape(others, [src[a] for a in perm])
    back = b.transpose(moved, [perm.index(a) for a in range(len(src))])
    return [b.mul(back, _kept(b, grads[0], op))]


def _exclusive_products(b: GradBuilder, flat: SSAValue) -> SSAValue:
    """[1, x0, x0*x1, ...]: the products of the rows before each, along axis 0."""
    dims = shape(flat)
    if dims[0] <= 1:
        return b.fill(1.0, flat.type)
    running = b.insert(tf.CumprodOp(flat, 0)).results[0]
    head = b.slice(running, [0] * len(dims), [1] * len(dims), [dims[0] - 1, *dims[1:]])
    return b.concat([b.fill(1.0, retyped(flat, [1, *dims[1:]])), head], 0)


@rule(tf.MatmulOp.name)
def _matmul(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    a, c = op.operands
    a2 = b.reshape(a, [1, *shape(a)]) if len(shape(a)) == 1 else a
    c2 = b.reshape(c, [*shape(c), 1]) if len(shape(c)) == 1 else c
    batch = _broadcast_batch(shape(a2)[:-2], shape(c2)[:-2])
    g2 = b.reshape(grads[0], [*batch, shape(a2)[-2], shape(c2)[-1]])
    out: list[SSAValue | None] = [None, None]
    if wants[0]:
        ga = b.matmul(g2, _swap_last(b, c2))
        out[0] = b.reshape(b.unbroadcast(ga, shape(a2)), shape(a))
    if wants[1]:
        gc = b.matmul(_swap_last(b, a2), g2)
        out[1] = b.reshape(b.unbroadcast(gc, shape(c2)), shape(c))
    return out


def _swap_last(b: GradBuilder, value: SSAValue) -> SSAValue:
    rank = len(shape(value))
    return b.transpose(value, [*range(rank - 2), rank - 1, rank - 2])


def _broadcast_batch(x: tuple[int, ...], y: tuple[int, ...]) -> list[int]:
    rank = max(len(x), len(y))
    x, y = (1,) * (rank - len(x)) + x, (1,) * (rank - len(y)) + y
    return [max(p, q) if 1 in (p, q) else p for p, q in zip(x, y, strict=True)]
