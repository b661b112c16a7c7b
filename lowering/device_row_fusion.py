"""Helpers of `convert-loops-to-device`: one kernel per row for row groups.

A row group is a run of `linalg.generic`s that share rows: reductions over
the same dims R of the same iteration space P x R (softmax's max and sum,
layernorm's mean and variance), elementwise ops over P x R, and elementwise
ops over P alone (`mean = sum / n`), where each member reads what earlier
members produced exactly at its own row (and column). When a row fits in
registers (`MAX_ROW`), the group becomes one kernel: a program per block of
rows loads each input tile once, keeps every intermediate in registers and
stores only the buffers read after the group.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from xdsl.dialects import arith, func, linalg, memref
from xdsl.dialects.builtin import LocationAttr, i32
from xdsl.ir import Operation, SSAValue

from tfir.dialects import device
from tfir.dialects.device import element_of
from tfir.lowering.device_kernel_kinds import (
    MAX_ROW,
    ReductionSpec,
    _combine,
    _reduction_sizes,
    _spread,
    _warps,
)
from tfir.lowering.device_kernels import (
    Access,
    KernelBuilder,
    cdiv,
    decompose,
    identity,
    mask_and,
    tensorize_body,
)


@dataclass
class Member:
    op: linalg.GenericOp
    tile: bool  # iterates P x R (else P alone)
    inputs: list[Access]
    outputs: list[Access]
    spec: ReductionSpec | None = None  # for a reduction
    store: list[bool] = field(default_factory=list)


@dataclass
class RowGroup:
    ranges: tuple[int, ...]  # of the P x R space
    reduced: tuple[int, ...]
    members: list[Member]
    fills: dict[SSAValue, float | int] = field(default_factory=dict)  # folded, by output

    @property
    def par(self) -> list[int]:
        return [d for d in range(len(self.ranges)) if d not in self.reduced]

    def row_access(self, acc: Access) -> Access:
        """A P-space access seen from the P x R space."""
        coeffs = [0] * len(self.ranges)
        for i, d in enumerate(self.par):
            coeffs[d] = acc.coeffs[i]
        return Access(acc.base, tuple(coeffs), acc.const)


def _produced(group: RowGroup) -> dict[SSAValue, tuple[Member, int]]:
    return {out: (m, i) for m in group.members for i, out in enumerate(m.op.outputs)}


def reads_ok(group: RowGroup, member: Member) -> bool:
    """Whether `member` reads the group's results only at its own row/column."""
    produced = _produced(group)
    written = {a.base for m in group.members for a in m.outputs}
    read = {a.base for m in group.members for a in m.inputs}
    if any(a.base in read for a in member.outputs):
        return False  # would overwrite what an earlier member read
    for value, acc in zip(member.op.inputs, member.inputs, strict=True):
        if value not in produced:
            if acc.base in written:
                return False
            continue
        prod, i = produced[value]
        want = prod.outputs[i]
        if prod.tile and not member.tile:
            return False
        if member.tile and not prod.tile:
            want = group.row_access(want)
        if acc != want:
            return False
    return True


def _member_reads(kb: KernelBuilder, group: RowGroup, member: Member, regs, cache, dims,
                  mask, tile_shape) -> list[SSAValue]:
    args = []
    for value, acc in zip(member.op.inputs, member.inputs, strict=True):
        if value in regs:
            reg, is_tile = regs[value]
            args.append(reg if is_tile or not member.tile else kb.place(reg, 0, tile_shape))
            continue
        key = (acc, member.tile)
        if key not in cache:
            offs = kb.offsets(acc, dims, kb_shape(mask), hint="offs_" + (acc.base.name_hint or "in"))
            cache[key] = kb.load(acc, offs, mask, acc.base.name_hint)
        args.append(cache[key])
    return args


def kb_shape(value: SSAValue) -> list[int]:
    return list(value.type.get_shape())  # type: ignore[attr-defined]


def row_group_kernel(name: str, loc: LocationAttr, group: RowGroup
                     ) -> tuple[device.KernelOp, list[SSAValue]]:
    par, red = group.par, list(group.reduced)
    par_shape = [group.ranges[d] for d in par]
    red_shape = [group.ranges[d] for d in red]
    rows, cols, _ = _reduction_sizes(math.prod(par_shape), math.prod(red_shape))
    tile = (rows, cols)
    bases = list(dict.fromkeys(a.base for m in group.members for a in [*m.inputs, *m.outputs]))
    kb = KernelBuilder(bases, loc)
    row = kb.lanes(kb.binop(arith.MuliOp, kb.program_id(0), kb.const(rows, i32)), rows,
                   "BLOCK_R", "rows")
    pmask = kb.cmp("lt", row, math.prod(par_shape), "row_mask")
    row_dims = decompose(kb, row, par_shape, [True] * len(par))
    col = kb.lanes(0, cols, "BLOCK_C", "cols")
    cmask = kb.cmp("lt", col, math.prod(red_shape), "col_mask")
    col_dims = decompose(kb, col, red_shape, [True] * len(red))
    full: list[SSAValue | None] = [None] * len(group.ranges)
    for d, v in zip(par, row_dims, strict=True):
        full[d] = v
    tile_dims = _spread(kb, full, 0, tile)
    for d, v in zip(red, _spread(kb, col_dims, 1, tile), strict=True):
        tile_dims[d] = v
    tmask = mask_and(kb, kb.place(pmask, 0, tile), kb.place(cmask, 1, tile))
    regs: dict[SSAValue, tuple[SSAValue, bool]] = {}
    cache: dict[tuple[Access, bool], SSAValue] = {}
    for member in group.members:
        kb.loc = member.op.location
        dims = tile_dims if member.tile else row_dims
        mask = tmask if member.tile else pmask
        args = _member_reads(kb, group, member, regs, cache, dims, mask, tile)
        body = member.op.body.block
        shape = tile if member.tile else (rows,)
        skip = member.spec.skip if member.spec is not None else frozenset()
        env = tensorize_body(kb, body, args + [None] * len(member.outputs), shape, dims, skip)
        if member.spec is None:
            values = [env[v] for v in body.last_op.operands]  # type: ignore[union-attr]
        else:
            values = _reduce_rows(kb, group, member, env, tmask, pmask, full, rows)
        plain = member.tile and member.spec is None  # a tile value, not a row
        for out, acc, value, store in zip(member.op.outputs, member.outputs, values, member.store,
                                          strict=True):
            regs[out] = (value, plain)
            if store:
                where = dims if plain or not member.tile else full
                offs = kb.offsets(acc, where, kb_shape(value),
                                  hint="offs_" + (acc.base.name_hint or "out"))
                kb.store(acc, offs, value, tmask if plain else pmask)
    kb.loc = loc
    return kb.finish(name, [cdiv(math.prod(par_shape), rows)], _warps(rows * cols)), bases


def _reduce_rows(kb: KernelBuilder, group: RowGroup, member: Member, env, tmask: SSAValue,
                 pmask: SSAValue, row_dims: Sequence[SSAValue | None], rows: int
                 ) -> list[SSAValue]:
    """The member's reductions of the tile, folded into its outputs' initial values."""
    assert member.spec is not None
    out = []
    for kind, value, result, acc in zip(member.spec.kinds, member.spec.values,
                                        member.op.outputs, member.outputs, strict=True):
        block = env[value]
        neutral = kb.like(identity(kind, element_of(block.type)), block.type)
        part = kb.emit(device.ReduceOp(kind, kb.emit(device.SelectOp(tmask, block, neutral)), 1))
        if result in group.fills:
            init = kb.const(group.fills[result], element_of(acc.base.type), [rows])
        else:
            offs = kb.offsets(acc, row_dims, [rows], hint="offs_" + (acc.base.name_hint or "out"))
            init = kb.load(acc, offs, pmask, acc.base.name_hint)
        out.append(_combine(kb, kind, init, part))
    return out


def needs_store(group_ops: Sequence[Operation], base: SSAValue, entry: func.FuncOp) -> bool:
    """Whether a buffer a group writes is touched after the group."""
    last = group_ops[-1]
    op = last.next_op
    while op is not None:
        if any(_base(o) is base for o in op.operands):
            return True
        op = op.next_op
    return base in entry.args


def _base(value: SSAValue) -> SSAValue:
    while isinstance(op := value.owner, Operation) and isinstance(
            op, memref.SubviewOp | memref.CollapseShapeOp | memref.ExpandShapeOp):
        value = op.operands[0]
    return value


__all__ = ["MAX_ROW", "Member", "RowGroup", "needs_store", "reads_ok", "row_group_kernel"]
