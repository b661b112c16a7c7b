"""Changing what a `tf`-level `scf.for` carries, and the affine row index of
its iterations: the helpers of the loop passes that add tapes to a loop or
drop accumulators from it (`batch-loop-accumulations`), and that find the
tapes it writes whole (`elide-tape-inits`).

A *tape* is a carried tensor `[n, ...]` that iteration t writes one row of
(a scatter along axis 0 at a row index); a row index is *exact* when the
iterations write every row once: an affine function `c ± iv` of the loop
variable (step 1) whose values are `0 .. n-1`, n the trip count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IndexType, IntegerAttr, TensorType
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.dialects import tf
from tfir.lowering.utils.index_ranges import index_range


def constant_index(value: SSAValue) -> int | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def trip_count(loop: scf.ForOp) -> int | None:
    """The number of iterations of a loop with constant bounds and step 1."""
    lb, ub, step = (constant_index(v) for v in (loop.lb, loop.ub, loop.step))
    if lb is None or ub is None or step != 1:
        return None
    return max(0, ub - lb)


def _slope(value: SSAValue, iv: SSAValue, depth: int = 0) -> int | None:
    """`s` where `value` is `c + s * iv` (constants and `iv` through addi,
    subi and muli by a constant); None for any other form."""
    if value is iv:
        return 1
    if constant_index(value) is not None:
        return 0
    owner = value.owner
    if depth > 8 or not isinstance(owner, arith.AddiOp | arith.SubiOp | arith.MuliOp):
        return None
    a, b = _slope(owner.lhs, iv, depth + 1), _slope(owner.rhs, iv, depth + 1)
    if a is None or b is None:
        return None
    if isinstance(owner, arith.AddiOp):
        return a + b
    if isinstance(owner, arith.SubiOp):
        return a - b
    if a and b:
        return None  # iv * iv
    factor = constant_index(owner.rhs if a else owner.lhs)
    return None if factor is None else (a or b) * factor


def row_index_value(value: SSAValue) -> SSAValue | None:
    """The `index` a `tf.from_index` (through its `tf.check_index`) makes `value` of."""
    owner = value.owner
    if isinstance(owner, tf.CheckIndexOp):
        owner = owner.input.owner
    return owner.input if isinstance(owner, tf.FromIndexOp) else None


def exact_rows(loop: scf.ForOp, index: SSAValue) -> int | None:
    """The row count n when the 0-d `index` tensor takes the values 0 .. n-1,
    one per iteration of `loop` (n its trip count); else None."""
    i = row_index_value(index)
    return None if i is None else exact_index_rows(loop, i)


def exact_index_rows(loop: scf.ForOp, i: SSAValue) -> int | None:
    """The row count n when the `index` value `i` takes the values 0 .. n-1,
    one per iteration of `loop` (n its trip count); else None."""
    n = trip_count(loop)
    if not n or abs(_slope(i, loop.body.block.args[0]) or 0) != 1:
        return None
    return n if index_range(i) == (0, n - 1) else None


def defined_outside(value: SSAValue, loop: Operation) -> bool:
    owner = value.owner
    holder = owner if isinstance(owner, Operation) else owner.parent_op()
    return holder is None or not loop.is_ancestor(holder)


def recarry(loop: scf.ForOp, drop: Sequence[int], inits: Sequence[SSAValue],
            yields: Callable[[list[BlockArgument], InsertPoint], list[SSAValue]]
            ) -> tuple[scf.ForOp, list[SSAValue]]:
    """`loop` rebuilt without the carried values at positions `drop` (their
    block arguments and results must be unused) and with new carried values
    starting at `inits`: `yields(args, at)` builds, at `at` (before the
    yield), the values the body yields for them from their block arguments.
    Returns the new loop and the results of the new carried values."""
    body = loop.body.block
    keep = [j for j in range(len(loop.results)) if j not in drop]
    new_body = Block(arg_types=[IndexType(), *(body.args[1 + j].type for j in keep), *(v.type for v in inits)])
    body.args[0].replace_all_uses_with(new_body.args[0])
    new_body.args[0].name_hint = body.args[0].name_hint
    for j, arg in zip(keep, new_body.args[1:], strict=False):
        arg.name_hint = body.args[1 + j].name_hint
        body.args[1 + j].replace_all_uses_with(arg)
    for op in list(body.ops):
        op.detach()
        new_body.add_op(op)
    old_yield = new_body.last_op
    assert isinstance(old_yield, scf.YieldOp)
    added = yields(list(new_body.args[1 + len(keep):]), InsertPoint.before(old_yield))
    new_yield = scf.YieldOp(*[old_yield.operands[j] for j in keep], *added)
    new_yield.location = old_yield.location
    Rewriter.replace_op(old_yield, new_yield)
    new_loop = scf.ForOp(loop.lb, loop.ub, loop.step, [loop.iter_args[j] for j in keep] + list(inits), new_body)
    new_loop.location = loop.location
    Rewriter.insert_op(new_loop, InsertPoint.before(loop))
    for j, r in zip(keep, new_loop.results, strict=False):
        r.name_hint = loop.results[j].name_hint
        loop.results[j].replace_all_uses_with(r)
    Rewriter.erase_op(loop)
    return new_loop, list(new_loop.results[len(keep):])


def tape_type(value: SSAValue, rows: int) -> TensorType:
    typ = value.type
    assert isinstance(typ, TensorType)
    return TensorType(typ.get_element_type(), [rows, *typ.get_shape()])
