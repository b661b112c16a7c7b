"""`convert-tf-to-linalg` patterns of the v2 `tf` ops: tensor indexing, the
index check, the loop variable, and large splat constants.

- `tf.take` / `tf.take_along_axis` -> `linalgx.gather` into a `tensor.empty`
  (take_along_axis broadcasts its operands to the result's shape first);
- `tf.scatter` / `tf.scatter_add` -> `linalgx.scatter` with the operand as
  its destination (bufferization decides whether it is updated in place);
- `tf.check_index` -> `linalgx.check_index`;
- `tf.from_index` -> `tensor.from_elements` of an `arith.index_cast`;
- a `tf.constant` splat of more than `MAX_GLOBAL_SPLAT` elements ->
  `linalg.fill` of a `tensor.empty` (filled at run time, not carried as a
  constant global of every element).

`scf` ops and `tensor.extract` are upstream ops on tensors already: they stay,
with their bodies lowered by the same walk.
"""

from __future__ import annotations

from xdsl.dialects import arith, tensor
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineMap
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from tfir.dialects import linalgx, tf
from tfir.lowering.utils.constants import splat_scalar
from tfir.lowering.utils.linalg_builders import PARALLEL, Emitter, broadcast_map, elem_of, shape_of

MAX_GLOBAL_SPLAT = 1 << 12


def _broadcast(em: Emitter, value: SSAValue, shape: tuple[int, ...]) -> SSAValue:
    if shape_of(value) == shape:
        return value
    init = em.empty(shape, elem_of(value))
    return em.generic([value], [broadcast_map(shape_of(value), shape)], [init], [AffineMap.identity(len(shape))],
                      [PARALLEL] * len(shape), lambda b, args: [args[0]])[0]


class IndexingLowering(RewritePattern):
    """Lowers the gathers, scatters and index checks of the `tf` dialect."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        em = Emitter(op.location)
        if isinstance(op, tf.TakeOp):
            init = em.empty(shape_of(op.result), elem_of(op.result))
            result = em.val(linalgx.GatherOp(op.input, op.indices, init, op.axis_value, along=False))
        elif isinstance(op, tf.TakeAlongAxisOp):
            out, axis = shape_of(op.result), op.axis_value
            source = list(out)
            source[axis] = shape_of(op.input)[axis]
            x = _broadcast(em, op.input, tuple(source))
            idx = _broadcast(em, op.indices, out)
            init = em.empty(out, elem_of(op.result))
            result = em.val(linalgx.GatherOp(x, idx, init, axis, along=True))
        elif isinstance(op, tf.ScatterOp | tf.ScatterAddOp):
            result = em.val(linalgx.ScatterOp(op.updates, op.indices, op.input, op.axis_value,
                                              accumulate=isinstance(op, tf.ScatterAddOp)))
        elif isinstance(op, tf.CheckIndexOp):
            result = em.val(linalgx.CheckIndexOp(op.input, op.size_value, op.axis.value.data, op.what.data,
                                                 op.allows_negative))
        elif isinstance(op, tf.FromIndexOp):
            cast = em.val(arith.IndexCastOp(op.input, elem_of(op.result)))
            result = em.val(tensor.FromElementsOp(cast, result_type=op.result.type))
        else:
            return
        rewriter.replace(op, em.ops, [result])


class LargeSplatLowering(RewritePattern):
    """A large splat constant is filled at run time."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if not isinstance(op, tf.ConstantOp):
            return
        shape = shape_of(op.result)
        n = 1
        for d in shape:
            n *= d
        value = splat_scalar(op.result) if n > MAX_GLOBAL_SPLAT else None
        if value is None:
            return
        em = Emitter(op.location)
        filled = em.filled(shape, elem_of(op.result), value)
        rewriter.replace(op, em.ops, [filled])


PATTERNS: tuple[RewritePattern, ...] = (IndexingLowering(), LargeSplatLowering())
