"""How the NumPy code runs the tile loops of the `loops` form: the NumPy
backend's scheduling, a rewrite of the function's IR (still the `loops`
form, docs/ir-levels.md section 4) just before code generation.

`tile-linalg` tiles every large op the same way for every target; what pays
in NumPy differs by op. `schedule` runs a tile loop whole (matmuls: BLAS
threads itself; small ops; reductions that tiles would read in narrow
strided columns), as one tile per worker (an op that is one NumPy call), or
keeps its cache-sized tiles (a fused body of several calls); `elide_fills`
drops the zero fill before a matmul that overwrites its output. Row groups
(numpy_rows.fuse_rows) run before these.

Switch: `codegen={"schedule": False}` (every tile loop as `tile-linalg`
made it, and no row groups).
"""

from __future__ import annotations

import math

from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    DenseArrayBase,
    FloatAttr,
    IndexType,
    IntegerAttr,
    MemRefType,
    i64,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.backends.numpy_fill import filled_with
from tfir.lowering import memref_views as mv
from tfir.lowering.control_blocks import structured_blocks
from tfir.lowering.tile_linalg import restrict, tileable_dims

# -- how each tile loop runs (the backend's scheduling policy) ---------------------------

TRANSPARENT = (memref.AllocOp, memref.ExpandShapeOp, memref.CollapseShapeOp, memref.GetGlobalOp,
               arith.ConstantOp)
"""Ops that move no data: allocations, views, constants."""

# A tiled op with fewer points than this runs as one statement: below it, the
# tiles' Python overhead and a trip to the pool cost more than they give.
WHOLE_POINTS = 1 << 16

# An op that is one NumPy call is split across the workers from this many
# points on (a few MiB); below, the trip to the pool costs about what it saves.
CHUNK_POINTS = 1 << 20


def schedule(fn: func.FuncOp, threads: bool, workers: int) -> None:
    """Decides, per `scf.parallel` tile loop of `tile-linalg`, how the NumPy code
    runs it, and rewrites the loop accordingly (the IR stays in the loops form):

    - whole (the loop replaced by its op on the whole buffers): a matmul or
      other contraction (BLAS threads itself; its calls never go on our pool),
      an op with fewer than WHOLE_POINTS points, a reduction whose tiles would
      read narrow strided columns (`sum(x*x, axis=0)`: one `np.einsum`), and
      an op that is one NumPy statement, without threads or with fewer than
      CHUNK_POINTS points;
    - one tile per worker, with threads, for a larger op that is one NumPy
      statement (nothing to keep in cache between statements: fewer, larger calls);
    - kept as tiled (cache-sized tiles, on the pool when threads are on) for a
      body of several statements, whose intermediates then stay in cache.
    """
    for op in [o for block in structured_blocks(fn) for o in list(block.ops)]:
        if not isinstance(op, scf.ParallelOp):
            continue
        whole = untiled(op)
        if whole is None:
            continue
        inner, sources = whole
        full = rebuild(inner, sources)
        points = math.prod(full.get_static_loop_ranges())
        simple = _one_statement(inner)
        if is_contraction(inner) or points < WHOLE_POINTS or _strided_reduction(inner, full) \
                or (simple and not threads):
            _replace(op, [full])
            continue
        if simple and points < CHUNK_POINTS:
            _replace(op, [full])  # one call of less than a few MiB: not worth a trip to the pool
            continue
        chunked = _chunked(full, workers, op) if simple and workers > 1 else None
        full.erase()  # a template only (restrict rebuilt it): drop its uses
        if chunked is not None:
            _replace(op, chunked)


def calls_blas(fn: func.FuncOp) -> bool:
    """Whether the function has a matmul or batched matmul (run by BLAS,
    which brings its own threads)."""
    return any(isinstance(op, LinalgStructuredOperation) and is_contraction(op) for op in fn.walk())


class _Roots:
    """`numpy_fill.Roots` on the IR alone (for `filled_with` before codegen)."""

    def root(self, value: SSAValue) -> SSAValue:
        while isinstance(value.owner, memref.SubviewOp | memref.ExpandShapeOp | memref.CollapseShapeOp):
            value = value.owner.operands[0]
        return value

    def constant(self, value: SSAValue) -> float | int | None:
        owner = value.owner
        if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr | FloatAttr):
            return owner.value.value.data
        return None


def elide_fills(fn: func.FuncOp) -> None:
    """Drops the zero fill right before a whole matmul (or contraction) into
    the same buffer (`np.matmul(..., out=c)` overwrites it anyway) and marks
    the op `tfir.filled = 0` so that the code generator still knows what
    its output holds."""
    roots = _Roots()
    for op in [o for block in structured_blocks(fn) for o in list(block.ops)]:
        if not _overwrites(op) or not _whole_buffer(op.outputs[0]) or filled_with(roots, op, op.outputs[0]) != 0:
            continue
        prev = op.prev_op
        while isinstance(prev, TRANSPARENT):
            prev = prev.prev_op
        fills = _fills(prev)
        if prev is None or len(fills) != 1 or roots.root(fills[0].outputs[0]) != roots.root(op.outputs[0]):
            continue
        op.attributes["tfir.filled"] = fills[0].inputs[0].owner.value  # type: ignore[union-attr]
        Rewriter.erase_op(prev)


def _whole_buffer(value: SSAValue) -> bool:
    """A whole allocated buffer (or a reshape of one): what writes all of it
    makes any earlier fill of that buffer dead."""
    while isinstance(value.owner, memref.ExpandShapeOp | memref.CollapseShapeOp):
        value = value.owner.src
    return isinstance(value.owner, memref.AllocOp)


def _overwrites(op: Operation) -> bool:
    """A matmul, or a contraction `out + a * b` whose code writes its output
    (`out=`) rather than adding to it, once it knows the output holds zero."""
    if isinstance(op, linalg.MatmulOp):
        return True
    if not isinstance(op, linalg.GenericOp) or len(op.outputs) != 1 or not is_contraction(op):
        return False
    out = op.body.block.args[len(op.inputs)]
    last = op.body.block.last_op
    comb = last.operands[0].owner if last is not None and len(last.operands) == 1 else None
    return isinstance(comb, arith.AddfOp | arith.AddiOp) and len(list(out.uses)) == 1 \
        and list(comb.operands).count(out) == 1


def _fills(op: Operation | None) -> list[linalg.FillOp]:
    """A fill, or the fills of a tile loop that does nothing else."""
    if isinstance(op, linalg.FillOp):
        return [op]
    if not isinstance(op, scf.ParallelOp):
        return []
    body = list(op.body.block.ops)
    if not all(isinstance(o, linalg.FillOp | memref.SubviewOp | scf.ReduceOp) for o in body):
        return []
    return [o for o in body if isinstance(o, linalg.FillOp)]


def _const(value: SSAValue) -> int | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def untiled(loop: scf.ParallelOp) -> tuple[LinalgStructuredOperation, dict[SSAValue, SSAValue]] | None:
    """The one linalg op of a tile loop whose tiles cover its operands whole,
    and the buffer each of its subviews is a tile of; None for any other loop."""
    ivs = list(loop.body.block.args)
    bounds = [tuple(_const(v) for v in b) for b in zip(loop.lowerBound, loop.upperBound, loop.step, strict=True)]
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


def _replace(loop: scf.ParallelOp, new: list[Operation]) -> None:
    Rewriter.insert_op(new, InsertPoint.before(loop))
    Rewriter.erase_op(loop)


def is_contraction(op: LinalgStructuredOperation) -> bool:
    """A matmul, or a generic reduction of a product of factors that vary
    along different dims (a batched matmul, `softmax(s) @ v`): BLAS work.
    `sum(x * x)` over a row is not one: its factors share their dims."""
    if isinstance(op, linalg.MatmulOp):
        return True
    if not isinstance(op, linalg.GenericOp) or all(it.data.value == "parallel" for it in op.iterator_types):
        return False
    last = op.body.block.last_op
    comb = last.operands[0].owner if last is not None and last.operands else None
    if not isinstance(comb, arith.AddfOp | arith.AddiOp):
        return False
    maps = [m.data for m in op.get_indexing_maps().data]
    for factor in comb.operands:
        mul = factor.owner
        if isinstance(mul, arith.MulfOp | arith.MuliOp):
            a, b = (_value_dims(v, op, maps) for v in mul.operands)
            if a != b:
                return True
    return False


def _value_dims(value: SSAValue, op: linalg.GenericOp, maps: list) -> frozenset[int]:
    """The loop dims a value of the body varies along."""
    args = list(op.body.block.args)
    if value in args:
        k = args.index(value)
        return frozenset(d for e in maps[k].results for d in e.used_dims())
    owner = value.owner
    if isinstance(owner, linalg.IndexOp):
        return frozenset({owner.dim.value.data})
    if isinstance(owner, Operation) and owner.parent_block() is op.body.block:
        return frozenset().union(*(_value_dims(v, op, maps) for v in owner.operands))
    return frozenset()


def _one_statement(op: LinalgStructuredOperation) -> bool:
    """An op NumPy runs as one call (a fill, a copy, a body of one op)."""
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
