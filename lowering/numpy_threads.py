"""`numpy-threads`: the tile loops whose tiles run on the thread pool, marked.

Precondition: the `loops` form (docs/ir-levels.md section 4), after
`numpy-schedule`. Produces the same form, each `scf.parallel` that the NumPy
code runs on its thread pool marked `tfir.threads` (the code generator runs
the others as plain loops).

A loop is marked when it has two tiles or more and enough work in all (the
points of the iteration spaces of its linalg ops, all tiles: at least
`MIN_PARALLEL_POINTS`) to pay for the trips to the pool; a loop inside a
marked one never is (its tiles already run on a worker). Nothing is marked
when the option `threads` (the numpy backend's option of that name) is off,
nor in a function with a contraction: OpenBLAS's own threads spin for a
while after each call and ours would fight them for the cores (mlp and
attention measured faster this way).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, scf
from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType, ModuleOp, UnitAttr
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block
from xdsl.ir.affine import AffineDimExpr
from xdsl.passes import ModulePass

from tfir.lowering.utils.linalg_ops import has_contraction
from tfir.lowering.utils.tile_loops import THREADS, const_index

MIN_PARALLEL_POINTS = 1 << 16
"""Less work than this in a whole tile loop (points of the iteration spaces
of its linalg ops, all tiles) and the trips to the pool cost more than they give."""


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
            if isinstance(fn, func.FuncOp) and not fn.is_declaration and not has_contraction(fn):
                mark_threads(fn.body.block)

