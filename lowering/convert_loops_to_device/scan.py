"""Helpers of `convert-loops-to-device`: scans (`cumsum`, `cumprod`) as
`device.scan` kernels.

The linalg form of a scan (`lowering/utils/linalg_ops.scan`: output dim `i`,
read as reduction dim `j`, body `select(j <= i, x, identity)` folded into
the output) becomes a kernel with one program per block of rows (all the
other dims flattened) and the scanned axis along the block's columns: it
evaluates the scanned value on a `BLOCK_R x BLOCK_C` tile (loading what the
body reads, fused producers included), scans it with `device.scan`
(`tl.cumsum` / `tl.cumprod`) and stores it. An axis longer than `MAX_ROW`
is done in column blocks by a loop that carries each row's total so far.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from xdsl.dialects import arith
from xdsl.dialects.builtin import LocationAttr, i32
from xdsl.dialects.linalg.ops import GenericOp
from xdsl.ir import SSAValue

from tfir.dialects import device
from tfir.dialects.device import element_of
from tfir.lowering.convert_loops_to_device.kernels import (
    Access,
    KernelBuilder,
    cdiv,
    decompose,
    is_float,
    mask_and,
    next_pow2,
    tensorize_body,
)
from tfir.lowering.convert_loops_to_device.kinds import (
    COLUMN_BLOCK,
    MAX_ROW,
    MAX_TILE,
    spread,
    warps_for,
)
from tfir.lowering.utils.linalg_ops import Scan

_COMBINE = {"cumsum": ("sum", arith.AddfOp, arith.AddiOp, 0), "cumprod": ("prod", arith.MulfOp, arith.MuliOp, 1)}


def _combine(kb: KernelBuilder, kind: str, a: SSAValue, b: SSAValue) -> SSAValue:
    _, fop, iop, _ = _COMBINE[kind]
    return kb.binop(fop if is_float(a.type) else iop, a, b)


def scan_kernel(name: str, loc: LocationAttr, op: GenericOp, form: Scan, inputs: Sequence[Access],
                output: Access, ranges: Sequence[int], init: float | int | None
                ) -> tuple[device.KernelOp, list[SSAValue]]:
    """The kernel of scan `op`; `init` is the value the output was filled with
    (None: its contents, which the scan is combined with)."""
    rows_dims = [d for d in range(len(ranges)) if d not in (form.i, form.j)]
    n_rows, n_cols = math.prod(ranges[d] for d in rows_dims), ranges[form.i]
    looped = n_cols > MAX_ROW
    bc = COLUMN_BLOCK if looped else next_pow2(n_cols)
    br = 1 if looped else max(1, min(next_pow2(n_rows), MAX_TILE // bc))
    kind, _, _, ident = _COMBINE[form.kind]
    elem = element_of(output.base.type)
    bases = list(dict.fromkeys([*(a.base for a in inputs), output.base]))
    kb = KernelBuilder(bases, loc)
    row = kb.lanes(kb.binop(arith.MuliOp, kb.program_id(0), kb.const(br, i32), "row0"), br, "BLOCK_R", "rows")
    row_mask = kb.cmp("lt", row, n_rows, "row_mask")
    dims: list[SSAValue | None] = [None] * len(ranges)
    for d, v in zip(rows_dims, decompose(kb, row, [ranges[d] for d in rows_dims], [True] * len(rows_dims)),
                    strict=True):
        dims[d] = v
    tile = (br, bc)
    row_dims = spread(kb, dims, 0, tile)

    def step(col0: SSAValue | int, carry: SSAValue | None) -> SSAValue:
        col = kb.lanes(col0, bc, "BLOCK_C", "cols")
        mask = mask_and(kb, kb.place(row_mask, 0, tile), kb.place(kb.cmp("lt", col, n_cols, "col_mask"), 1, tile))
        tdims = list(row_dims)
        tdims[form.i] = tdims[form.j] = kb.place(col, 1, tile)
        args = [kb.load(a, kb.offsets(a, tdims, tile, hint="offs_" + (a.base.name_hint or "in")), mask,
                        a.base.name_hint) for a in inputs]
        env = tensorize_body(kb, op.body.block, [*args, None], tile, tdims, form.machinery)
        value = kb.emit(device.SelectOp(mask, env[form.value], kb.like(ident, env[form.value].type)))
        scanned = kb.emit(device.ScanOp(kind, value, 1), "scan")
        if carry is not None:
            scanned = _combine(kb, form.kind, scanned, kb.place(carry, 0, tile))
        offs = kb.offsets(output, tdims, tile, hint="offs_" + (output.base.name_hint or "out"))
        if init is None or init != ident:
            before = kb.load(output, offs, mask, "before") if init is None else kb.like(init, scanned.type)
            scanned = _combine(kb, form.kind, before, scanned)
        kb.store(output, offs, scanned, mask)
        if carry is None:
            return scanned
        return _combine(kb, form.kind, carry, kb.emit(device.ReduceOp(kind, value, 1), "total"))

    if looped:
        start = kb.const(ident, elem, [br])
        start.name_hint = "carry"
        with kb.loop(n_cols, bc, [start]) as loop:
            kb.end_loop([step(loop.body.block.args[0], loop.body.block.args[1])])
    else:
        step(0, None)
    return kb.finish(name, [cdiv(n_rows, br)], warps_for(br * bc)), bases
