"""tile-linalg: wrap large linalg ops in `scf.parallel` tile loops
(docs/ir-levels.md §3 -> §4).

Precondition: the `buffers` form (§3): linalg ops on static-shape memrefs at
the top level of each function or of its loops and branches (`scf.for`,
`scf.while`, `scf.if`), each block tiled on its own.

Produces the `loops` form (§4). An op whose iteration space has at least
`min_points` points is tiled along its parallel dims; reduction dims stay
whole inside a tile, and `linalg.matmul` is tiled along the rows of M only. A
dim is tileable where every indexing map uses it, if at all, as a plain
result `dI` (never inside `dI * s + c`) and no `linalg.index` in the body
reads it (an index counts from the start of the op it is in), so a tile of
every operand is a `memref.subview` at the tile's offset with the tile's
size, and the op inside the loop keeps its indexing maps and body unchanged.

Tile sizes come from the shapes: outermost tileable dims are cut first, each
to the largest size keeping the bytes one tile touches across all operands
within `max_tile_bytes` (128 KiB: about a core's L2 share), so that a tile is
a block of whole rows where rows fit. An op left in one tile is split in two
along its outermost tileable dim of size > 1, so the two cores both work.

Tail tiles: subview sizes stay static, as xDSL verifies linalg ops from
static shapes. A tile size is replaced by the largest divisor of its dim
between half of it and it where one exists; otherwise the dim is split into a
main range `[0, L - L % t)` stepped by `t` and one static remainder tile
`[L - L % t, L)`. With several tiled dims this gives up to 2^k pieces, each
one `scf.parallel` over its main ranges (or a plain op when it has none).

Each loop carries `tfir.tile = array<i64: ...>`, the tile size of each of its
induction variables. Every op created keeps the tiled op's location.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product
from math import prod

from xdsl.context import Context
from xdsl.dialects import arith, func, scf
from xdsl.dialects.builtin import DenseArrayBase, IndexType, IntegerAttr, ModuleOp, i64
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.lowering.utils.control_blocks import structured_blocks
from tfir.lowering.utils.tiling import choose_tiles, restrict, tileable_dims


@dataclass
class _Piece:
    """Per loop dim: a main range stepped by a tile (loop) or one static box."""

    loops: dict[int, tuple[int, int]]  # dim -> (end of main range, tile)
    static: dict[int, tuple[int, int]]  # dim -> (offset, size)


def _pieces(ranges: Sequence[int], tiles: Sequence[int]) -> list[_Piece]:
    options: list[list[tuple[str, int, int]]] = []
    for n, t in zip(ranges, tiles, strict=True):
        if t >= n:
            options.append([("static", 0, n)])
            continue
        main, rest = n - n % t, n % t
        opts = [("loop", main, t)] if main // t > 1 else [("static", 0, t)]
        if rest:
            opts.append(("static", main, rest))
        options.append(opts)
    pieces = []
    for choice in product(*options):
        loops = {d: (a, b) for d, (kind, a, b) in enumerate(choice) if kind == "loop"}
        static = {d: (a, b) for d, (kind, a, b) in enumerate(choice) if kind == "static"}
        pieces.append(_Piece(loops, static))
    return pieces


def _index(value: int, loc) -> arith.ConstantOp:
    const = arith.ConstantOp(IntegerAttr.from_index_int_value(value))
    const.location = loc
    return const


def _emit_piece(op: LinalgStructuredOperation, piece: _Piece, at: InsertPoint) -> None:
    n = op.get_num_loops()
    if not piece.loops:
        offsets = [piece.static[d][0] for d in range(n)]
        Rewriter.insert_op(restrict(op, offsets, [piece.static[d][1] for d in range(n)]), at)
        return
    loop_dims = sorted(piece.loops)
    zero = _index(0, op.location)
    ubs = [_index(piece.loops[d][0], op.location) for d in loop_dims]
    steps = [_index(piece.loops[d][1], op.location) for d in loop_dims]
    Rewriter.insert_op([zero, *ubs, *steps], at)
    body = Block(arg_types=[IndexType()] * len(loop_dims))
    ivs = dict(zip(loop_dims, body.args, strict=True))
    offsets: list[int | SSAValue] = [
        ivs[d] if d in ivs else piece.static[d][0] for d in range(n)
    ]
    sizes = [piece.loops[d][1] if d in ivs else piece.static[d][1] for d in range(n)]
    body.add_ops([*restrict(op, offsets, sizes), scf.ReduceOp()])
    body.last_op.location = op.location  # type: ignore[union-attr]
    loop = scf.ParallelOp(
        [zero] * len(loop_dims), ubs, steps, Region(body)
    )
    loop.attributes["tfir.tile"] = DenseArrayBase.from_list(
        i64, [piece.loops[d][1] for d in loop_dims]
    )
    loop.location = op.location
    Rewriter.insert_op(loop, at)


@dataclass(frozen=True)
class TileLinalgPass(ModulePass):
    """Tile large linalg ops into scf.parallel loops (docs/ir-levels.md §4)."""

    name = "tile-linalg"

    min_points: int = 16384
    max_tile_bytes: int = 128 * 1024
    min_tiles: int = 2

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for func_op in op.ops:
            if not isinstance(func_op, func.FuncOp) or not func_op.body.blocks:
                continue
            for block in structured_blocks(func_op):  # loop bodies too: a tile loop inside the loop
                for inner in list(block.ops):
                    if isinstance(inner, LinalgStructuredOperation):
                        self.tile(inner)

    def tile(self, op: LinalgStructuredOperation) -> None:
        ranges = op.get_static_loop_ranges()
        if prod(ranges) < self.min_points or not tileable_dims(op):
            return
        tiles = choose_tiles(op, self.max_tile_bytes, self.min_tiles)
        if list(tiles) == list(ranges):
            return
        at = InsertPoint.before(op)
        for piece in _pieces(ranges, tiles):
            _emit_piece(op, piece, at)
        Rewriter.erase_op(op)
