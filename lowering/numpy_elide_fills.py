"""`numpy-elide-fills`: the zero fill before a whole matmul is erased.

Precondition: the `loops` form (docs/ir-levels.md section 4) after
`numpy-schedule`, which runs matmuls (and other contractions) whole.

A matmul, or a contraction `out + a * b`, into a whole allocated buffer that
holds 0 from a `linalg.fill` (or a tile loop of fills) right before it
overwrites that buffer in NumPy (`np.matmul(..., out=c)`): the fill is
erased and the op marked `tfir.filled = 0.0`, so that the code generator
still knows what its output holds (lowering/utils/fills.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref, scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from tfir.lowering.utils.control_blocks import structured_blocks
from tfir.lowering.utils.fills import FILLED, filled_with
from tfir.lowering.utils.linalg_ops import contraction
from tfir.lowering.utils.memref_views import RESHAPE_OPS, root_of
from tfir.lowering.utils.tile_loops import TRANSPARENT


def elide_fills(fn: func.FuncOp) -> None:
    """Drops the zero fill right before a whole matmul (or contraction) into
    the same buffer (`np.matmul(..., out=c)` overwrites it anyway) and marks
    the op `tfir.filled = 0` so that the code generator still knows what
    its output holds."""
    for op in [o for block in structured_blocks(fn) for o in list(block.ops)]:  # loop bodies too
        if not _overwrites(op) or not _whole_buffer(op.outputs[0]) or filled_with(op, op.outputs[0]) != 0:
            continue
        prev = op.prev_op
        while isinstance(prev, TRANSPARENT):
            prev = prev.prev_op
        fills = _fills(prev)
        if prev is None or len(fills) != 1 or root_of(fills[0].outputs[0]) != root_of(op.outputs[0]):
            continue
        op.attributes[FILLED] = fills[0].inputs[0].owner.value  # type: ignore[union-attr]
        Rewriter.erase_op(prev)


def _whole_buffer(value: SSAValue) -> bool:
    """A whole allocated buffer (or a reshape of one): what writes all of it
    makes any earlier fill of that buffer dead."""
    return isinstance(root_of(value, RESHAPE_OPS).owner, memref.AllocOp)


def _overwrites(op: Operation) -> bool:
    """A matmul, or a contraction `out + a * b` whose code writes its output
    (`out=`) rather than adding to it, once it knows the output holds zero."""
    return isinstance(op, linalg.MatmulOp) or contraction(op) is not None


def _fills(op: Operation | None) -> list[linalg.FillOp]:
    """A fill, or the fills of a tile loop that does nothing else."""
    if isinstance(op, linalg.FillOp):
        return [op]
    if not isinstance(op, scf.ParallelOp):
        return []
    body = list(op.body.block.ops)
    if not all(isinstance(o, linalg.FillOp | memref.SubviewOp | scf.ReduceOp) for o in body):
        return []
    return [o for o in body if isinstance(o, linalg.FillOp)]


@dataclass(frozen=True)
class NumpyElideFillsPass(ModulePass):
    """Zero fills that a whole matmul overwrites -> a `tfir.filled` mark."""

    name = "numpy-elide-fills"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for fn in op.ops:
            if isinstance(fn, func.FuncOp) and not fn.is_declaration:
                elide_fills(fn)
