"""`untile-loops`: the CPU tiling undone before the device lowering.

Precondition: the `loops` form (docs/ir-levels.md section 4).

`tile-linalg` cuts a large op into an `scf.parallel` (or `scf.for`) over
tiles of static size. The GPU grid tiles each op again, so each tile loop of
an entry becomes its one linalg op on the range the loop covers: static
`memref.subview`s of the buffers the tiles were views of (the buffers
themselves when the loop covers them whole). A tile loop holding more than
one linalg op is rejected (`DeviceLoweringError`). The remainder pieces
`tile-linalg` left beside a loop are joined by `merge-tile-pieces`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import IntegerAttr, ModuleOp
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.dialects.linalg.ops import FillOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.lowering.utils.control_blocks import structured_blocks
from tfir.lowering.utils.device import DeviceLoweringError, entries, static_subview
from tfir.lowering.utils.tile_loops import is_tile_loop

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
            operand = static_subview(owner.source, *_static(owner, ranges), loop)
        elif isinstance(owner, Operation) and loop.is_ancestor(owner) or \
                isinstance(owner, Block) and loop.is_ancestor(owner.parent_op()):
            raise DeviceLoweringError(f"unsupported tile operand from {owner}")
        operands.append(operand)
    whole = op.clone()
    for i, operand in enumerate(operands):
        whole.operands[i] = operand
    Rewriter.insert_op(whole, InsertPoint.before(loop))
    Rewriter.erase_op(loop, safe_erase=False)


@dataclass(frozen=True)
class UntileLoopsPass(ModulePass):
    """Tile loops -> their linalg op on the range each loop covers."""

    name = "untile-loops"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for entry in entries(op):
            for loop in [o for block in structured_blocks(entry) for o in block.ops if is_tile_loop(o)]:
                untile(loop)
