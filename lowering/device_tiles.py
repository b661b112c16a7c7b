"""Helpers of `convert-loops-to-device`: undoing the CPU tiling.

`tile-linalg` cuts a large op into an `scf.parallel` over tiles of static
size plus, where a dim does not divide, separate remainder pieces (the same
op on static `memref.subview`s of the tail). The GPU grid tiles each op
again, so `untile` replaces a tile loop by its op on the range the loop
covers, and `merge_pieces` joins pieces of one op that sit side by side
along one dim until, in the usual case, the op runs on its whole buffers.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import IntegerAttr, MemRefType
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.dialects.linalg.ops import FillOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.lowering.device_kernels import DeviceLoweringError

DYNAMIC = memref.DYNAMIC_INDEX if hasattr(memref, "DYNAMIC_INDEX") else -(2**63)
LINALG = (LinalgStructuredOperation, FillOp)


def _const(value: SSAValue) -> int:
    op = value.owner
    if isinstance(op, arith.ConstantOp) and isinstance(op.value, IntegerAttr):
        return op.value.value.data
    raise DeviceLoweringError("expected constant tile loop bounds")


def _static(op: memref.SubviewOp, ranges: dict[SSAValue, tuple[int, int]]
            ) -> tuple[list[int], list[int], list[int]]:
    """A tile subview's offsets, sizes and strides widened to the loop's range."""
    dyn_offsets, dyn_sizes = iter(op.offsets), iter(op.sizes)
    offsets, sizes = [], []
    for off, size in zip(op.static_offsets.get_values(), op.static_sizes.get_values(),
                         strict=True):
        if off == DYNAMIC:
            iv = next(dyn_offsets)
            if iv not in ranges:
                raise DeviceLoweringError("expected tile offsets that are loop variables")
            lo, hi = ranges[iv]
            if size == DYNAMIC:
                next(dyn_sizes)  # a clamped last tile: the loop covers [lo, hi)
            offsets.append(lo)
            sizes.append(hi - lo)
        elif size == DYNAMIC:
            raise DeviceLoweringError("expected a tile size that is static or a clamped tile")
        else:
            offsets.append(off)
            sizes.append(size)
    strides = list(op.static_strides.get_values())
    if DYNAMIC in strides:
        raise DeviceLoweringError("expected static subview strides")
    return offsets, sizes, strides


def make_subview(source: SSAValue, offsets: Sequence[int], sizes: Sequence[int],
                 strides: Sequence[int], at: Operation) -> SSAValue:
    """The static subview (or `source` itself when it is all of it)."""
    typ = source.type
    assert isinstance(typ, MemRefType)
    if list(sizes) == list(typ.get_shape()) and not any(offsets) and set(strides) <= {1}:
        return source
    result = memref.SubviewOp.infer_result_type(typ, list(offsets), list(sizes), list(strides))
    view = memref.SubviewOp.get(source, list(offsets), list(sizes), list(strides), result)
    view.location = at.location
    Rewriter.insert_op(view, InsertPoint.before(at))
    return view.result


def _loop_ranges(loop: Operation) -> dict[SSAValue, tuple[int, int]]:
    if isinstance(loop, scf.ParallelOp):
        block = loop.body.block
        return {iv: (_const(lb), _const(ub)) for iv, lb, ub in
                zip(block.args, loop.lowerBound, loop.upperBound, strict=True)}
    if isinstance(loop, scf.ForOp):
        return {loop.body.block.args[0]: (_const(loop.lb), _const(loop.ub))}
    raise DeviceLoweringError(f"unsupported tile loop {loop.name}")


def untile(loop: Operation) -> None:
    """Replaces a tile loop by its linalg op on the range the loop covers."""
    inner = [op for op in loop.walk() if isinstance(op, LINALG)]
    if len(inner) != 1:
        raise DeviceLoweringError(f"expected one linalg op per tile loop, got {len(inner)}")
    (op,) = inner
    ranges: dict[SSAValue, tuple[int, int]] = {}
    for nested in [loop, *(o for o in loop.walk() if isinstance(o, scf.ParallelOp | scf.ForOp))]:
        if nested is not op:
            ranges.update(_loop_ranges(nested))
    operands = []
    for operand in op.operands:
        owner = operand.owner
        if isinstance(owner, memref.SubviewOp) and loop.is_ancestor(owner):
            if isinstance(owner.source.owner, Operation) and loop.is_ancestor(owner.source.owner):
                raise DeviceLoweringError("expected tiles of buffers defined outside the loop")
            operand = make_subview(owner.source, *_static(owner, ranges), loop)
        elif isinstance(owner, Operation) and loop.is_ancestor(owner) or \
                isinstance(owner, Block) and loop.is_ancestor(owner.parent_op()):
            raise DeviceLoweringError(f"unsupported tile operand from {owner}")
        operands.append(operand)
    whole = op.clone()
    for i, operand in enumerate(operands):
        whole.operands[i] = operand
    Rewriter.insert_op(whole, InsertPoint.before(loop))
    Rewriter.erase_op(loop, safe_erase=False)


# ---------------------------------------------------------------- merging


def _piece(value: SSAValue) -> tuple[SSAValue, list[int], list[int], list[int]]:
    """(source, offsets, sizes, strides) of a static subview, or the whole value."""
    op = value.owner
    if isinstance(op, memref.SubviewOp) and not op.offsets and not op.sizes and not op.strides \
            and len(op.static_sizes.get_values()) == len(op.source.type.get_shape()):
        return (op.source, list(op.static_offsets.get_values()),
                list(op.static_sizes.get_values()), list(op.static_strides.get_values()))
    shape = list(value.type.get_shape())  # type: ignore[attr-defined]
    return value, [0] * len(shape), shape, [1] * len(shape)


def _same_kind(a: Operation, b: Operation) -> bool:
    return (type(a) is type(b) and len(a.operands) == len(b.operands)
            and a.properties.keys() == b.properties.keys()
            and all(a.properties[k] == b.properties[k] for k in a.properties
                    if k != "operandSegmentSizes")
            and all(ra.is_structurally_equivalent(rb) for ra, rb in
                    zip(a.regions, b.regions, strict=True)))


def _split_dim(op: Operation, a: Operation, b: Operation) -> int | None:
    """The iteration dim along which `b` continues `a`, if it does."""
    maps = [m.data for m in op.get_indexing_maps()]  # type: ignore[attr-defined]
    dim: int | None = None
    for va, vb, amap in zip(a.operands, b.operands, maps, strict=True):
        if va is vb:
            continue
        (sa, oa, za, ta), (sb, ob, zb, tb) = _piece(va), _piece(vb)
        if sa is not sb or ta != tb or set(ta) != {1}:
            return None
        diff = [d for d in range(len(oa)) if (oa[d], za[d]) != (ob[d], zb[d])]
        if len(diff) != 1 or ob[diff[0]] != oa[diff[0]] + za[diff[0]]:
            return None
        expr = amap.results[diff[0]]
        if not isinstance(expr, AffineDimExpr) or dim not in (None, expr.position):
            return None
        dim = expr.position
    if dim is None:
        return None
    for va, vb, amap in zip(a.operands, b.operands, maps, strict=True):
        if va is vb and any(isinstance(e, AffineDimExpr) and e.position == dim
                            for e in amap.results):
            return None  # one operand read whole by both pieces along the split dim
    return dim


def _merge(a: Operation, b: Operation) -> Operation | None:
    if not _same_kind(a, b) or _split_dim(a, a, b) is None:
        return None
    merged = b.clone()
    for i, (va, vb) in enumerate(zip(a.operands, b.operands, strict=True)):
        if va is vb:
            continue
        (src, oa, za, ta), (_, ob, zb, _) = _piece(va), _piece(vb)
        sizes = [za[d] + zb[d] if oa[d] != ob[d] else za[d] for d in range(len(za))]
        merged.operands[i] = make_subview(src, oa, sizes, ta, b)
    Rewriter.insert_op(merged, InsertPoint.before(b))
    Rewriter.erase_op(a)
    Rewriter.erase_op(b)
    return merged


def merge_pieces(block: Block) -> None:
    """Joins consecutive pieces of one op (only pure definitions between)."""
    op = block.first_op
    while op is not None:
        nxt = op.next_op
        while nxt is not None and not isinstance(nxt, LINALG) and (
                isinstance(nxt, memref.SubviewOp) or nxt.name == "arith.constant"):
            nxt = nxt.next_op
        if isinstance(op, LINALG) and isinstance(nxt, LINALG):
            merged = _merge(op, nxt)
            if merged is not None:
                op = merged
                continue
        op = op.next_op
