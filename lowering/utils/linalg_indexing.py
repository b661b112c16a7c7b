"""How `convert-tf-to-linalg` lowers the v2 `tf` ops: tensor indexing, the
index check, the loop variable, and large splat constants (its patterns
`TakeLowering` & co. call these).

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
from xdsl.ir import SSAValue
from xdsl.ir.affine import AffineMap

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


def take(em: Emitter, op: tf.TakeOp) -> SSAValue:
    init = em.empty(shape_of(op.result), elem_of(op.result))
    return em.val(linalgx.GatherOp(op.input, op.indices, init, op.axis_value, along=False))


def take_along_axis(em: Emitter, op: tf.TakeAlongAxisOp) -> SSAValue:
    out, axis = shape_of(op.result), op.axis_value
    source = list(out)
    source[axis] = shape_of(op.input)[axis]
    x = _broadcast(em, op.input, tuple(source))
    idx = _broadcast(em, op.indices, out)
    init = em.empty(out, elem_of(op.result))
    return em.val(linalgx.GatherOp(x, idx, init, axis, along=True))


def scatter(em: Emitter, op: tf.ScatterOp | tf.ScatterAddOp) -> SSAValue:
    return em.val(linalgx.ScatterOp(op.updates, op.indices, op.input, op.axis_value,
                                    accumulate=isinstance(op, tf.ScatterAddOp)))


def check_index(em: Emitter, op: tf.CheckIndexOp) -> SSAValue:
    return em.val(linalgx.CheckIndexOp(op.input, op.size_value, op.axis.value.data, op.what.data,
                                       op.allows_negative))


def from_index(em: Emitter, op: tf.FromIndexOp) -> SSAValue:
    cast = em.val(arith.IndexCastOp(op.input, elem_of(op.result)))
    return em.val(tensor.FromElementsOp(cast, result_type=op.result.type))


def large_splat(em: Emitter, op: tf.ConstantOp) -> SSAValue | None:
    """A splat constant of more than `MAX_GLOBAL_SPLAT` elements as a fill; else None."""
    shape = shape_of(op.result)
    n = 1
    for d in shape:
        n *= d
    value = splat_scalar(op.result) if n > MAX_GLOBAL_SPLAT else None
    if value is None:
        return None
    return em.filled(shape, elem_of(op.result), value)
