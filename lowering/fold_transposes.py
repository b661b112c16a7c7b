"""`fold-transposes`: a transposed copy read only by generics becomes
permuted indexing maps of its readers.

Precondition: buffers with no tile loops: the `buffers` form (numpy
target, before `plan-buffers`) or the `loops` form after `untile-loops`
(triton).

A `linalg.transpose` into a fresh buffer (`memref.alloc`) whose every other
use is an input of a `linalg.generic` in the same block, after it, is erased:
each reader reads the transpose's source instead, through its map composed
with the permutation. The device lowering then computes the transposed
indices in the readers' kernels instead of launching a copy kernel. A
transpose whose source something overwrites before its last reader is kept.

Option `contractions_only` (the numpy target): fold only into contractions
(batched matmuls as generics), which BLAS runs on the transposed layout as
it is (`np.matmul(q, k.transpose(0, 2, 1))`: a transposed operand, no copy);
an elementwise NumPy reader would read the transposed view with strides
instead, no faster than the copy.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import memref
from xdsl.dialects.builtin import AffineMapAttr, ArrayAttr, ModuleOp
from xdsl.dialects.linalg.ops import GenericOp, TransposeOp
from xdsl.ir.affine import AffineMap
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from tfir.lowering.utils.control_blocks import structured_blocks
from tfir.lowering.utils.device import entries
from tfir.lowering.utils.linalg_ops import indexing_maps, is_contraction
from tfir.lowering.utils.memref_views import root_of, writes


def fold_transpose(op: TransposeOp, contractions_only: bool = False) -> bool:
    """Makes the generics that read a transposed copy read its source through
    permuted maps instead (index arithmetic, no copy kernel). Only when the
    copy is a fresh buffer read by generics alone (contractions alone, with
    `contractions_only`) and the source is not overwritten before they run."""
    src, out = op.inputs[0], op.outputs[0]
    if not isinstance(out.owner, memref.AllocOp):
        return False
    readers = [u.operation for u in out.uses if u.operation is not op]
    if not readers or any(not isinstance(r, GenericOp) or r.parent is not op.parent
                          or out in r.outputs for r in readers):
        return False
    if contractions_only and not all(is_contraction(r) for r in readers):
        return False
    last, cur = readers, op.next_op
    pending = set(last)
    while cur is not None and pending:
        if writes(cur, root_of(src)):
            return False
        pending.discard(cur)
        cur = cur.next_op
    if pending:
        return False  # a reader before the transpose: not ours to touch
    perm = [int(p) for p in op.permutation.get_values()]
    for reader in readers:
        maps = indexing_maps(reader)
        for i, operand in enumerate(reader.inputs):
            if operand is out:
                results = maps[i].results
                maps[i] = AffineMap(maps[i].num_dims, 0,
                                    tuple(results[perm.index(m)] for m in range(len(perm))))
                reader.operands[i] = src
        reader.indexing_maps = ArrayAttr([AffineMapAttr(m) for m in maps])
    Rewriter.erase_op(op)
    if not out.uses:  # the copy's buffer, now unused
        Rewriter.erase_op(out.owner)
    return True


@dataclass(frozen=True)
class FoldTransposesPass(ModulePass):
    """Transposed copies read only by generics -> permuted maps of the readers."""

    name = "fold-transposes"

    contractions_only: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for entry in entries(op):
            for transpose in [o for block in structured_blocks(entry) for o in block.ops
                              if isinstance(o, TransposeOp)]:
                fold_transpose(transpose, self.contractions_only)
