"""Tile loops of the `loops` form read back as the op they tile, shared by
the NumPy passes (`numpy-row-groups`, `numpy-schedule`,
`numpy-elide-fills`).

`untiled` recognizes a `tile-linalg` loop whose tiles cover the operands of
its one linalg op whole, `rebuild` makes that op on the whole buffers.
"""

from __future__ import annotations

from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import DYNAMIC_INDEX, IntegerAttr
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Operation, SSAValue

from tfir.lowering.utils import memref_views as mv
from tfir.lowering.utils.memref_views import RESHAPE_OPS

TRANSPARENT = (memref.AllocOp, *RESHAPE_OPS, memref.GetGlobalOp, arith.ConstantOp)
"""Ops that move no data: allocations, reshapes, constants."""

THREADS = "tfir.threads"
"""The unit attribute of an `scf.parallel` whose tiles the NumPy code runs on
its thread pool (`numpy-threads`)."""

ONE_BLAS_THREAD = "tfir.one_blas_thread"
"""The unit attribute of a function whose NumPy code runs with the BLAS on one
thread, the thread pool sharing out its contractions (`numpy-threads`)."""

KEEP_BLAS_THREADS = "tfir.keep_blas_threads"
"""The unit attribute of a function whose NumPy code leaves the BLAS its
threads: its contraction tiles run in turn, each call threaded by the BLAS,
or on the pool where the BLAS has one thread anyway (`numpy-threads`)."""

GATHER_VIEW = "tfir.view"
"""The unit attribute of a `linalgx.gather` whose NumPy code binds the
destination to a view of the source's row (`numpy-gather-views`)."""


# A tiled op with fewer points than this runs as one statement in NumPy:
# below it, the tiles' Python overhead and a trip to the pool cost more than
# they give.
WHOLE_POINTS = 1 << 16


def is_tile_loop(op: Operation) -> bool:
    """A loop `tile-linalg` (or the NumPy scheduling) made, not a loop of the
    program: those run as written, on the host for the device target."""
    return isinstance(op, scf.ParallelOp) or (isinstance(op, scf.ForOp) and "tfir.tile" in op.attributes)


def const_index(value: SSAValue) -> int | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def untiled(loop: scf.ParallelOp) -> tuple[LinalgStructuredOperation, dict[SSAValue, SSAValue]] | None:
    """The one linalg op of a tile loop whose tiles cover its operands whole,
    and the buffer each of its subviews is a tile of; None for any other loop."""
    ivs = list(loop.body.block.args)
    bounds = [tuple(const_index(v) for v in b) for b in zip(loop.lowerBound, loop.upperBound, loop.step, strict=True)]
    body = [o for o in loop.body.block.ops if not isinstance(o, scf.ReduceOp)]
    ops = [o for o in body if not isinstance(o, memref.SubviewOp)]
    if len(ops) != 1 or not isinstance(ops[0], LinalgStructuredOperation) or any(None in b for b in bounds):
        return None
    sources: dict[SSAValue, SSAValue] = {}
    for view in body:
        if not isinstance(view, memref.SubviewOp) or not _covers(view, ivs, bounds):
            if view is not ops[0]:
                return None
            continue
        sources[view.result] = view.source
    if any(v.owner in body and v not in sources for v in ops[0].operands):
        return None
    return ops[0], sources


def _covers(view: memref.SubviewOp, ivs: list[SSAValue], bounds: list[tuple]) -> bool:
    """A subview that takes, over the loop, every element of its source once."""
    if isinstance(view.source.owner, Operation) and view.source.owner.parent_op() is view.parent_op():
        return False
    shape = view.source.type.get_shape()
    offsets = iter(view.offsets)
    for off, size, stride, full in zip(view.static_offsets.get_values(), view.static_sizes.get_values(),
                                       view.static_strides.get_values(), shape, strict=True):
        if stride != 1:
            return False
        if off == DYNAMIC_INDEX:
            iv = next(offsets)
            if iv not in ivs:
                return False
            lb, ub, step = bounds[ivs.index(iv)]
            if (lb, ub, step) != (0, full, size):
                return False
        elif (off, size) != (0, full):
            return False
    return len(view.result.type.get_shape()) == len(shape)


def rebuild(op: LinalgStructuredOperation, sources: dict[SSAValue, SSAValue]) -> LinalgStructuredOperation:
    n_in = len(op.inputs)
    operands = [sources.get(v, v) for v in op.operands]
    new = mv.rebuild_linalg(op, operands[:n_in], operands[n_in:])
    assert isinstance(new, LinalgStructuredOperation)
    return new
