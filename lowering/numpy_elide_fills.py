"""`numpy-elide-fills`: a fill that the next op overwrites is erased.

Precondition: the `loops` form (docs/ir-levels.md section 4) after
`numpy-schedule`, which runs matmuls (and other contractions) whole or
inside row-group tiles.

An op whose NumPy code writes its output outright once it knows what the
output holds, right after a `linalg.fill` (or a tile loop of fills) of that
output: a matmul or a contraction `out + a * b` filled with 0
(`np.matmul(..., out=c)`), a reduction filled with its combiner's identity
(`np.add.reduce(x, axis=1, out=s)`). The fill is erased and the op marked
`tfir.filled = <value>`, so that the code generator still knows what its
output holds (lowering/utils/fills.py). The output is the fill's whole
buffer, or the same view of it (the block of rows a row group's tile
fills, then reduces into); an op that also reads its output's buffer keeps
its fill. Every block counts, tile loops' bodies included.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref, scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from tfir.lowering.utils.fills import FILLED, constant_value, filled_with, same_view
from tfir.lowering.utils.linalg_ops import contraction, identity, reduction
from tfir.lowering.utils.memref_views import RESHAPE_OPS, root_of
from tfir.lowering.utils.tile_loops import TRANSPARENT


def elide_fills(fn: func.FuncOp) -> int:
    """Drops each fill that the next op overwrites (see the module's doc) and
    marks that op `tfir.filled`; returns how many went."""
    erased = 0
    for op in [o for o in fn.walk() if isinstance(o, LinalgStructuredOperation)]:
        if FILLED in op.attributes or len(op.outputs) != 1:
            continue
        prev = op.prev_op
        while isinstance(prev, (*TRANSPARENT, memref.SubviewOp)):
            prev = prev.prev_op
        fills = _fills(prev)
        if prev is None or len(fills) != 1:
            continue
        value = constant_value(fills[0].inputs[0])
        if value is None or value != _overwrites_from(op) or filled_with(op, op.outputs[0]) != value \
                or not _covers(fills[0].outputs[0], op.outputs[0], isinstance(prev, scf.ParallelOp)):
            continue  # (filled_with: the fills cover all the op writes)
        out_root = root_of(op.outputs[0])
        if any(root_of(v) == out_root for v in op.inputs):
            continue  # it reads what it writes: the fill is read
        op.attributes[FILLED] = fills[0].inputs[0].owner.value  # type: ignore[union-attr]
        Rewriter.erase_op(prev)
        erased += 1
    return erased


def _overwrites_from(op: LinalgStructuredOperation) -> float | int | None:
    """The value the output of `op` must hold for its NumPy code to write it
    outright (without reading it): 0 for a matmul or contraction, the
    combiner's identity for a reduction; None for any other op."""
    if isinstance(op, linalg.MatmulOp) or contraction(op) is not None:
        return 0
    red = reduction(op)
    if red is None or len(red.kinds) != 1:
        return None
    return identity(red.kinds[0], op.outputs[0].type.get_element_type())  # type: ignore[union-attr]


def _covers(filled: SSAValue, out: SSAValue, tiled: bool) -> bool:
    """The fill (`tiled`: a tile loop of fills, which covers its buffer) wrote
    all of what `out` is: the same whole buffer, or the same view of one."""
    if filled == out or same_view(filled, out):
        return True
    root = root_of(out, RESHAPE_OPS)
    if not isinstance(root.owner, memref.AllocOp):
        return False
    return root_of(filled) == root if tiled else root_of(filled, RESHAPE_OPS) == root


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
    """Fills that the next op overwrites -> a `tfir.filled` mark."""

    name = "numpy-elide-fills"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for fn in op.ops:
            if isinstance(fn, func.FuncOp) and not fn.is_declaration:
                elide_fills(fn)
