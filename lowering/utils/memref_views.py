"""Memref views: the one set of view ops with its root walk, and the view
types that `bufferize`, `plan-buffers`, `tile-linalg` and the device and
NumPy passes build.

The layouts computed here mirror upstream MLIR's own inference
(`computeCollapsedLayoutMap`, `computeExpandedLayoutMap`,
`SubViewOp::inferResultType`): `mlir-opt` compares a view's result type
against exactly that inference, so a view built here is accepted by both
xDSL and MLIR. All shapes are static (docs/ir-levels.md); offsets may be
dynamic only for tile subviews.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from math import prod

from xdsl.dialects import memref, scf
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    IntegerAttr,
    MemRefType,
    NoneAttr,
    ShapedType,
    StridedLayoutAttr,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue

from tfir.dialects import linalgx

Reassociation = Sequence[Sequence[int]]

RESHAPE_OPS = (memref.CollapseShapeOp, memref.ExpandShapeOp)
"""Views that keep every element of their source (a reshape moves no row)."""

VIEW_OPS = (memref.SubviewOp, *RESHAPE_OPS, memref.CastOp, memref.ReinterpretCastOp)
"""Ops whose result is a view of their first operand: no copy, same memory."""


def root_of(value: SSAValue, through: tuple[type[Operation], ...] = VIEW_OPS) -> SSAValue:
    """The buffer `value` is a view of (an argument, alloc or global), looking
    through the views in `through` (`RESHAPE_OPS`: only through reshapes)."""
    while isinstance(value.owner, through):
        value = value.owner.operands[0]
    return value


def touches(op: Operation, root: SSAValue) -> bool:
    """Whether `op` reads or writes buffer `root` (a view only names a part of it);
    a loop or branch of the program touches what the ops inside it touch."""
    if isinstance(op, VIEW_OPS):
        return False
    if isinstance(op, scf.ForOp | scf.WhileOp | scf.IfOp):
        return any(touches(inner, root) for inner in op.walk() if inner is not op)
    return any(root_of(o) is root for o in op.operands)


def writes(op: Operation, root: SSAValue) -> bool:
    """Whether `op` may write buffer `root`: a linalg op its outputs, a copy its
    destination; any other op that touches it (a call, a loop), to be safe."""
    if isinstance(op, VIEW_OPS) or op.name == "arith.constant":
        return False
    outs = getattr(op, "outputs", None)
    if outs is not None and op.dialect_name() == "linalg":
        return any(root_of(o) is root for o in outs)
    if isinstance(op, memref.CopyOp):
        return root_of(op.destination) is root
    if isinstance(op, memref.LoadOp | linalgx.CheckIndexOp):
        return False
    if isinstance(op, linalgx.GatherOp | linalgx.ScatterOp):  # destination-passing, no `outputs`
        return root_of(op.dest) is root
    return touches(op, root) or any(writes(inner, root) for region in op.regions
                                    for block in region.blocks for inner in block.ops)


def next_toucher(op: Operation, root: SSAValue) -> Operation | None:
    """The first op after `op` in its block that touches buffer `root`."""
    nxt = op.next_op
    while nxt is not None and not touches(nxt, root):
        nxt = nxt.next_op
    return nxt


PROGRAM_LOOPS = (scf.ForOp, scf.WhileOp)


def touched_after(op: Operation, root: SSAValue, rewritten: Collection[Operation] = ()) -> bool:
    """Whether buffer `root` may be touched after `op` runs: by a later op of
    `op`'s block or of an enclosing block, or, inside a program loop that
    `root` outlives, by any op of the loop's body (a later iteration runs it
    again). `rewritten`: ops of the caller that read `root`, if at all, only
    after one of them wrote it in the same iteration; they do not count as
    touching it in a later iteration."""
    cur = op
    while (parent := cur.parent_op()) is not None:
        if next_toucher(cur, root) is not None:
            return True
        if isinstance(parent, PROGRAM_LOOPS) and not _defined_in(root, parent) and any(
                touches(inner, root) for inner in parent.walk()
                if not inner.regions and inner not in rewritten):
            return True
        cur = parent
    return False


def _defined_in(value: SSAValue, op: Operation) -> bool:
    owner = value.owner
    holder = owner if isinstance(owner, Operation) else owner.parent_op()
    return holder is not None and holder is not op and op.is_ancestor(holder)


def is_identity(t: MemRefType) -> bool:
    return isinstance(t.layout, NoneAttr)


def strides_of(t: MemRefType) -> tuple[list[int | None], int | None]:
    strides = t.get_strides()
    assert strides is not None, f"non-strided layout {t}"
    return list(strides), t.get_offset()


def identity_type(shape: Sequence[int], element_type: Attribute) -> MemRefType:
    return MemRefType(element_type, list(shape))


def strided_type(
    t: MemRefType, shape: Sequence[int], strides: Sequence[int | None], offset: int | None
) -> MemRefType:
    """A type like `t` with the given layout, identity where `t` is identity-laid."""
    return MemRefType(t.get_element_type(), list(shape), StridedLayoutAttr(strides, offset))


def byte_size(t: MemRefType) -> int:
    width = t.get_element_type().bitwidth  # type: ignore[attr-defined]
    return prod(t.get_shape()) * max(1, (width + 7) // 8)


def _map_is_identity(t: MemRefType) -> bool:
    """Whether the layout's affine map is the identity, as MLIR decides the layout of a
    reshape's result: no layout, or a strided one of rank <= 1, unit stride, offset 0."""
    if is_identity(t):
        return True
    strides, offset = strides_of(t)
    return len(strides) <= 1 and all(s == 1 for s in strides) and offset == 0


def collapsed_type(src: MemRefType, reassoc: Reassociation) -> MemRefType | None:
    """The result type of `memref.collapse_shape`, or None where the source
    layout cannot be collapsed without a copy."""
    shape = src.get_shape()
    new_shape = [prod(shape[i] for i in group) for group in reassoc]
    if _map_is_identity(src):
        return identity_type(new_shape, src.get_element_type())
    strides, offset = strides_of(src)
    new_strides: list[int | None] = []
    for group in reassoc:
        if not group:
            continue
        # Unit dims take no part in contiguity.
        nonunit = [i for i in group if shape[i] != 1]
        for outer, inner in zip(nonunit, nonunit[1:], strict=False):
            if strides[outer] is None or strides[inner] is None:
                return None
            if strides[outer] != strides[inner] * shape[inner]:  # type: ignore[operator]
                return None
        last = list(group)
        while len(last) > 1 and shape[last[-1]] == 1:
            last.pop()
        new_strides.append(strides[last[-1]])
    return strided_type(src, new_shape, new_strides, offset)


def expanded_type(
    src: MemRefType, reassoc: Reassociation, out_shape: Sequence[int]
) -> MemRefType:
    """The result type of `memref.expand_shape` to `out_shape`."""
    if _map_is_identity(src):
        return identity_type(out_shape, src.get_element_type())
    strides, offset = strides_of(src)
    new_strides: list[int | None] = [None] * len(out_shape)
    for src_dim, group in enumerate(reassoc):
        running = strides[src_dim]
        for i in reversed(group):
            new_strides[i] = running
            if running is not None:
                running = running * out_shape[i]
    return strided_type(src, out_shape, new_strides, offset)


def reassociation_attr(reassoc: Reassociation) -> ArrayAttr:
    return ArrayAttr(ArrayAttr(IntegerAttr(i, i64) for i in group) for group in reassoc)


def collapse(value: SSAValue, reassoc: Reassociation, result: MemRefType) -> Operation:
    return memref.CollapseShapeOp.build(
        operands=[value],
        result_types=[result],
        properties={"reassociation": reassociation_attr(reassoc)},
    )


def expand(value: SSAValue, reassoc: Reassociation, result: MemRefType) -> Operation:
    return memref.ExpandShapeOp.build(
        operands=[value, []],
        result_types=[result],
        properties={
            "reassociation": reassociation_attr(reassoc),
            "static_output_shape": DenseArrayBase.from_list(i64, result.get_shape()),
        },
    )


def subview_type(
    src: MemRefType,
    offsets: Sequence[int | None],
    sizes: Sequence[int],
    strides: Sequence[int],
    result_shape: Sequence[int] | None = None,
) -> MemRefType:
    """The type of a subview (None offsets are dynamic). `result_shape`, when
    of lower rank than `sizes`, drops unit dims (a rank-reducing subview)."""
    src_strides, src_offset = strides_of(src)
    new_strides = [
        None if s is None else s * step for s, step in zip(src_strides, strides, strict=True)
    ]
    offset: int | None = src_offset
    for off, s in zip(offsets, src_strides, strict=True):
        if off == 0 or offset is None:
            continue
        offset = None if off is None or s is None else offset + off * s
    shape = list(sizes)
    if result_shape is not None and len(result_shape) != len(sizes):
        keep = rank_reduction_keep(sizes, result_shape)
        shape = [sizes[i] for i in keep]
        new_strides = [new_strides[i] for i in keep]
    return strided_type(src, shape, new_strides, offset)


def rank_reduction_keep(sizes: Sequence[int], result_shape: Sequence[int]) -> list[int]:
    """The dims of `sizes` kept in `result_shape`, dropping unit dims greedily
    from the left as MLIR's rank-reduction mask does."""
    keep: list[int] = []
    j = 0
    for i, size in enumerate(sizes):
        if j < len(result_shape) and size == result_shape[j]:
            keep.append(i)
            j += 1
        else:
            assert size == 1, f"cannot rank-reduce {list(sizes)} to {list(result_shape)}"
    assert j == len(result_shape), f"cannot rank-reduce {list(sizes)} to {list(result_shape)}"
    return keep


def subview(
    source: SSAValue,
    offsets: Sequence[int | SSAValue],
    sizes: Sequence[int],
    strides: Sequence[int],
    result_shape: Sequence[int] | None = None,
) -> memref.SubviewOp:
    src_type = source.type
    assert isinstance(src_type, MemRefType)
    static_offsets = [o if isinstance(o, int) else None for o in offsets]
    result = subview_type(src_type, static_offsets, sizes, strides, result_shape)
    return memref.SubviewOp.get(source, list(offsets), list(sizes), list(strides), result)


def memref_of(t: ShapedType) -> MemRefType:
    """The identity-laid memref for a tensor type."""
    return identity_type(t.get_shape(), t.get_element_type())  # type: ignore[attr-defined]


def rebuild_linalg(op: Operation, ins: Sequence[SSAValue], outs: Sequence[SSAValue]) -> Operation:
    """The same linalg op (body, maps, attributes) on other operands, with no
    tensor results: the buffer form writes its outputs in place."""
    props = {k: v for k, v in op.properties.items() if k != "operandSegmentSizes"}
    new = type(op).build(
        operands=[list(ins), list(outs)],
        result_types=[[]],
        properties=props,
        attributes=dict(op.attributes),
        regions=[op.regions[0].clone()],
    )
    new.location = op.location
    return new


def alloc(t: MemRefType, location: Attribute) -> memref.AllocOp:
    op = memref.AllocOp.get(t.get_element_type(), shape=t.get_shape())
    op.location = location  # type: ignore[assignment]
    return op
