"""plan-buffers: reuse dead buffers for later allocations (docs/ir-levels.md §3).

Precondition: the `buffers` form as `bufferize` leaves it: per function one
straight-line block whose `memref.alloc`s are at top level; buffers are read
and written by linalg ops, `memref.copy` and views of them
(`memref.subview` / `collapse_shape` / `expand_shape` / `cast` /
`reinterpret_cast`, which alias their source).

Produces: the same form with fewer `memref.alloc`s. An alloc's live range runs
from the first to the last top-level op that uses it or any view of it (an op
inside a region counts at its top-level ancestor). Allocations are visited in
order of first use; one whose element type and byte size match a buffer whose
live range ended strictly before it starts takes over that buffer (through a
collapse-to-1-D / expand view where the shapes differ), and the buffer's live
range grows to cover it. A buffer reaching `func.return` is never handed on
and never takes another's; entry arguments and constants are not allocs and
are never reused. Every remaining alloc gets `{tfir.buffer = N}`, N counting
from 0 in each function in order of first use.

Option `in_place` (the numpy target): a buffer whose live range ends at the
op where the new one's starts is handed on too when that op is elementwise
and reads the old buffer at exactly the element it writes (same shape, the
same indexing map as its output): the op then runs in place
(`np.exp(t, out=t)`), which in NumPy is a pass that writes into memory
already in cache, and one buffer fewer.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import IntegerAttr, MemRefType, ModuleOp, i64
from xdsl.dialects.linalg.ops import GenericOp
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.lowering.utils import memref_views as mv


@dataclass
class _Interval:
    alloc: memref.AllocOp
    first: int
    last: int
    returned: bool

    @property
    def key(self) -> tuple[Attribute, int]:
        t = self.alloc.memref.type
        return t.get_element_type(), mv.byte_size(t)


def _aliases(value: SSAValue) -> list[SSAValue]:
    found = [value]
    for current in found:
        for use in current.uses:
            if isinstance(use.operation, mv.VIEW_OPS) and use.operation.operands[0] is current:
                found.extend(use.operation.results)
    return found


def _top_level(op: Operation, block: Block) -> Operation:
    while op.parent_block() is not block:
        parent = op.parent_op()
        assert parent is not None
        op = parent
    return op


def _interval(alloc: memref.AllocOp, block: Block, index: dict[Operation, int]) -> _Interval:
    positions: list[int] = [index[alloc]]
    returned = False
    for value in _aliases(alloc.memref):
        for use in value.uses:
            user = _top_level(use.operation, block)
            returned = returned or isinstance(user, func.ReturnOp)
            positions.append(index[user])
    # An alloc nothing uses is left alone: marking it returned keeps it out.
    if len(positions) == 1:
        return _Interval(alloc, positions[0], positions[0], True)
    uses = positions[1:]
    return _Interval(alloc, min(uses), max(uses), returned)


def _reshaped(buffer: SSAValue, target: MemRefType, at: Operation) -> SSAValue:
    """`buffer` (identity layout) viewed with `target`'s shape."""
    source = buffer.type
    assert isinstance(source, MemRefType)
    if source.get_shape() == target.get_shape():
        return buffer
    n = 1
    for size in target.get_shape():
        n *= size
    elem = target.get_element_type()
    views: list[Operation] = []
    flat = buffer
    if len(source.get_shape()) != 1:
        flat_type = mv.identity_type([n], elem)
        rank = len(source.get_shape())
        views.append(
            mv.collapse(buffer, [list(range(rank))], flat_type)
            if rank
            else mv.expand(buffer, [], flat_type)
        )
        flat = views[-1].results[0]
    if len(target.get_shape()) != 1:
        rank = len(target.get_shape())
        views.append(
            mv.expand(flat, [list(range(rank))], target) if rank else mv.collapse(flat, [], target)
        )
    for view in views:
        view.location = at.location
    Rewriter.insert_op(views, InsertPoint.before(at))
    return views[-1].results[0]


def _in_place(op: Operation, old: SSAValue, new: SSAValue) -> bool:
    """Whether elementwise `op` may write buffer `new` into buffer `old`: it
    writes `new` whole as its one output and reads `old` only through the
    output's map (no view of it elsewhere), both the same shape and layout."""
    if not isinstance(op, GenericOp) or len(op.outputs) != 1 or op.outputs[0] is not new:
        return False
    if any(it.data.value != "parallel" for it in op.iterator_types) or old.type != new.type:
        return False
    maps = [m.data for m in op.indexing_maps]
    reads = [k for k, v in enumerate(op.inputs) if v is old]
    others = [u for u in old.uses if u.operation is op and u.index not in reads]
    # A view of `old` read at other points (a row of it, broadcast) would see the
    # elements already written: tiles of the op run one after another.
    views = set(_aliases(old)) - {old}
    others += [v for v in op.operands if v in views]
    out_map = maps[-1]
    one_to_one = out_map.num_dims == len(out_map.results) and out_map.is_projected_permutation()
    return bool(reads) and not others and one_to_one and all(maps[k] == out_map for k in reads)


def plan_function(func_op: func.FuncOp, in_place: bool = False) -> int:
    """Reuse dead buffers in one function (and, with `in_place`, buffers that die
    at an elementwise op for its output); returns the number of allocs left."""
    block = func_op.body.block
    ops = list(block.ops)
    index = {op: i for i, op in enumerate(ops)}
    intervals = sorted(
        (_interval(op, block, index) for op in ops if isinstance(op, memref.AllocOp)),
        key=lambda iv: iv.first,
    )
    buffers: list[_Interval] = []  # one per alloc kept, live range grown by reuse
    for iv in intervals:
        donor = None
        if not iv.returned:
            donor = next(
                (b for b in buffers if not b.returned and b.key == iv.key and b.last < iv.first),
                None,
            )
            if donor is None and in_place:
                donor = next((b for b in buffers if not b.returned and b.last == iv.first
                              and _in_place(ops[iv.first], b.alloc.memref, iv.alloc.memref)), None)
        if donor is None:
            buffers.append(iv)
            continue
        first_user = ops[iv.first]
        view = _reshaped(donor.alloc.memref, iv.alloc.memref.type, first_user)
        iv.alloc.memref.replace_all_uses_with(view)
        Rewriter.erase_op(iv.alloc)
        donor.last = max(donor.last, iv.last)
    for number, buf in enumerate(buffers):
        buf.alloc.attributes["tfir.buffer"] = IntegerAttr(number, i64)
    return len(buffers)


@dataclass(frozen=True)
class PlanBuffersPass(ModulePass):
    """Liveness-based buffer reuse (docs/ir-levels.md §3)."""

    name = "plan-buffers"

    in_place: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for func_op in op.ops:
            if isinstance(func_op, func.FuncOp) and func_op.body.blocks:
                plan_function(func_op, self.in_place)
