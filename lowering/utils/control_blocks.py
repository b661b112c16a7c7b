"""The blocks of a function's structured control flow (docs/ir-levels.md):
its body and the regions of its `scf.for` / `scf.while` / `scf.if` ops, at
any depth. Passes that rewrite straight-line code block by block (fusion,
tiling, the NumPy backend's scheduling) visit each of them; a region's ops
then never move across its loop or branch boundary."""

from __future__ import annotations

from collections.abc import Iterator

from xdsl.dialects import func, scf
from xdsl.ir import Block, Operation

CONTROL = (scf.ForOp, scf.WhileOp, scf.IfOp)


def control_blocks(op: Operation) -> Iterator[Block]:
    """The blocks of `op`'s regions if it is a loop or branch, recursively."""
    if not isinstance(op, CONTROL):
        return
    for region in op.regions:
        for block in region.blocks:
            yield block
            for inner in block.ops:
                yield from control_blocks(inner)


def structured_blocks(fn: func.FuncOp) -> list[Block]:
    """The function's block, then the blocks of its loops and branches (outer first)."""
    if not fn.body.blocks:
        return []
    out = [fn.body.block]
    for op in fn.body.block.ops:
        out.extend(control_blocks(op))
    return out
