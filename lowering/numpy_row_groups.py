"""`numpy-row-groups`: consecutive row-local ops (softmax: max, exp, sum,
divide; layernorm; attention: scores, softmax and the second product) as one
tile loop over blocks of rows.

Precondition: the `loops` form (docs/ir-levels.md section 4), as
`tile-linalg` leaves it. Produces the same form.

Every op of the run runs in turn on a block of rows, so that what one op
writes is still in cache when the next reads it; the buffers only the run
uses are shrunk to one block (a `memref.alloc` in the loop body, which the
NumPy code allocates once per worker). `numpy-schedule` runs after it on
the loops left. Option: `workers` (0: the CPUs here), which bounds the
block so that every worker gets two blocks at least. A run whose rows total
less than `MIN_GROUP_BYTES` is left as it is.

A contraction (a matmul) is row-local like any op when its operands that do
not vary along the rows, read whole by every block, are small
(`MAX_WHOLE_BYTES`): attention per head, `softmax(q @ k^T) @ v`, becomes one
loop whose block computes its scores, their softmax and the product with
`v` while the scores are in cache. With large whole operands (an MLP's
weights) BLAS would pack them again for every block: such a contraction
ends a run instead (`numpy-split-contractions` shares it out).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import DenseArrayBase, IndexType, IntegerAttr, MemRefType, ModuleOp, i64
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.lowering.utils import memref_views as mv
from tfir.lowering.utils.control_blocks import structured_blocks
from tfir.lowering.utils.linalg_ops import is_contraction
from tfir.lowering.utils.memref_views import RESHAPE_OPS, root_of
from tfir.lowering.utils.tile_loops import TRANSPARENT, WHOLE_POINTS, rebuild, untiled
from tfir.lowering.utils.tiling import restrict, tileable_dims

MAX_WHOLE_BYTES = 1 << 20
"""A contraction joins a row group only when the operands every block reads
whole total at most this (BLAS packs them once per call, per block here)."""

MIN_GROUP_BYTES = 1 << 20
"""A group whose row-wise buffers total less than this (they fit in a core's
L2 as they are) stays as it is: blocks of rows keep nothing more in cache,
and a trip to the pool per block costs more than it saves. The RNN's step
(`tanh(x_t + h @ u + b)`, 64 x 256: 192 KiB of rows) was four blocks of 16
rows on the pool each step; whole, on the calling thread, the RNN took 34
ms against 65 ms on a quiet machine, interleaved with NumPy by hand whose
BLAS threads keep spinning after its calls (60 against 65 ms at load 2.5)."""

ROW_TILE_BYTES = 1 << 22
"""The bytes of the rows of its buffers one tile of a row group touches: 4 MiB
(more than a core's L2, but the Python overhead per tile statement weighs
more than cache misses at 1 MiB on layernorm; measured)."""


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
    for block in structured_blocks(fn):  # a run never crosses a loop or branch boundary
        _fuse_block(block, workers)


def _fuse_block(block: Block, workers: int) -> None:
    group: _RowGroup | None = None
    detached: list[Operation] = []
    for op in list(block.ops):
        if isinstance(op, (*TRANSPARENT, memref.SubviewOp)):
            continue  # allocations and views move nothing: the run goes on past them
        whole = _whole_op(op)
        if whole is not None and whole is not op:
            detached.append(whole)
        row = _row_dim(whole) if whole is not None else None
        if row is not None and is_contraction(whole) and _whole_bytes(whole, row) > MAX_WHOLE_BYTES:
            row = None
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
        found = untiled(op)
        return rebuild(*found) if found is not None else None
    return None


def _view_root(value: SSAValue) -> SSAValue | None:
    """The buffer under reshapes and slices that keep every row (a slice of
    the other axes: a convolution's shifted view of each image); None for
    any other view (a slice of the rows shifts them)."""
    while True:
        value = root_of(value, RESHAPE_OPS)
        if not isinstance(value.owner, memref.SubviewOp) or not _keeps_rows(value.owner):
            break
        value = value.owner.source
    if isinstance(value.owner, memref.AllocOp | memref.GetGlobalOp) or not isinstance(value.owner, Operation):
        return value
    return None


def _keeps_rows(view: memref.SubviewOp) -> bool:
    """Whether a subview takes all of its source's first axis, in order."""
    offsets, sizes, strides = (list(a.get_values()) for a in (view.static_offsets, view.static_sizes,
                                                                view.static_strides))
    source = view.source.type
    return (isinstance(source, MemRefType) and bool(offsets) and offsets[0] == 0 and strides[0] == 1
            and sizes[0] == source.get_shape()[0])


def _rows_align(value: SSAValue, rows: int) -> bool:
    """Whether each row of `value`'s buffer is whole slices of dim 0 in every
    reshape between them (a block of rows is then a block of dim 0 there)."""
    while True:
        shape = value.type.get_shape() if isinstance(value.type, MemRefType) else ()
        if not shape or rows <= 0 or shape[0] % rows:
            return False
        if not isinstance(value.owner, RESHAPE_OPS):
            return True
        value = value.owner.operands[0]


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
                or _view_root(value) is None or not _rows_align(value, rows):
            return None
    return d


def _whole_bytes(op: LinalgStructuredOperation, row: int) -> int:
    """The bytes of the operands of `op` that do not vary along dim `row`."""
    maps = [m.data for m in op.get_indexing_maps().data]
    return sum(mv.byte_size(v.type) for v, m in zip(op.operands, maps, strict=True)
               if isinstance(v.type, MemRefType) and not any(row in e.used_dims() for e in m.results))


def _roots(op: LinalgStructuredOperation, row: int) -> tuple[set[SSAValue], set[SSAValue], set[SSAValue]]:
    """The buffers `op` writes, reads along the rows, reads whole."""
    written, rowwise, whole = set(), set(), set()
    maps = [m.data for m in op.get_indexing_maps().data]
    for k, (value, amap) in enumerate(zip(op.operands, maps, strict=True)):
        if not isinstance(value.type, MemRefType):
            continue
        root = _view_root(value)
        if root is None:  # a slice of a buffer (rows of it, say): read whole, for the
            whole.add(root_of(value))  # ops of the group that write that buffer
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
    # A fill of a buffer that no other op of the group touches stays where it
    # is: what reads it later (a matmul into it) then still sees it filled.
    touched = {root for _, op, row in group.members if not isinstance(op, linalg.FillOp)
               for part in _roots(op, row) for root in part}
    group.members = [m for m in group.members
                     if not isinstance(m[1], linalg.FillOp) or _roots(m[1], m[2])[0] & touched]
    heavy = [op for _, op, _ in group.members if not isinstance(op, linalg.FillOp)]
    points = sum(math.prod(op.get_static_loop_ranges()) for op in heavy)
    if len(heavy) < 2 or points < WHOLE_POINTS:
        return
    rowwise = {root for _, op, row in group.members for root in _roots(op, row)[1]}
    row_bytes = sum(mv.byte_size(root.type) // group.rows for root in rowwise)
    if row_bytes * group.rows < MIN_GROUP_BYTES:
        return
    want = max(1, min(ROW_TILE_BYTES // max(1, row_bytes), group.rows // (2 * workers)))
    step = next(t for t in range(want, 0, -1) if group.rows % t == 0)
    if step * 2 <= want:
        step = want  # no divisor near: blocks of `want` rows and one smaller last block
    main = group.rows - group.rows % step
    if main // step < 2:
        return
    top, _, _ = group.members[-1]
    loc = group.members[0][1].location
    roots = _local_buffers(group, rowwise)
    consts = [arith.ConstantOp(IntegerAttr.from_index_int_value(v)) for v in (0, main, step)]
    body = Block(arg_types=[IndexType()])
    local = _TileBuffers(step, roots, group.rows)
    body.add_ops(_restricted(group, local, body.args[0], step))
    body.add_op(scf.ReduceOp())
    loop = scf.ParallelOp([consts[0]], [consts[1]], [consts[2]], Region(body))
    loop.attributes["tfir.tile"] = DenseArrayBase.from_list(i64, [step])
    rest: list[Operation] = []
    if main < group.rows:
        last = _TileBuffers(group.rows - main, roots, group.rows)
        rest = _restricted(group, last, main, group.rows - main)
        local.created += last.created
    for new in (*consts, loop, body.last_op, *local.created):
        new.location = loc
    Rewriter.insert_op([*consts, loop, *rest], InsertPoint.after(top))
    for old, op, _ in group.members:
        Rewriter.erase_op(old)
        if op is not old:
            detached.remove(op)
            op.erase()
    for root in roots:
        _erase_views(root)


def _restricted(group: _RowGroup, local: _TileBuffers, start: int | SSAValue, size: int) -> list[Operation]:
    """The group's ops on rows [start, start + size), local buffers replaced
    by buffers of that block."""
    out: list[Operation] = []
    for _, op, row in group.members:
        ranges = op.get_static_loop_ranges()
        offsets: list[int | SSAValue] = [start if k == row else 0 for k in range(len(ranges))]
        out += local.substitute(restrict(op, offsets, [size if k == row else r for k, r in enumerate(ranges)]))
    return out


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
        if isinstance(user, RESHAPE_OPS) and user.parent_op() is not None \
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

    def __init__(self, step: int, roots: list[SSAValue], rows: int):
        self.step, self.roots, self.rows = step, roots, rows
        self.views: dict[SSAValue, SSAValue] = {}
        self.created: list[Operation] = []

    def substitute(self, created: list[Operation]) -> list[Operation]:
        """`created` with the tile subviews of local buffers replaced by the
        tile buffers (their allocations and reshapes first, where new)."""
        out: list[Operation] = []
        for op in created:
            if isinstance(op, memref.SubviewOp) and _view_root(op.source) in self.roots:
                op.result.replace_all_uses_with(self.view(op.source, out))
                op.erase()
            else:
                out.append(op)
        return out

    def view(self, value: SSAValue, out: list[Operation]) -> SSAValue:
        if value in self.views:
            return self.views[value]
        typ = value.type
        assert isinstance(typ, MemRefType)
        # A reshape may merge the rows with other dims (or split them): its
        # dim 0 holds shape[0] // rows slices per row (_rows_align).
        shape = typ.get_shape()
        tile = mv.identity_type([shape[0] // self.rows * self.step, *shape[1:]], typ.get_element_type())
        owner = value.owner
        if isinstance(owner, RESHAPE_OPS):
            src = self.view(owner.src, out)
            reassoc = [[i.value.data for i in g.data] for g in owner.reassociation.data]
            make = mv.expand if isinstance(owner, memref.ExpandShapeOp) else mv.collapse
            new = make(src, reassoc, tile)
        else:
            new = memref.AllocOp.get(tile.get_element_type(), shape=tile.get_shape())
            number = owner.attributes.get("tfir.buffer") if isinstance(owner, Operation) else None
            base = value.name_hint or (f"buf{number.value.data}" if isinstance(number, IntegerAttr) else "buf")
            new.memref.name_hint = f"{base}_tile"
        out.append(new)
        self.created.append(new)
        self.views[value] = new.results[0]
        return new.results[0]


@dataclass(frozen=True)
class NumpyRowGroupsPass(ModulePass):
    """Runs of row-local ops -> one tile loop over blocks of rows."""

    name = "numpy-row-groups"

    workers: int = 0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for fn in op.ops:
            if isinstance(fn, func.FuncOp) and not fn.is_declaration:
                fuse_rows(fn, self.workers or os.cpu_count() or 1)
