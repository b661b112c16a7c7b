"""Batching the work a loop does on the rows of a loop-invariant tensor that
it takes one row per iteration: `x[t] @ w` in a `for t` loop over the rows of
`x` becomes `(x @ w)[t]`, with `x @ w` computed once before the loop, one
large matmul instead of one small one per iteration (what a NumPy
programmer does by hand in an RNN: project every input step at once).

An op in the body qualifies when its operands are loop-invariant or a
`tf.take` of a loop-invariant tensor along axis 0 at the loop's index (the
same index for all of them; a `tf.from_index` of the loop variable, through
the `tf.check_index` of it if one is left), the op commutes with that take
(an elementwise op whose invariant operands do not reach the taken axis; a
matmul whose taken operand is the left one and whose right one is 2-D), and
the loop visits at least half the rows (else computing every row would cost
more than it saves). The op becomes a take of the op applied to the whole
tensors, which `hoist-loop-invariants` then moves out of the loop; repeated,
a chain of such ops (`x[t] @ w + b`) is batched as a whole. Results equal the
per-row computation up to the summation order of the larger matmul.
"""

from __future__ import annotations

from xdsl.dialects import scf
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.dialects import tf
from tfir.lowering.utils.index_ranges import index_range


def _shape(value: SSAValue) -> tuple[int, ...]:
    assert isinstance(value.type, TensorType)
    return tuple(value.type.get_shape())


def _invariant(value: SSAValue, loop: scf.ForOp) -> bool:
    owner = value.owner
    block = owner.parent_block() if isinstance(owner, Operation) else owner  # a block argument: its block
    while block is not None:
        if block is loop.body.block:
            return False
        parent = block.parent_op()
        block = parent.parent_block() if parent is not None else None
    return True


def _loop_index(value: SSAValue, loop: scf.ForOp) -> bool:
    """The loop variable as a tensor (through its index check, if one is left)."""
    owner = value.owner
    if isinstance(owner, tf.CheckIndexOp):
        owner = owner.input.owner
    return isinstance(owner, tf.FromIndexOp) and owner.input is loop.body.block.args[0]


def _row_take(value: SSAValue, loop: scf.ForOp) -> tf.TakeOp | None:
    """The `tf.take` along axis 0 of a loop-invariant tensor at the loop's index that gives `value`."""
    owner = value.owner
    if isinstance(owner, tf.TakeOp) and owner.axis_value == 0 and _invariant(owner.input, loop) \
            and _loop_index(owner.indices, loop) and _shape(owner.indices) == ():
        return owner
    return None


def _covers(loop: scf.ForOp, rows: int) -> bool:
    found = index_range(loop.body.block.args[0])
    return found is not None and (found[1] - found[0] + 1) * 2 >= rows


def _batched_type(op: Operation, rows: int) -> TensorType:
    result = op.results[0].type
    assert isinstance(result, TensorType)
    return TensorType(result.get_element_type(), [rows, *result.get_shape()])


def batch_one(op: Operation, loop: scf.ForOp) -> bool:
    """Rewrites `op` (in `loop`'s body) into a take of its batched form; True if it did."""
    if not isinstance(op, tf.ElementwiseBinaryOp | tf.ElementwiseUnaryOp | tf.MatmulOp | tf.SelectOp):
        return False
    takes = [_row_take(v, loop) for v in op.operands]
    found = [t for t in takes if t is not None]
    if not found or any(t is None and not _invariant(v, loop) for t, v in zip(takes, op.operands, strict=True)):
        return False
    index = found[0].indices
    rows = _shape(found[0].input)[0]
    if any(t.indices is not index or _shape(t.input)[0] != rows for t in found) or not _covers(loop, rows):
        return False
    rank = len(_shape(op.results[0]))
    if any(len(_shape(t.result)) != rank for t in found) and not isinstance(op, tf.MatmulOp):
        return False  # a taken row broadcast against more dims would not batch along a new axis 0
    if isinstance(op, tf.MatmulOp):
        if takes[1] is not None or takes[0] is None or len(_shape(op.rhs)) != 2:
            return False
    elif any(t is None and len(_shape(v)) > rank for t, v in zip(takes, op.operands, strict=True)):
        return False  # an invariant operand would broadcast along the taken axis
    operands = [t.input if t is not None else v for t, v in zip(takes, op.operands, strict=True)]
    batched = op.clone()
    for i, value in enumerate(operands):
        batched.operands[i] = value
    Rewriter.replace_value_with_new_type(batched.results[0], _batched_type(op, rows))
    take = tf.TakeOp(batched.results[0], index, 0, op.results[0].type)
    batched.location = take.location = op.location
    Rewriter.insert_op([batched, take], InsertPoint.before(op))
    op.results[0].replace_all_uses_with(take.result)
    Rewriter.erase_op(op)
    return True


def batch_rows(loop: scf.ForOp) -> bool:
    """Batches what it can in `loop`'s body (repeatedly: a chain goes as a whole)."""
    changed = False
    progress = True
    while progress:
        progress = False
        for op in list(loop.body.block.ops):
            if op.parent is not None and batch_one(op, loop):
                progress = changed = True
    return changed
