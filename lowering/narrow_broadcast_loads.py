"""`narrow-broadcast-loads`: loads of broadcast operands as 1-D blocks.

Precondition: the `device` level (docs/ir-levels.md section 6), after `cse`.

A bias `b[n]` added to an `M x N` tile is loaded at offsets that repeat one
index block along the tile's other axis. Such a load becomes the 1-D load
under that axis's own mask, placed into the tile by `expand_dims` and
`broadcast` (`tl.load(b_ptr + rn, mask=mask_n)[None, :]`): one load per
column instead of one per element.

Lanes outside the other axis's mask now hold loaded values instead of
`other`; that is safe where masked lanes are never used unmasked (stores are
masked, reductions select the identity first). A dot reads its operand tiles
unmasked, so loads that feed one are kept (as in `inline-scalar-constants`).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.dialects import device
from tfir.dialects.device import shape_of
from tfir.lowering.utils.device import dot_inputs, kernels


def _placed(value: SSAValue) -> tuple[SSAValue, int] | None:
    """`(v, axis)` when a 2-D `value` is a 1-D block `v` laid along `axis`."""
    owner = value.owner
    if isinstance(owner, device.BroadcastOp):
        owner = owner.input.owner
    if not isinstance(owner, device.ExpandDimsOp) or len(shape_of(owner.input.type)) != 1 \
            or len(shape_of(value.type)) != 2:
        return None
    return owner.input, 1 - owner.axis.value.data


def _axis_mask(mask: SSAValue, axis: int) -> SSAValue | None:
    """The 1-D mask along `axis` of a 2-D mask `rows & cols`."""
    owner = mask.owner
    if not isinstance(owner, arith.AndIOp):
        return None
    for part in owner.operands:
        placed = _placed(part)
        if placed is not None and placed[1] == axis:
            return placed[0]
    return None


def _narrow(load: device.LoadOp) -> None:
    placed = _placed(load.offsets)
    if placed is None:
        return
    offsets, axis = placed
    mask = _axis_mask(load.mask, axis)
    if mask is None or shape_of(mask.type) != shape_of(offsets.type):
        return
    new = device.LoadOp(load.base, offsets, mask, load.other)
    expand = device.ExpandDimsOp(new.result, 1 - axis)
    ops: list[Operation] = [new, expand]
    if shape_of(expand.result.type) != shape_of(load.result.type):
        ops.append(device.BroadcastOp(expand.result, shape_of(load.result.type)))
    for op in ops:
        op.location = load.location
    new.result.name_hint = load.result.name_hint
    Rewriter.insert_op(ops, InsertPoint.before(load))
    Rewriter.replace_op(load, [], [ops[-1].results[0]])


def narrow_broadcast_loads(module: ModuleOp) -> None:
    for kernel in kernels(module):
        unmasked = dot_inputs(kernel)
        for load in [op for op in kernel.walk() if isinstance(op, device.LoadOp)]:
            if load not in unmasked:
                _narrow(load)


@dataclass(frozen=True)
class NarrowBroadcastLoadsPass(ModulePass):
    """Loads of an operand broadcast along one tile axis -> 1-D loads."""

    name = "narrow-broadcast-loads"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        narrow_broadcast_loads(op)
