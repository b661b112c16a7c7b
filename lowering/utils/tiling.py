"""Tiles of linalg ops on buffers, shared by `tile-linalg` and the NumPy
passes (`numpy-row-groups`, `numpy-schedule`).

A dim is tileable where every indexing map uses it, if at all, as a plain
result `dI` (never inside `dI * s + c`) and no `linalg.index` in the body
reads it, so a tile of every operand is a `memref.subview` at the tile's
offset with the tile's size and the op on the tile keeps its maps and body
(`restrict`). `choose_tiles` picks the tile sizes `tile-linalg` uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from xdsl.dialects.builtin import MemRefType
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.dialects.linalg.ops import IndexOp, MatmulOp
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr, AffineMap

from tfir.lowering.utils import memref_views as mv
from tfir.lowering.utils.memref_views import byte_size


def tileable_dims(op: LinalgStructuredOperation) -> list[int]:
    maps = [m.data for m in op.get_indexing_maps().data]
    iterators = [it.data.value for it in op.get_iterator_types().data]
    dims = [d for d, it in enumerate(iterators) if it == "parallel"]
    if isinstance(op, MatmulOp):
        lhs = maps[0]
        dims = [d for d in dims if AffineDimExpr(d) in lhs.results]
    # `linalg.index` counts from the start of the op it is in: a tile would
    # see its own offsets, so dims it reads stay whole.
    indexed = {
        inner.dim.value.data for inner in op.body.walk() if isinstance(inner, IndexOp)
    }
    return [d for d in dims if d not in indexed and all(_plain_use(m, d) for m in maps)]


def _plain_use(affine_map: AffineMap, dim: int) -> bool:
    plain = 0
    for expr in affine_map.results:
        if expr == AffineDimExpr(dim):
            plain += 1
        elif dim in expr.used_dims():
            return False
    return plain <= 1


def tile_bytes(op: LinalgStructuredOperation, sizes: Sequence[int]) -> int:
    """Bytes of all operands one tile of loop sizes `sizes` touches."""
    total = 0
    for operand, attr in zip(op.operands, op.get_indexing_maps().data, strict=True):
        t = operand.type
        if not isinstance(t, MemRefType):
            continue
        elems = 1
        for r, expr in enumerate(attr.data.results):
            if isinstance(expr, AffineDimExpr):
                elems *= sizes[expr.position]
            elif not isinstance(expr, AffineConstantExpr):
                elems *= t.get_shape()[r]
        total += byte_size(t) // max(1, prod(t.get_shape())) * elems
    return total


def choose_tiles(
    op: LinalgStructuredOperation, max_bytes: int, min_tiles: int
) -> list[int]:
    ranges = list(op.get_static_loop_ranges())
    tiles = list(ranges)
    dims = tileable_dims(op)
    for d in dims:
        if tile_bytes(op, tiles) <= max_bytes:
            break
        one = tile_bytes(op, [*tiles[:d], 1, *tiles[d + 1 :]])
        two = tile_bytes(op, [*tiles[:d], 2, *tiles[d + 1 :]])
        per_unit, fixed = two - one, 2 * one - two
        tiles[d] = max(1, min(ranges[d], (max_bytes - fixed) // max(1, per_unit)))
    if prod(-(-r // t) for r, t in zip(ranges, tiles, strict=True)) < min_tiles:
        for d in dims:
            if ranges[d] > 1:
                tiles[d] = -(-ranges[d] // min_tiles)
                break
    for d in dims:
        if tiles[d] < ranges[d]:
            tiles[d] = _near_divisor(ranges[d], tiles[d])
    return tiles


def _near_divisor(n: int, t: int) -> int:
    for cand in range(t, max(1, (t + 1) // 2) - 1, -1):
        if n % cand == 0:
            return cand
    return t


def restrict(
    op: LinalgStructuredOperation,
    offsets: Sequence[int | SSAValue],
    sizes: Sequence[int],
) -> list[Operation]:
    """Subviews of every operand for the box `offsets`/`sizes` of the loop
    space, and the op on them (with its maps unchanged)."""
    created: list[Operation] = []
    new_operands: list[SSAValue] = []
    for operand, attr in zip(op.operands, op.get_indexing_maps().data, strict=True):
        t = operand.type
        if not isinstance(t, MemRefType):
            new_operands.append(operand)
            continue
        offs: list[int | SSAValue] = []
        lens: list[int] = []
        for r, expr in enumerate(attr.data.results):
            if isinstance(expr, AffineDimExpr):
                offs.append(offsets[expr.position])
                lens.append(sizes[expr.position])
            else:
                offs.append(0)
                lens.append(t.get_shape()[r])
        if all(o == 0 for o in offs) and tuple(lens) == t.get_shape():
            new_operands.append(operand)
            continue
        view = mv.subview(operand, offs, lens, [1] * len(lens))
        created.append(view)
        new_operands.append(view.result)
    n_in = len(op.inputs)
    created.append(mv.rebuild_linalg(op, new_operands[:n_in], new_operands[n_in:]))
    for new in created:
        new.location = op.location
    return created
