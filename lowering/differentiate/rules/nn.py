"""Gradient rules of scans, padding and max pooling (the other ops of
language version 2 are differentiated through their decompositions into
`tf` primitives, `dialects/decompositions.py`: `var`/`std`, `einsum`, the
convolutions (im2col: their gradient is the transposed convolutions, made of
the rules of slices, concat and matmul), `avg_pool2d`, `tile`, `repeat`,
`flip`, `tril`, `triu`).

- `cumsum`: the reversed cumulative sum of the gradient.
- `cumprod`: exact where elements are zero (no division): the gradient of
  element i is `prod(x[:i]) * sum_{j >= i} g[j] * prod(x[i+1 : j+1])`, the
  products of a [n, n] triangle per row (O(n^2) along the axis).
- `pad`: the gradient of the interior.
- `max_pool2d`: each window's gradient goes to the first maximum of the window
  (row-major order), as `jax.lax.reduce_window`'s and PyTorch's.
"""

from __future__ import annotations

import itertools

from xdsl.dialects.builtin import TensorType, i32
from xdsl.ir import Operation, SSAValue

from tfir.dialects import tf
from tfir.lowering.differentiate.builder import GradBuilder, retyped, shape
from tfir.lowering.differentiate.rules import rule
from tfir.lowering.differentiate.rules.shapes import unslice_axis


def reverse(b: GradBuilder, x: SSAValue, axis: int) -> SSAValue:
    dims = shape(x)
    start = [dims[a] - 1 if a == axis else 0 for a in range(len(dims))]
    return b.slice(x, start, [-1 if a == axis else 1 for a in range(len(dims))], dims)


@rule("tf.cumsum")
def _cumsum(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    axis = op.axis_value  # type: ignore[attr-defined]
    summed = b.insert(tf.CumsumOp(reverse(b, grads[0], axis), axis)).results[0]
    return [reverse(b, summed, axis)]


@rule("tf.cumprod")
def _cumprod(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    x, y, g = op.operands[0], op.results[0], grads[0]
    axis = op.axis_value  # type: ignore[attr-defined]
    rank, n = len(shape(x)), shape(x)[axis]
    perm = [a for a in range(rank) if a != axis] + [axis]
    inverse = [perm.index(a) for a in range(rank)]
    xt, yt, gt = (b.transpose(v, perm) for v in (x, y, g))
    lead = list(shape(xt)[:-1])
    row = b.reshape(b.insert(tf.IotaOp(retyped_i32(n))).results[0], [n, 1])
    col = b.reshape(b.insert(tf.IotaOp(retyped_i32(n))).results[0], [1, n])
    square = [*lead, n, n]
    # tri[..., i, k] = x[k] for k > i, else 1; its cumprod along k: prod(x[i+1 : j+1]) at [i, j]
    tri = b.where(b.greater(col, row), b.broadcast_to(b.reshape(xt, [*lead, 1, n]), square), 1.0)
    partial = b.insert(tf.CumprodOp(tri, len(square) - 1)).results[0]
    weighted = b.where(b.greater_equal(col, row), b.mul(partial, b.reshape(gt, [*lead, 1, n])), 0.0)
    tail = b.sum_axes(weighted, [len(square) - 1])  # [..., n]: sum over j >= i
    before = b.concat([b.fill(1.0, retyped(xt, [*lead, 1])),
                       b.slice(yt, [0] * rank, [1] * rank, [*lead, n - 1])], rank - 1) if n > 1 else \
        b.fill(1.0, xt.type)
    return [b.transpose(b.mul(before, tail), inverse)]


def retyped_i32(n: int) -> TensorType:
    return TensorType(i32, [n])


@rule("tf.pad")
def _pad(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    pairs = op.pairs  # type: ignore[attr-defined]
    dims = shape(op.operands[0])
    return [b.slice(grads[0], [before for before, _ in pairs], [1] * len(dims), dims)]


@rule("tf.max_pool2d")
def _max_pool(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    x, y, g = op.operands[0], op.results[0], grads[0]
    kernel, stride, padding = op.params  # type: ignore[attr-defined]
    dims = shape(x)
    lead = len(dims) - 2
    pads = [0, 0] * lead + [p for p in padding for _ in (0, 1)]
    padded_dims = [*dims[:lead], *(d + 2 * p for d, p in zip(dims[lead:], padding, strict=True))]
    xp = x if not any(padding) else \
        b.insert(tf.PadOp(x, pads, float("-inf"), retyped(x, padded_dims))).results[0]
    outs = shape(y)[lead:]
    taken: SSAValue | None = None
    total: SSAValue | None = None
    for offset in itertools.product(*(range(k) for k in kernel)):
        start = [0] * lead + list(offset)
        window = b.slice(xp, start, [1] * lead + list(stride), [*dims[:lead], *outs])
        hit = b.equal(window, y)
        if taken is not None:
            hit = b.logical_and(hit, b.logical_not(taken))
        taken = hit if taken is None else b.logical_or(taken, hit)
        part = b.where(hit, g, 0.0)
        for axis, (o, s) in enumerate(zip(offset, stride, strict=True)):
            part = unslice_axis(b, part, lead + axis, padded_dims[lead + axis], o, s)
        total = part if total is None else b.add(total, part)
    assert total is not None
    return [b.slice(total, [0] * lead + list(padding), [1] * len(dims), dims)]
