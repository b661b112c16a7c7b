"""One kernel per row for row groups.

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

from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, LocationAttr, i32
from xdsl.dialects.linalg.ops import FillOp, GenericOp
from xdsl.ir import Operation, SSAValue

from tfir.dialects import device
from tfir.dialects.device import element_of
from tfir.lowering.convert_loops_to_device.kernels import (
    Access,
    KernelBuilder,
    cdiv,
    decompose,
    mask_and,
    tensorize_body,
)
from tfir.lowering.convert_loops_to_device.kinds import (
    MAX_ROW,
    ReductionSpec,
    combine,
    reduction_sizes,
    spread,
    warps_for,
)
from tfir.lowering.convert_loops_to_device.linalg import (
    access_of,
    loop_ranges,
    reduction_spec,
)
from tfir.lowering.utils.device import DeviceLoweringError
from tfir.lowering.utils.linalg_ops import identity, indexing_maps
from tfir.lowering.utils.memref_views import VIEW_OPS, root_of, touched_after, touches


@dataclass
class Member:
    op: GenericOp
    tile: bool  # iterates P x R (else P alone)
    inputs: list[Access]
    outputs: list[Access]
    spec: ReductionSpec | None = None  # for a reduction
    store: list[bool] = field(default_factory=list)

    @property
    def tile_valued(self) -> bool:
        """Its results are tiles (P x R values), not rows."""
        return self.tile and self.spec is None
    loaded: set[SSAValue] = field(default_factory=set)  # buffers it reads from memory
    inits: dict[int, float | int] = field(default_factory=dict)  # folded fills, by output


@dataclass
class RowGroup:
    ranges: tuple[int, ...]  # of the P x R space
    reduced: tuple[int, ...]
    members: list[Member]

    @property
    def par(self) -> list[int]:
        return [d for d in range(len(self.ranges)) if d not in self.reduced]

    def in_tile(self, member: Member, acc: Access) -> Access:
        """An access of a member in the P x R space."""
        return acc if member.tile else self.row_access(acc)

    def row_access(self, acc: Access) -> Access:
        """A P-space access seen from the P x R space."""
        coeffs = [0] * len(self.ranges)
        for i, d in enumerate(self.par):
            coeffs[d] = acc.coeffs[i]
        return Access(acc.base, tuple(coeffs), acc.const)


def _produced(group: RowGroup) -> dict[SSAValue, tuple[Member, int]]:
    """The latest member writing each buffer (views of it included)."""
    return {acc.base: (m, i) for m in group.members for i, acc in enumerate(m.outputs)}


def reads_ok(group: RowGroup, member: Member) -> bool:
    """Whether `member` reads the group's results only at its own row/column."""
    produced = _produced(group)
    loaded = {b for m in group.members for b in m.loaded}
    if any(a.base in loaded for a in member.outputs):
        return False  # other programs may still load what this one would overwrite
    for acc in member.inputs:
        if acc.base not in produced:
            member.loaded.add(acc.base)
            continue
        prod, i = produced[acc.base]
        if prod.tile_valued and not member.tile:
            return False
        if group.in_tile(member, acc) != group.in_tile(prod, prod.outputs[i]):
            return False
    return True


def _member_reads(kb: KernelBuilder, group: RowGroup, member: Member, regs, cache, dims,
                  mask, tile_shape) -> list[SSAValue]:
    args = []
    for acc in member.inputs:
        if acc.base in regs:
            reg, is_tile = regs[acc.base]
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
    rows, cols, _ = reduction_sizes(math.prod(par_shape), math.prod(red_shape))
    tile = (rows, cols)
    bases = list(dict.fromkeys(a.base for m in group.members for a in [*m.inputs, *m.outputs]))
    kb = KernelBuilder(bases, loc)
    row = kb.lanes(kb.binop(arith.MuliOp, kb.program_id(0), kb.const(rows, i32), "row0"), rows,
                   "BLOCK_R", "rows")
    pmask = kb.cmp("lt", row, math.prod(par_shape), "row_mask")
    row_dims = decompose(kb, row, par_shape, [True] * len(par))
    col = kb.lanes(0, cols, "BLOCK_C", "cols")
    cmask = kb.cmp("lt", col, math.prod(red_shape), "col_mask")
    col_dims = decompose(kb, col, red_shape, [True] * len(red))
    full: list[SSAValue | None] = [None] * len(group.ranges)
    for d, v in zip(par, row_dims, strict=True):
        full[d] = v
    tile_dims = spread(kb, full, 0, tile)
    for d, v in zip(red, spread(kb, col_dims, 1, tile), strict=True):
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
        plain = member.tile_valued
        for acc, value, store in zip(member.outputs, values, member.store, strict=True):
            regs[acc.base] = (value, plain)
            if store:
                where = dims if plain or not member.tile else full
                offs = kb.offsets(acc, where, kb_shape(value),
                                  hint="offs_" + (acc.base.name_hint or "out"))
                kb.store(acc, offs, value, tmask if plain else pmask)
    kb.loc = loc
    return kb.finish(name, [cdiv(math.prod(par_shape), rows)], warps_for(rows * cols)), bases


def _reduce_rows(kb: KernelBuilder, group: RowGroup, member: Member, env, tmask: SSAValue,
                 pmask: SSAValue, row_dims: Sequence[SSAValue | None], rows: int
                 ) -> list[SSAValue]:
    """The member's reductions of the tile, folded into its outputs' initial values."""
    assert member.spec is not None
    out = []
    for i, (kind, value, acc) in enumerate(zip(member.spec.kinds, member.spec.values,
                                               member.outputs, strict=True)):
        block = env[value]
        neutral = kb.like(identity(kind, element_of(block.type)), block.type)
        part = kb.emit(device.ReduceOp(kind, kb.emit(device.SelectOp(tmask, block, neutral)), 1))
        if i in member.inits:
            init = kb.const(member.inits[i], element_of(acc.base.type), [rows])
        else:
            offs = kb.offsets(acc, row_dims, [rows], hint="offs_" + (acc.base.name_hint or "out"))
            init = kb.load(acc, offs, pmask, acc.base.name_hint)
        value = combine(kb, kind, init, part)
        value.name_hint = acc.base.name_hint or value.name_hint  # the row's source name
        out.append(value)
    return out


def needs_store(group: RowGroup, base: SSAValue, entry: func.FuncOp) -> bool:
    """Whether a buffer the group writes is touched after the group: later in
    the program, or by the group itself in a later iteration of an enclosing
    loop when a member loads it (`loss = loss + sum(x)` in a loop body)."""
    computes = [m.op for m in group.members]
    rewritten = [] if any(base in m.loaded for m in group.members) else computes
    return base in entry.args or touched_after(computes[-1], base, rewritten)


# ---------------------------------------------------------------- forming groups


def member_for(group: RowGroup, op: Operation) -> Member | None:
    """`op` as the next member of `group`, if it fits."""
    if not isinstance(op, GenericOp):
        return None
    ranges, maps = loop_ranges(op), indexing_maps(op)
    iters = [it.data.value for it in op.iterator_types]
    reduced = tuple(i for i, it in enumerate(iters) if it == "reduction")
    par_shape = tuple(group.ranges[d] for d in group.par)
    if ranges == group.ranges and reduced in ((), group.reduced):
        tile = True
    elif ranges == par_shape and not reduced:
        tile = False
    else:
        return None
    n_in = len(op.inputs)
    try:
        spec = reduction_spec(op) if reduced else None
    except DeviceLoweringError:
        return None
    if spec is not None and spec.kinds[0].startswith("arg"):
        return None
    member = Member(op, tile, [access_of(v, m) for v, m in zip(op.inputs, maps[:n_in], strict=True)],
                    [access_of(v, m) for v, m in zip(op.outputs, maps[n_in:], strict=True)], spec)
    return member if reads_ok(group, member) else None


def _fold_fills(member: Member, pending: list[FillOp]) -> list[FillOp]:
    """Folds the pending fills of a reduction member's outputs into its
    initial values; returns them (and takes them out of `pending`)."""
    folded = []
    outputs = list(member.op.outputs)
    for fill in list(pending):
        value = getattr(fill.inputs[0].owner, "value", None)
        if member.spec is not None and fill.outputs[0] in outputs and \
                isinstance(value, IntegerAttr | FloatAttr):
            member.inits[outputs.index(fill.outputs[0])] = value.value.data
            folded.append(fill)
            pending.remove(fill)
    return folded


def row_group(op: GenericOp) -> tuple[RowGroup, list[Operation]] | None:
    """The row group starting at reduction `op` (with the fills it folds)."""
    iters = [it.data.value for it in op.iterator_types]
    ranges = loop_ranges(op)
    reduced = tuple(i for i, it in enumerate(iters) if it == "reduction")
    if math.prod(ranges[d] for d in reduced) > MAX_ROW:
        return None
    group = RowGroup(ranges, reduced, [])
    ops: list[Operation] = []
    pending: list[FillOp] = []
    for out in op.outputs:  # the fill right before the first reduction
        prev = op.prev_op
        while prev is not None and not touches(prev, root_of(out)):
            prev = prev.prev_op
        if isinstance(prev, FillOp) and prev.outputs[0] is out:
            pending.append(prev)
    cur: Operation | None = op
    while cur is not None:
        if isinstance(cur, FillOp):
            pending.append(cur)
        elif (member := member_for(group, cur)) is not None:
            ops += _fold_fills(member, pending)
            if pending:
                break  # a fill not folded into this member must run before it
            group.members.append(member)
            ops.append(cur)
        elif not isinstance(cur, (memref.AllocOp, memref.GetGlobalOp, *VIEW_OPS)) and \
                cur.name != "arith.constant":
            break  # host-side definitions may sit between members, nothing else
        cur = cur.next_op
    if len(group.members) < 2:
        return None
    return group, ops
