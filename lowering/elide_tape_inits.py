"""`elide-tape-inits`: the initial value of a tape that a loop writes every
row of becomes `tensor.empty`.

Precondition: the `linalg` form (docs/ir-levels.md, level 2), loops as
`scf.for` with tensor-typed carried values.

Produces the same form. A carried tensor `[n, ...]` of a `for` loop
(constant bounds, step 1, n iterations) whose block argument the body uses
only as the destination of one `linalgx.scatter` along axis 0 (no
accumulation) at a 0-d row index `c ± iv` that takes the values 0 .. n-1
(`tensor.from_elements` of the `arith.index_cast` of it), the scatter's
result being only what the body yields for it, has every element
overwritten before anything reads it: its initial value is never observed. It becomes a
`tensor.empty`, which `bufferize` makes a plain allocation: no zero fill, no
copy of a shared zero constant per tape. Such tapes are what `differentiate`
saves a loop's values on, what `batch-loop-accumulations` stacks per-iteration
values on, and what `.tf` code writes with `let hs = scatter(hs, t, h)` in a
`for t in range(T)` loop over a `zeros([T, ...])`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, builtin, scf, tensor
from xdsl.dialects.builtin import TensorType
from xdsl.dialects.linalg.ops import FillOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.dialects import linalgx
from tfir.lowering.utils.loop_carries import exact_index_rows


def _row_index(value: SSAValue) -> SSAValue | None:
    """The `index` value a 0-d `tensor.from_elements(index_cast(i))` holds."""
    owner = value.owner
    if not isinstance(owner, tensor.FromElementsOp) or len(owner.operands) != 1:
        return None
    cast = owner.operands[0].owner
    return cast.input if isinstance(cast, arith.IndexCastOp) else None


def written_whole(loop: scf.ForOp, j: int) -> bool:
    """Whether the loop writes every element of carried value `j` before reading any."""
    arg = loop.body.block.args[1 + j]
    typ = arg.type
    if not isinstance(typ, TensorType) or not typ.get_shape() or not arg.has_one_use():
        return False
    scatter = arg.get_user_of_unique_use()
    yielded = loop.body.block.last_op
    if not isinstance(scatter, linalgx.ScatterOp) or scatter.dest is not arg or scatter.axis_value != 0 \
            or scatter.accumulates or yielded.operands[j] is not scatter.results[0] \
            or not scatter.results[0].has_one_use():  # read in the body: unwritten rows would show
        return False
    i = _row_index(scatter.indices)
    rows = typ.get_shape()[0]
    return i is not None and exact_index_rows(loop, i) == rows


@dataclass(frozen=True)
class ElideTapeInitsPass(ModulePass):
    """Initial values of tapes a loop writes every row of -> `tensor.empty`."""

    name = "elide-tape-inits"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        for loop in [o for o in op.walk() if isinstance(o, scf.ForOp)]:
            for j, init in enumerate(loop.iter_args):
                if isinstance(init.owner, tensor.EmptyOp) or not written_whole(loop, j):
                    continue
                empty = tensor.EmptyOp([], init.type)
                empty.location = loop.location
                Rewriter.insert_op(empty, InsertPoint.before(loop))
                loop.operands[3 + j] = empty.tensor
                _erase_if_dead(init)


def _erase_if_dead(value: SSAValue) -> None:
    """Erases the constant or fill (of an empty tensor) that made `value`, once unused."""
    op = value.owner
    if value.uses or not isinstance(op, arith.ConstantOp | FillOp | tensor.EmptyOp):
        return
    outs = list(op.outputs) if isinstance(op, FillOp) else []
    Rewriter.erase_op(op)
    for out in outs:
        _erase_if_dead(out)
