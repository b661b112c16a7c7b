"""`merge-tile-pieces`: the pieces of one op that `tile-linalg` cut apart,
joined again.

Precondition: the `loops` form after `untile-loops` (no tile loops left).

Where a dim does not divide into tiles, `tile-linalg` leaves remainder
pieces beside the loop: the same op on static `memref.subview`s of the tail.
Consecutive pieces of one op (only subviews and constants between them) that
sit side by side along one dim become one op on the union of their views,
repeatedly, so in the usual case the op runs on its whole buffers again and
becomes one kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import memref
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.dialects.linalg.ops import FillOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.lowering.utils.control_blocks import structured_blocks
from tfir.lowering.utils.device import entries, static_subview

LINALG = (LinalgStructuredOperation, FillOp)


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
        merged.operands[i] = static_subview(src, oa, sizes, ta, b)
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


@dataclass(frozen=True)
class MergeTilePiecesPass(ModulePass):
    """Side-by-side pieces of one op -> one op."""

    name = "merge-tile-pieces"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for entry in entries(op):
            for block in structured_blocks(entry):  # the program's loop bodies too
                merge_pieces(block)
