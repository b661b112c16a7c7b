"""`drop-overwritten-stores`: a store a later one overwrites is dropped.

Precondition: the `device` level (docs/ir-levels.md section 6), after `cse`
(equal offsets and masks are then one value).

Buffer planning may give two values of a row group one buffer (a row's max,
then its sum); the group stores both where only the last is ever read. A
store is dropped when a later store in the same block writes the same
buffer at the same offsets under the same mask and nothing in between reads
that buffer or runs a nested region.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from tfir.dialects import device
from tfir.lowering.utils.device import kernels


def _overwritten(block: Block) -> list[device.StoreOp]:
    dead = []
    pending: list[device.StoreOp] = []
    for op in block.ops:
        if op.regions:
            pending = []
        elif isinstance(op, device.LoadOp):
            pending = [s for s in pending if s.base != op.base]
        elif isinstance(op, device.StoreOp):
            same = [s for s in pending if s.base == op.base and s.offsets == op.offsets
                    and s.mask == op.mask]
            dead += same
            pending = [s for s in pending if s not in same] + [op]
    return dead


def drop_overwritten_stores(module: ModuleOp) -> None:
    for kernel in kernels(module):
        for store in _overwritten(kernel.body.block):
            Rewriter.erase_op(store)


@dataclass(frozen=True)
class DropOverwrittenStoresPass(ModulePass):
    """Stores that a later store of the same lanes overwrites -> gone."""

    name = "drop-overwritten-stores"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        drop_overwritten_stores(op)
