"""`numpy-threads`: the tile loops whose tiles run on the thread pool, marked.

Precondition: the `loops` form (docs/ir-levels.md section 4), after
`numpy-schedule`. Produces the same form, each `scf.parallel` that the NumPy
code runs on its thread pool marked `tfir.threads` (the code generator runs
the others as plain loops).

A loop is marked when it has two tiles or more and enough work in all (the
points of the iteration spaces of its linalg ops, all tiles: at least
`MIN_PARALLEL_POINTS`) to pay for the trips to the pool; a loop inside a
marked one never is (its tiles already run on a worker). Nothing is marked
when the option `threads` (the numpy backend's option of that name) is off.

A function with a contraction is marked `tfir.one_blas_thread`: its NumPy
code runs with the BLAS on one thread (backends/numpy/blas_threads.py), so
that the BLAS's threads and the pool's never share the cores, and a loop of
tiles that call the BLAS runs on the pool only where the BLAS's thread count
can be set (otherwise in turn, each call threaded by the BLAS as before).

A function whose time goes into a program loop (`scf.for`, `scf.while`) of
contractions in the calling thread (`MIN_WIDE_BLAS_POINTS` each), and whose
tile loops on the pool would only share out contractions, keeps the BLAS's
threads instead (marked `tfir.keep_blas_threads`). An RNN's step `h @ u`
(64 x 256 by 256 x 256) is too small to pay for trips to the pool every
step, but OpenBLAS's own threads split it for less: 64 -> 45 us a step on
the 2-core machine of docs/performance.md. Its contraction tiles then run in
turn, each call threaded by the BLAS, as hand-written NumPy runs: mixing the
two costs more than either (OpenBLAS's idle threads spin for about 0.1 s
after a threaded call, and pool tiles in that time ran 4 -> 9 ms, the RNN's
input projection; setting the thread count around the loop alone re-creates
those threads). They go to the pool where the BLAS has one thread anyway
(OPENBLAS_NUM_THREADS=1). On an oversubscribed machine (the load average, as
GNU libgomp's OMP_DYNAMIC reads it) the code holds the BLAS to one thread
after all: spinning BLAS threads on busy cores made the RNN 1.5x - 2x slower
(backends/numpy/blas_threads.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref, scf
from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType, ModuleOp, UnitAttr
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block
from xdsl.ir.affine import AffineDimExpr
from xdsl.passes import ModulePass

from tfir.lowering.utils.linalg_ops import has_contraction, is_contraction
from tfir.lowering.utils.tile_loops import (
    KEEP_BLAS_THREADS,
    ONE_BLAS_THREAD,
    THREADS,
    TRANSPARENT,
    const_index,
)

MIN_PARALLEL_POINTS = 1 << 16
"""Less work than this in a whole tile loop (points of the iteration spaces
of its linalg ops, all tiles) and the trips to the pool cost more than they give."""

MIN_WIDE_BLAS_POINTS = 1 << 20
"""A contraction with fewer points runs on one BLAS thread anyway (OpenBLAS
splits no smaller product), so a loop of only such gains nothing."""

_PROGRAM_LOOPS = (scf.ForOp, scf.WhileOp)


def mark_threads(block: Block) -> None:
    """Marks the loops of `block` (and of the plain loops in it) worth the pool."""
    for op in block.ops:
        if isinstance(op, scf.ParallelOp) and worth_threads(op):
            op.attributes[THREADS] = UnitAttr()
        elif isinstance(op, scf.ParallelOp | scf.ForOp):
            mark_threads(op.body.block)
        elif isinstance(op, scf.WhileOp | scf.IfOp):  # the program's loops and branches
            for region in op.regions:
                for inner in region.blocks:
                    mark_threads(inner)


def keeps_blas_threads(fn: func.FuncOp) -> bool:
    """A loop of big contractions in the calling thread, and nothing but
    contractions on the pool (see the module's doc)."""
    pooled = [op for op in fn.walk() if isinstance(op, scf.ParallelOp) and THREADS in op.attributes]
    if any(not _only_contractions(op) for op in pooled):
        return False
    return any(isinstance(op, _PROGRAM_LOOPS) and _big_contraction_in(op) for op in fn.walk())


def _only_contractions(loop: scf.ParallelOp) -> bool:
    return all(is_contraction(op) or isinstance(op, (*TRANSPARENT, memref.SubviewOp, scf.ReduceOp))
               for op in loop.body.block.ops)


def _big_contraction_in(loop: scf.ForOp | scf.WhileOp) -> bool:
    for op in loop.walk():
        if isinstance(op, LinalgStructuredOperation) and is_contraction(op) and not _pooled(op):
            points = static_points(op)
            if points is None or points >= MIN_WIDE_BLAS_POINTS:
                return True
    return False


def _pooled(op: LinalgStructuredOperation) -> bool:
    parent = op.parent_op()
    while parent is not None and not (isinstance(parent, scf.ParallelOp) and THREADS in parent.attributes):
        parent = parent.parent_op()
    return parent is not None


def worth_threads(op: scf.ParallelOp) -> bool:
    """Two tiles or more, with enough work in all to pay for the trips to the pool."""
    bounds = [[const_index(v) for v in (lb, ub, st)]
              for lb, ub, st in zip(op.lowerBound, op.upperBound, op.step, strict=True)]
    trips = math.prod(len(range(*b)) for b in bounds) if all(None not in b for b in bounds) else None
    if trips is not None and trips < 2:
        return False
    work = 0
    for inner in op.walk():
        if isinstance(inner, LinalgStructuredOperation):
            points = static_points(inner)
            if points is None or trips is None:
                return True
            work += points * trips
    return work >= MIN_PARALLEL_POINTS


def static_points(op: LinalgStructuredOperation) -> int | None:
    """The number of points of a linalg op's iteration space, when its shapes say."""
    sizes: dict[int, int] = {}
    for value, amap in zip(op.operands, op.get_indexing_maps(), strict=True):
        if not isinstance(value.type, MemRefType):
            continue
        for size, expr in zip(value.type.get_shape(), amap.data.results, strict=True):
            if isinstance(expr, AffineDimExpr) and size != DYNAMIC_INDEX:
                sizes[expr.position] = size
    n = op.get_indexing_maps().data[0].data.num_dims
    return math.prod(sizes.values()) if len(sizes) == n else None


@dataclass(frozen=True)
class NumpyThreadsPass(ModulePass):
    """Tile loops worth the thread pool -> marked `tfir.threads`."""

    name = "numpy-threads"

    threads: bool = True

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not self.threads:
            return
        for fn in op.ops:
            if isinstance(fn, func.FuncOp) and not fn.is_declaration:
                mark_threads(fn.body.block)
                if not has_contraction(fn):
                    continue
                if keeps_blas_threads(fn):
                    fn.attributes[KEEP_BLAS_THREADS] = UnitAttr()
                else:
                    fn.attributes[ONE_BLAS_THREAD] = UnitAttr()

