"""`numpy-schedule`: how the NumPy code runs each tile loop, decided and
written into the IR.

Precondition: the `loops` form (docs/ir-levels.md section 4), after
`numpy-row-groups`. Produces the same form.

`tile-linalg` tiles every large op the same way for every target; what pays
in NumPy differs by op. Each `scf.parallel` tile loop of `tile-linalg` is
rewritten to run

- whole (the loop replaced by its op on the whole buffers): a matmul or
  other contraction (BLAS threads itself; its calls never go on our pool),
  an op with fewer than WHOLE_POINTS points, a reduction whose tiles would
  read narrow strided columns (`sum(x*x, axis=0)`: one `np.einsum`; with
  threads and CHUNK_POINTS points or more, one block of columns per worker,
  each one call: 4096 x 4096, 5.4 -> 2.3 ms on 2 cores, the same sums), and
  an op that is one NumPy statement, without threads or with fewer than
  CHUNK_POINTS points (a C kernel: NATIVE_CHUNK_POINTS);
- as one tile per worker, with threads, for a larger op that is one NumPy
  statement (nothing to keep in cache between statements: fewer, larger
  calls);
- as tiled (cache-sized tiles) for a body of several statements, whose
  intermediates then stay in cache.

A contraction's loop is left whole here; `numpy-split-contractions` shares
out the large ones over the workers (their BLAS then on one thread per
worker, the code generator's `_one_blas_thread`). Options: `threads` (the
numpy backend's option of that name), `workers` (0: the CPUs here).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, scf
from xdsl.dialects.builtin import DenseArrayBase, IndexType, IntegerAttr, MemRefType, ModuleOp, i64
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.lowering.utils.control_blocks import structured_blocks
from tfir.lowering.utils.linalg_ops import is_contraction
from tfir.lowering.utils.native_ops import NATIVE
from tfir.lowering.utils.tile_loops import WHOLE_POINTS, rebuild, untiled
from tfir.lowering.utils.tiling import restrict, tileable_dims

# An op that is one NumPy call is split across the workers from this many
# points on (a few MiB); below, the trip to the pool costs about what it saves.
CHUNK_POINTS = 1 << 20

# A C kernel (`tfir.native`) does a fused body's work in one call, several
# NumPy statements' worth per point: split from fewer points (the conformance
# redundancy graph at 10^6 points: 524 -> 409 us, the chain: 982 -> 646 us,
# measured interleaved on a quiet machine).
NATIVE_CHUNK_POINTS = 1 << 18


def schedule(fn: func.FuncOp, threads: bool, workers: int) -> None:
    """Decides, per `scf.parallel` tile loop of `tile-linalg`, how the NumPy
    code runs it, and rewrites the loop accordingly (see the module's doc)."""
    for op in [o for block in structured_blocks(fn) for o in list(block.ops)]:  # loop bodies too
        if not isinstance(op, scf.ParallelOp):
            continue
        whole = untiled(op)
        if whole is None:
            continue
        inner, sources = whole
        full = rebuild(inner, sources)
        points = math.prod(full.get_static_loop_ranges())
        simple = _one_statement(inner)
        if _strided_reduction(inner, full) and threads and workers > 1 and points >= CHUNK_POINTS:
            chunked = _chunked(full, workers, op)  # column blocks, one per worker: each one call
            if chunked is not None:
                full.erase()
                _replace(op, chunked)
                continue
        if is_contraction(inner) or points < WHOLE_POINTS or _strided_reduction(inner, full) \
                or (simple and not threads):
            _replace(op, [full])
            continue
        if simple and points < (NATIVE_CHUNK_POINTS if NATIVE in inner.attributes else CHUNK_POINTS):
            _replace(op, [full])  # one call of less than a few MiB: not worth a trip to the pool
            continue
        chunked = _chunked(full, workers, op) if simple and workers > 1 else None
        full.erase()  # a template only (restrict rebuilt it): drop its uses
        if chunked is not None:
            _replace(op, chunked)


def _replace(loop: scf.ParallelOp, new: list[Operation]) -> None:
    Rewriter.insert_op(new, InsertPoint.before(loop))
    Rewriter.erase_op(loop)


def _one_statement(op: LinalgStructuredOperation) -> bool:
    """An op NumPy runs as one call (a fill, a copy, a body of one op, a C kernel)."""
    if NATIVE in op.attributes:
        return True
    if not isinstance(op, linalg.GenericOp):
        return isinstance(op, linalg.FillOp | linalg.CopyOp | linalg.TransposeOp)
    body = [o for o in op.body.block.ops if not isinstance(o, linalg.YieldOp | arith.ConstantOp)]
    reducing = any(it.data.value != "parallel" for it in op.iterator_types)
    return len(body) <= 1 if not reducing else len(body) <= 1 and body[0] is op.body.block.last_op.operands[0].owner


def _strided_reduction(tile: LinalgStructuredOperation, full: Operation) -> bool:
    """A reduction over a dim outside a tiled one: each tile would read narrow
    strided columns; NumPy reduces the whole op faster in one call."""
    iters = [it.data.value for it in tile.get_iterator_types()]
    red = [d for d, it in enumerate(iters) if it != "parallel"]
    sizes = zip(full.get_static_loop_ranges(), _tile_sizes(tile), strict=True)
    tiled = [d for d, (r, t) in enumerate(sizes) if t < r]
    return bool(red and tiled and min(red) < max(tiled))


def _tile_sizes(op: LinalgStructuredOperation) -> list[int]:
    """The loop-dim sizes of the op inside a tile loop (read off its operands)."""
    sizes: dict[int, int] = {}
    for value, amap in zip(op.operands, op.get_indexing_maps().data, strict=True):
        if isinstance(value.type, MemRefType):
            for size, expr in zip(value.type.get_shape(), amap.data.results, strict=True):
                if isinstance(expr, AffineDimExpr):
                    sizes[expr.position] = size
    return [sizes.get(d, 1) for d in range(op.get_num_loops())]


def _chunked(op: LinalgStructuredOperation, workers: int, like: scf.ParallelOp) -> list[Operation] | None:
    """`op` as one tile per worker along its outermost tileable dim that divides evenly."""
    ranges = list(op.get_static_loop_ranges())
    dims = [d for d in tileable_dims(op) if ranges[d] >= workers and ranges[d] % workers == 0]
    if not dims:
        return None
    d, loc = dims[0], like.location
    step = ranges[d] // workers
    consts = [arith.ConstantOp(IntegerAttr.from_index_int_value(v)) for v in (0, ranges[d], step)]
    body = Block(arg_types=[IndexType()])
    offsets: list[int | SSAValue] = [body.args[0] if k == d else 0 for k in range(len(ranges))]
    sizes = [step if k == d else r for k, r in enumerate(ranges)]
    body.add_ops([*restrict(op, offsets, sizes), scf.ReduceOp()])
    loop = scf.ParallelOp([consts[0]], [consts[1]], [consts[2]], Region(body))
    loop.attributes["tfir.tile"] = DenseArrayBase.from_list(i64, [step])
    for new in (*consts, loop, body.last_op):
        new.location = loc
    return [*consts, loop]


@dataclass(frozen=True)
class NumpySchedulePass(ModulePass):
    """Tile loops -> whole ops, one tile per worker, or kept, as pays in NumPy."""

    name = "numpy-schedule"

    threads: bool = True
    workers: int = 0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        workers = self.workers or os.cpu_count() or 1
        for fn in op.ops:
            if isinstance(fn, func.FuncOp) and not fn.is_declaration:
                schedule(fn, self.threads, workers)
