"""`numpy-split-contractions`: a large matmul shared out over the workers.

Precondition: the `loops` form (docs/ir-levels.md section 4) after
`numpy-elide-fills`, which leaves contractions whole (outside tile loops,
but for those in a row group's tiles) and marks the ones that overwrite
their output `tfir.filled`.

A contraction (a `linalg.matmul`, or a generic `out + a * b`) outside any
tile loop with at least `MIN_SPLIT_MACS` multiply-adds becomes a tile loop
of one tile per worker along one of its parallel dims: a batch dim when it
has one (every operand varies along it: attention's heads), else the dim
along which the larger input varies, so that each worker reads (and BLAS
packs) only its share of that input (an MLP's `x @ w1`: columns of `w1`;
a convolution's `w @ columns`: the columns). `numpy-threads` then marks the
loop for the pool, and the NumPy code runs it with the BLAS on one thread
per worker (backends/numpy/blas_threads.py) instead of the BLAS's own
threads, which on a machine other work keeps busy wait for each other
(docs/performance.md). Each tile keeps the op's `tfir.filled` mark.
Options: `threads` (the numpy backend's option; off, nothing changes),
`workers` (0: the CPUs here).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, scf
from xdsl.dialects.builtin import DenseArrayBase, IndexType, IntegerAttr, MemRefType, ModuleOp, i64
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.lowering.utils import memref_views as mv
from tfir.lowering.utils.control_blocks import structured_blocks
from tfir.lowering.utils.linalg_ops import is_contraction
from tfir.lowering.utils.tiling import restrict

MIN_SPLIT_MACS = 1 << 24
"""Fewer multiply-adds than this (about a millisecond of BLAS on one core)
and the trip to the pool costs about what the second worker saves."""


def split_contractions(fn: func.FuncOp, workers: int) -> int:
    """Shares out every large contraction not in a tile loop; returns how many."""
    split = 0
    for block in structured_blocks(fn):
        for op in list(block.ops):
            if not isinstance(op, LinalgStructuredOperation) or not is_contraction(op):
                continue
            ranges = list(op.get_static_loop_ranges())
            if math.prod(ranges) < MIN_SPLIT_MACS:
                continue
            d = split_dim(op, workers)
            if d is not None:
                Rewriter.insert_op(_tiles(op, d, ranges[d] // workers), InsertPoint.before(op))
                Rewriter.erase_op(op)
                split += 1
    return split


def _plain_dims(op: LinalgStructuredOperation) -> list[int]:
    """The parallel dims every map uses at most once, as a plain result `dI`."""
    maps = [m.data for m in op.get_indexing_maps().data]
    iterators = [it.data.value for it in op.get_iterator_types().data]
    out = []
    for d, it in enumerate(iterators):
        uses = [e for m in maps for e in m.results if d in e.used_dims()]
        if it == "parallel" and all(e == AffineDimExpr(d) for e in uses) \
                and all(sum(e == AffineDimExpr(d) for e in m.results) <= 1 for m in maps):
            out.append(d)
    return out


def split_dim(op: LinalgStructuredOperation, workers: int) -> int | None:
    """The dim to share out `op` along (see the module's doc), if one divides
    evenly among the workers."""
    ranges = list(op.get_static_loop_ranges())
    maps = [m.data for m in op.get_indexing_maps().data]
    n_in = len(op.inputs)

    def input_bytes(d: int) -> int:
        return sum(mv.byte_size(v.type) for v, m in zip(op.operands[:n_in], maps[:n_in], strict=True)
                   if isinstance(v.type, MemRefType) and d in m.used_dims())

    def batch(d: int) -> bool:
        return all(d in m.used_dims() for m in maps)

    dims = [d for d in _plain_dims(op) if ranges[d] >= workers and ranges[d] % workers == 0]
    if not dims:
        return None
    return max(dims, key=lambda d: (batch(d), input_bytes(d), -d))


def _tiles(op: LinalgStructuredOperation, d: int, step: int) -> list[Operation]:
    """`op` as a tile loop over dim `d` in tiles of `step`."""
    ranges = list(op.get_static_loop_ranges())
    consts = [arith.ConstantOp(IntegerAttr.from_index_int_value(v)) for v in (0, ranges[d], step)]
    body = Block(arg_types=[IndexType()])
    offsets: list[int | SSAValue] = [body.args[0] if k == d else 0 for k in range(len(ranges))]
    sizes = [step if k == d else r for k, r in enumerate(ranges)]
    body.add_ops([*restrict(op, offsets, sizes), scf.ReduceOp()])
    loop = scf.ParallelOp([consts[0]], [consts[1]], [consts[2]], Region(body))
    loop.attributes["tfir.tile"] = DenseArrayBase.from_list(i64, [step])
    for new in (*consts, loop, body.last_op):
        new.location = op.location
    return [*consts, loop]


@dataclass(frozen=True)
class NumpySplitContractionsPass(ModulePass):
    """Large contractions -> one tile per worker, for the pool."""

    name = "numpy-split-contractions"

    threads: bool = True
    workers: int = 0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        workers = self.workers or os.cpu_count() or 1
        if not self.threads or workers < 2:
            return
        for fn in op.ops:
            if isinstance(fn, func.FuncOp) and not fn.is_declaration:
                split_contractions(fn, workers)
