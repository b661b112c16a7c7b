"""`numpy.matmul` in linalg on tensors (used by `convert-tf-to-linalg`).

1-D operands are expanded to 2-D (`[K]` to `[1, K]` on the left, `[K, 1]` on
the right); a batched left operand with a 2-D right operand folds its batch
into the rows of one `linalg.matmul`, a 2-D left operand with a batched right
one is read by every batch through its map (no copy per batch); otherwise
batch dims that broadcast are
materialised with a broadcasting `linalg.generic`, several batch dims are
collapsed into one, and the product is a batch-matmul `linalg.generic`
(`(b, i, j, k)`, `k` a reduction dim: xDSL 0.74 has no
`linalg.batch_matmul`). The product is reshaped to the result shape at the
end, which drops the axes added for 1-D operands.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from xdsl.dialects import arith, linalg
from xdsl.ir import SSAValue
from xdsl.ir.affine import AffineMap
from xdsl.utils.exceptions import DiagnosticException

from tfir.dialects.tf import broadcast_shapes
from tfir.lowering.utils.linalg_builders import (
    PARALLEL,
    REDUCTION,
    Emitter,
    elem_of,
    is_bool,
    is_float,
    shape_of,
)


def _matmul_2d(em: Emitter, a: SSAValue, b: SSAValue) -> SSAValue:
    (m, _), (_, n) = shape_of(a), shape_of(b)
    init = em.filled([m, n], elem_of(a), 0)
    ta, tb = _transposed(a), _transposed(b)
    if ta is None and tb is None:
        return em.val(linalg.ops.MatmulOp([a, b], [init]))
    # A transposed operand is read through a permuted map instead of copied
    # (the gradient of a matmul is two such products): `np.matmul(x.T, g)`.
    elem = elem_of(a)
    add, mul = (arith.AddfOp, arith.MulfOp) if is_float(elem) else (arith.AddiOp, arith.MuliOp)
    maps = [AffineMap.from_callable(lambda i, j, k: (k, i) if ta is not None else (i, k)),
            AffineMap.from_callable(lambda i, j, k: (j, k) if tb is not None else (k, j)),
            AffineMap.from_callable(lambda i, j, k: (i, j))]
    return em.generic([a if ta is None else ta, b if tb is None else tb], maps[:2], [init], maps[2:],
                      [PARALLEL, PARALLEL, REDUCTION],
                      lambda e, args: [e.val(add(e.val(mul(args[0], args[1])), args[2]))])[0]


def _transposed(x: SSAValue) -> SSAValue | None:
    """The source of `x` when `x` is a 2-D `linalg.transpose` of it."""
    op = x.owner
    if isinstance(op, linalg.ops.TransposeOp) and len(shape_of(x)) == 2 and \
            tuple(op.permutation.get_values()) == (1, 0):
        return op.inputs[0]
    return None


def _batch_matmul(em: Emitter, a: SSAValue, b: SSAValue) -> SSAValue:
    """`[nb, m, k] x [nb, k, n]`, or `[m, k] x [nb, k, n]` (`a` read by every batch)."""
    (*_, m, _), (nb, _, n) = shape_of(a), shape_of(b)
    elem = elem_of(a)
    add, mul = (arith.AddfOp, arith.MulfOp) if is_float(elem) else (arith.AddiOp, arith.MuliOp)
    init = em.filled([nb, m, n], elem, 0)
    shared = len(shape_of(a)) == 2
    maps = [AffineMap.from_callable(lambda b_, i, j, k: (i, k) if shared else (b_, i, k)),
            AffineMap.from_callable(lambda b_, i, j, k: (b_, k, j)),
            AffineMap.from_callable(lambda b_, i, j, k: (b_, i, j))]
    return em.generic([a, b], maps[:2], [init], maps[2:], [PARALLEL] * 3 + [REDUCTION],
                      lambda e, args: [e.val(add(e.val(mul(args[0], args[1])), args[2]))])[0]


def _broadcast_batch(em: Emitter, x: SSAValue, batch: Sequence[int]) -> SSAValue:
    shape = shape_of(x)
    target = (*batch, *shape[-2:])
    if shape == target:
        return x
    return em.elementwise([x], target, elem_of(x), lambda e, args: [args[0]])


def matmul(em: Emitter, a: SSAValue, b: SSAValue, result_shape: Sequence[int]) -> SSAValue:
    """`numpy.matmul(a, b)`, whose shape is `result_shape`."""
    if is_bool(elem_of(a)):
        raise DiagnosticException("tf.matmul has no lowering for i1")
    if len(shape_of(a)) == 1:
        a = em.expand(a, [[0, 1]], [1, shape_of(a)[0]])
    if len(shape_of(b)) == 1:
        b = em.expand(b, [[0, 1]], [shape_of(b)[0], 1])
    sa, sb = shape_of(a), shape_of(b)
    batch = broadcast_shapes(sa[:-2], sb[:-2])
    assert batch is not None
    if not batch:
        product = _matmul_2d(em, a, b)
    elif len(sb) == 2:
        rows = em.reshape(a, [math.prod(sa[:-1]), sa[-1]])
        product = _matmul_2d(em, rows, b)
    elif len(sa) == 2:  # one matrix times a stack: read by every batch, never copied per batch
        nb = math.prod(batch)
        b3 = em.reshape(_broadcast_batch(em, b, batch), [nb, *sb[-2:]])
        product = _batch_matmul(em, a, b3)
    else:
        nb = math.prod(batch)
        a3 = em.reshape(_broadcast_batch(em, a, batch), [nb, *sa[-2:]])
        b3 = em.reshape(_broadcast_batch(em, b, batch), [nb, *sb[-2:]])
        product = _batch_matmul(em, a3, b3)
    return em.reshape(product, result_shape)
