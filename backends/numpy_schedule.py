"""How the NumPy code runs the tile loops of the `loops` form: the NumPy
backend's scheduling, a rewrite of the function's IR (still the `loops`
form, docs/ir-levels.md section 4) just before code generation.

`tile-linalg` tiles every large op the same way for every target; what pays
in NumPy differs by op. `schedule` runs a tile loop whole (matmuls: BLAS
threads itself; small ops; reductions that tiles would read in narrow
strided columns), as one tile per worker (an op that is one NumPy call), or
keeps its cache-sized tiles (a fused body of several calls). `fuse_rows`
runs consecutive row-local ops (softmax, layernorm) as one loop over blocks
of rows, with the buffers only they use shrunk to one block.

Each is switchable for measurement: `codegen={"schedule": False}` (tile
loops as tiled, and no row groups), `codegen={"row_groups": False}`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    DenseArrayBase,
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

from tfir.lowering import memref_views as mv
from tfir.lowering.tile_linalg import restrict, tileable_dims

# -- how each tile loop runs (the backend's scheduling policy) ---------------------------

# A tiled op with fewer points than this runs as one statement: below it, the
# tiles' Python overhead and a trip to the pool cost more than they give.
WHOLE_POINTS = 1 << 16


def schedule(fn: func.FuncOp, threads: bool, workers: int) -> None:
    """Decides, per `scf.parallel` tile loop of `tile-linalg`, how the NumPy code
    runs it, and rewrites the loop accordingly (the IR stays in the loops form):

    - whole (the loop replaced by its op on the whole buffers): a matmul or
      other contraction (BLAS threads itself; its calls never go on our pool),
      an op with fewer than WHOLE_POINTS points, a reduction whose tiles would
      read narrow strided columns (`sum(x*x, axis=0)`: one `np.einsum`), and,
      without threads, an op that is one NumPy statement anyway;
    - one tile per worker, with threads, for an op that is one NumPy statement
      (nothing to keep in cache between statements: fewer, larger calls);
    - kept as tiled (cache-sized tiles, on the pool when threads are on) for a
      body of several statements, whose intermediates then stay in cache.
    """
    for op in list(fn.body.block.ops):
        if not isinstance(op, scf.ParallelOp):
            continue
        whole = _untiled(op)
        if whole is None:
            continue
        inner, sources = whole
        full = _rebuild(inner, sources)
        points = math.prod(full.get_static_loop_ranges())
        simple = _one_statement(inner)
        if _contraction(inner) or points < WHOLE_POINTS or _strided_reduction(inner, full) \
                or (simple and not threads):
            _replace(op, [full])
            continue
        chunked = _chunked(full, workers, op) if simple and workers > 1 else None
        full.erase()  # a template only (restrict rebuilt it): drop its uses
        if chunked is not None:
            _replace(op, chunked)


def _const(value: SSAValue) -> int | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def _untiled(loop: scf.ParallelOp) -> tuple[LinalgStructuredOperation, dict[SSAValue, SSAValue]] | None:
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


def _rebuild(op: LinalgStructuredOperation, sources: dict[SSAValue, SSAValue]) -> LinalgStructuredOperation:
    n_in = len(op.inputs)
    operands = [sources.get(v, v) for v in op.operands]
    new = mv.rebuild_linalg(op, operands[:n_in], operands[n_in:])
    assert isinstance(new, LinalgStructuredOperation)
    return new


def _replace(loop: scf.ParallelOp, new: list[Operation]) -> None:
    Rewriter.insert_op(new, InsertPoint.before(loop))
    Rewriter.erase_op(loop)


def _contraction(op: LinalgStructuredOperation) -> bool:
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


# -- row groups: consecutive row-local ops, run tile of rows by tile of rows ---------------

ROW_TILE_BYTES = 1 << 22
"""The bytes of the rows of its buffers one tile of a row group touches: 4 MiB
(more than a core's L2, but the Python overhead per tile statement weighs
more than cache misses at 1 MiB on layernorm; measured)."""

_TRANSPARENT = (memref.AllocOp, memref.ExpandShapeOp, memref.CollapseShapeOp, memref.GetGlobalOp,
                arith.ConstantOp)


@dataclass
class _RowGroup:
    """Ops (each whole, with its top-level op: itself or its tile loop) that
    all read and write their buffers row by row, over the same rows."""

    rows: int
    members: list[tuple[Operation, LinalgStructuredOperation, int]] = field(default_factory=list)
    written: set[SSAValue] = field(default_factory=set)
    broadcast: set[SSAValue] = field(default_factory=set)


def fuse_rows(fn: func.FuncOp, workers: int) -> None:
    """Runs each run of consecutive row-local ops (softmax: max, exp, sum,
    divide) as one tile loop over blocks of rows, every op of the run in
    turn on the block, so that what one op writes is still in cache when the
    next reads it. An op is row-local when it is tileable along a dim that
    indexes the first axis of each buffer it reads or writes, all of the
    same size (the rows), or leaves that buffer whole (a broadcast read of a
    buffer that no op of the run writes)."""
    group: _RowGroup | None = None
    detached: list[Operation] = []
    for op in list(fn.body.block.ops):
        if isinstance(op, _TRANSPARENT):
            continue  # allocations and views move nothing: the run goes on past them
        whole = _whole_op(op)
        if whole is not None and whole is not op:
            detached.append(whole)
        row = _row_dim(whole) if whole is not None and not _contraction(whole) else None
        if group is not None and (row is None or not _joins(group, whole, row)):
            _emit_group(group, workers, detached)
            group = None
        if row is not None and whole is not None:
            if group is None:
                group = _RowGroup(whole.get_static_loop_ranges()[row])
            _add(group, op, whole, row)
    if group is not None:
        _emit_group(group, workers, detached)
    for op in detached:
        op.erase()  # the untiled forms were only templates: drop their uses


def _whole_op(op: Operation) -> LinalgStructuredOperation | None:
    if isinstance(op, LinalgStructuredOperation):
        return op
    if isinstance(op, scf.ParallelOp):
        found = _untiled(op)
        return _rebuild(*found) if found is not None else None
    return None


def _view_root(value: SSAValue) -> SSAValue | None:
    """The buffer under reshapes; None for any other view (a slice shifts rows)."""
    while isinstance(value.owner, memref.ExpandShapeOp | memref.CollapseShapeOp):
        value = value.owner.src
    if isinstance(value.owner, memref.AllocOp | memref.GetGlobalOp) or not isinstance(value.owner, Operation):
        return value
    return None


def _row_dim(op: LinalgStructuredOperation) -> int | None:
    """The loop dim that indexes the rows of every buffer `op` reads along it
    and of every buffer it writes, if there is one."""
    maps = [m.data for m in op.get_indexing_maps().data]
    out_map = maps[len(op.inputs)]
    if not out_map.results or not isinstance(out_map.results[0], AffineDimExpr):
        return None
    d = out_map.results[0].position
    if d not in tileable_dims(op):
        return None
    rows = op.get_static_loop_ranges()[d]
    for k, (value, amap) in enumerate(zip(op.operands, maps, strict=True)):
        if not isinstance(value.type, MemRefType):
            continue
        uses = [r for r, e in enumerate(amap.results) if d in e.used_dims()]
        if not uses:
            if k >= len(op.inputs):
                return None
            continue
        if uses != [0] or amap.results[0] != AffineDimExpr(d) or value.type.get_shape()[0] != rows \
                or _view_root(value) is None:
            return None
    return d


def _roots(op: LinalgStructuredOperation, row: int) -> tuple[set[SSAValue], set[SSAValue], set[SSAValue]]:
    """The buffers `op` writes, reads along the rows, reads whole."""
    written, rowwise, whole = set(), set(), set()
    maps = [m.data for m in op.get_indexing_maps().data]
    for k, (value, amap) in enumerate(zip(op.operands, maps, strict=True)):
        root = _view_root(value) if isinstance(value.type, MemRefType) else None
        if root is None:
            continue
        if k >= len(op.inputs):
            written.add(root)
        (rowwise if any(row in e.used_dims() for e in amap.results) else whole).add(root)
    return written, rowwise, whole


def _joins(group: _RowGroup, op: LinalgStructuredOperation, row: int) -> bool:
    if op.get_static_loop_ranges()[row] != group.rows:
        return False
    written, _, whole = _roots(op, row)
    return not (whole & group.written or written & group.broadcast)


def _add(group: _RowGroup, top: Operation, op: LinalgStructuredOperation, row: int) -> None:
    written, _, whole = _roots(op, row)
    group.members.append((top, op, row))
    group.written |= written
    group.broadcast |= whole


def _emit_group(group: _RowGroup, workers: int, detached: list[Operation]) -> None:
    """The group as one tile loop over blocks of rows, if that pays."""
    heavy = [op for _, op, _ in group.members if not isinstance(op, linalg.FillOp)]
    points = sum(math.prod(op.get_static_loop_ranges()) for op in heavy)
    if len(heavy) < 2 or points < WHOLE_POINTS:
        return
    rowwise = {root for _, op, row in group.members for root in _roots(op, row)[1]}
    row_bytes = sum(mv.byte_size(root.type) // group.rows for root in rowwise)
    step = max(1, min(ROW_TILE_BYTES // max(1, row_bytes), group.rows // (2 * workers)))
    step = next(t for t in range(step, 0, -1) if group.rows % t == 0)
    if group.rows // step < 2:
        return
    top, _, _ = group.members[-1]
    loc = group.members[0][1].location
    consts = [arith.ConstantOp(IntegerAttr.from_index_int_value(v)) for v in (0, group.rows, step)]
    body = Block(arg_types=[IndexType()])
    local = _TileBuffers(body, step, _local_buffers(group, rowwise))
    for _, op, row in group.members:
        ranges = op.get_static_loop_ranges()
        offsets: list[int | SSAValue] = [body.args[0] if k == row else 0 for k in range(len(ranges))]
        created = restrict(op, offsets, [step if k == row else r for k, r in enumerate(ranges)])
        body.add_ops(local.substitute(created))
    body.add_op(scf.ReduceOp())
    loop = scf.ParallelOp([consts[0]], [consts[1]], [consts[2]], Region(body))
    loop.attributes["tfir.tile"] = DenseArrayBase.from_list(i64, [step])
    for new in (*consts, loop, body.last_op, *local.created):
        new.location = loc
    Rewriter.insert_op([*consts, loop], InsertPoint.after(top))
    for old, op, _ in group.members:
        Rewriter.erase_op(old)
        if op is not old:
            detached.remove(op)
            op.erase()
    for root in local.roots:
        _erase_views(root)


def _local_buffers(group: _RowGroup, rowwise: set[SSAValue]) -> list[SSAValue]:
    """Buffers that only the group's ops use, row by row: each block of rows
    needs only its own rows of them, so a buffer of one tile replaces them."""
    tops = {top for top, _, _ in group.members}
    return [root for root in rowwise
            if isinstance(root.owner, memref.AllocOp) and root in group.written
            and root not in group.broadcast and _used_only_by(root, tops)]


def _used_only_by(value: SSAValue, tops: set[Operation]) -> bool:
    for use in value.uses:
        user = use.operation
        if user.parent is None:
            continue  # an untiled template (fuse_rows erases them)
        if isinstance(user, memref.ExpandShapeOp | memref.CollapseShapeOp) and user.parent_op() is not None \
                and isinstance(user.parent_op(), func.FuncOp):
            if not _used_only_by(user.results[0], tops):
                return False
            continue
        while user.parent_op() is not None and not isinstance(user.parent_op(), func.FuncOp):
            user = user.parent_op()
        if user not in tops:
            return False
    return True


def _erase_views(value: SSAValue) -> None:
    """Erases the (now unused) reshapes of a buffer, then its allocation."""
    for use in list(value.uses):
        _erase_views(use.operation.results[0])
    owner = value.owner
    assert isinstance(owner, Operation) and not value.uses
    Rewriter.erase_op(owner)


class _TileBuffers:
    """In a row group's tile: one buffer of the tile's rows per local buffer
    (`memref.alloc` in the loop body; the NumPy code allocates it once per
    worker), and its reshapes as the original buffer had them."""

    def __init__(self, body: Block, step: int, roots: list[SSAValue]):
        self.body, self.step, self.roots = body, step, roots
        self.views: dict[SSAValue, SSAValue] = {}
        self.created: list[Operation] = []

    def substitute(self, created: list[Operation]) -> list[Operation]:
        """The tile subviews of local buffers replaced by the tile buffers."""
        kept: list[Operation] = []
        for op in created:
            if isinstance(op, memref.SubviewOp) and _view_root(op.source) in self.roots:
                op.result.replace_all_uses_with(self.view(op.source))
                op.erase()
            else:
                kept.append(op)
        return kept

    def view(self, value: SSAValue) -> SSAValue:
        if value in self.views:
            return self.views[value]
        typ = value.type
        assert isinstance(typ, MemRefType)
        tile = mv.identity_type([self.step, *typ.get_shape()[1:]], typ.get_element_type())
        owner = value.owner
        if isinstance(owner, memref.ExpandShapeOp | memref.CollapseShapeOp):
            src = self.view(owner.src)
            reassoc = [[i.value.data for i in g.data] for g in owner.reassociation.data]
            make = mv.expand if isinstance(owner, memref.ExpandShapeOp) else mv.collapse
            new = make(src, reassoc, tile)
        else:
            new = memref.AllocOp.get(tile.get_element_type(), shape=tile.get_shape())
            number = owner.attributes.get("tfir.buffer") if isinstance(owner, Operation) else None
            base = value.name_hint or (f"buf{number.value.data}" if isinstance(number, IntegerAttr) else "buf")
            new.memref.name_hint = f"{base}_tile"
        self.body.add_op(new)
        self.created.append(new)
        self.views[value] = new.results[0]
        return new.results[0]
