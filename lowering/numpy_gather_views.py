"""`numpy-gather-views`: a gather of one row that nothing can change, read in place.

Precondition: the `loops` form (docs/ir-levels.md section 4), after
`numpy-schedule`. Produces the same form, some `linalgx.gather` ops marked
`tfir.view`: the NumPy code then binds the destination's name to a view of
the source's row (`dest = src[int(i) % n, ...]`) instead of copying the row
into the destination buffer (`np.take(..., out=dest)`).

An RNN's `xs[t]` inside `for t in range(T)` is such a gather: a 64 x 256
row copied every step (2.4 us of 70 us on the machine of
docs/performance.md). A gather is marked when reading the row in place
cannot be told apart from the copy:

- one index (a rank-0 indices buffer), not `along`; the source laid out
  row-major (identity layout) and every source axis before the gather axis
  of size 1, so the row is contiguous, as the C kernels that read the
  destination by its address expect;
- the destination an allocation that no other op writes once the
  top-level op holding the gather starts (such a write would go through the
  view into the source; writes before it, by ops the buffer was planned to
  serve too, are fine), not returned or carried by a loop (the caller would
  get a view of another buffer), and whose views are taken after the gather
  in its block (one taken before would show the old buffer); reads
  elsewhere see what a copy would have held, the source being unchanged;
- not inside a tile loop (a tile's code is a function of its own);
- the source written by no op that runs after the gather starts: every
  writer of its buffer lies in the function's block before the top-level
  op holding the gather (a loop runs its body again: a writer inside it
  would change the row the view shows).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref, scf
from xdsl.dialects.builtin import MemRefType, ModuleOp, UnitAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from tfir.dialects import linalgx
from tfir.lowering.utils.memref_views import VIEW_OPS, is_identity, root_of, writes
from tfir.lowering.utils.tile_loops import GATHER_VIEW

_CONTROL = (func.FuncOp, scf.ForOp, scf.WhileOp, scf.IfOp, scf.ParallelOp)  # their ops are looked at one by one


def mark_gather_views(fn: func.FuncOp) -> int:
    """Marks the gathers of `fn` that can read their row in place; how many."""
    marked = 0
    for op in fn.walk():
        if isinstance(op, linalgx.GatherOp) and GATHER_VIEW not in op.attributes and can_view(fn, op):
            op.attributes[GATHER_VIEW] = UnitAttr()
            marked += 1
    return marked


def can_view(fn: func.FuncOp, op: linalgx.GatherOp) -> bool:
    src, idx, dest = op.source.type, op.indices.type, op.dest.type
    if op.is_along or not all(isinstance(t, MemRefType) for t in (src, idx, dest)):
        return False
    assert isinstance(src, MemRefType) and isinstance(idx, MemRefType) and isinstance(dest, MemRefType)
    axis = op.axis_value
    if idx.get_shape() or any(d != 1 for d in src.get_shape()[:axis]) or 0 in src.get_shape():
        return False
    if not is_identity(src) or not is_identity(dest):
        return False
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, scf.ParallelOp):
        parent = parent.parent_op()
    if parent is not None:
        return False  # a tile's code is a function of its own: the name would be its local
    return _own_buffer(fn, op) and not _written_from(fn, root_of(op.source), _top(fn, op), op)


def _own_buffer(fn: func.FuncOp, op: linalgx.GatherOp) -> bool:
    """The destination is an allocation that no other op writes once the
    top-level op holding the gather starts (it would write the source
    through the view), whose views are taken after the gather, and that is
    not handed out (returned, yielded)."""
    dest = op.dest
    if not isinstance(dest.owner, memref.AllocOp) or _handed_out(dest):
        return False
    if any(isinstance(use.operation, VIEW_OPS) and not _after(op, use.operation) for use in dest.uses):
        return False  # a view taken before would show the old buffer
    return not _written_from(fn, dest, _top(fn, op), op)


def _handed_out(value: SSAValue) -> bool:
    """Whether `value`, or a view of it, is returned or yielded."""
    for use in value.uses:
        user = use.operation
        if isinstance(user, func.ReturnOp | scf.YieldOp | scf.ConditionOp):
            return True
        if isinstance(user, VIEW_OPS) and _handed_out(user.results[0]):
            return True
    return False


def _after(op: Operation, user: Operation) -> bool:
    """Whether `user` (or the op of `op`'s block holding it) comes after `op`."""
    block = op.parent_block()
    holder: Operation | None = user
    while holder is not None and holder.parent_block() is not block:
        holder = holder.parent_op()
    return holder is not None and holder is not op and block is not None and op.is_before_in_block(holder)


def _written_from(fn: func.FuncOp, root: SSAValue, top: Operation, besides: Operation) -> bool:
    """Whether an op other than `besides` writes buffer `root` once the
    top-level op `top` starts (in it, or after it)."""
    return any(other is not besides and not _top(fn, other).is_before_in_block(top)
               for other in fn.walk() if not isinstance(other, _CONTROL) and writes(other, root))


def _top(fn: func.FuncOp, op: Operation) -> Operation:
    """The op of `fn`'s body that holds `op` (or is it)."""
    while (parent := op.parent_op()) is not None and parent is not fn:
        op = parent
    return op


@dataclass(frozen=True)
class NumpyGatherViewsPass(ModulePass):
    """Gathers of one fixed row -> marked `tfir.view` (read in place)."""

    name = "numpy-gather-views"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for fn in op.ops:
            if isinstance(fn, func.FuncOp) and not fn.is_declaration:
                mark_gather_views(fn)
