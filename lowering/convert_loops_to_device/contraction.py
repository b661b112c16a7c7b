"""Contractions as `device.dot` kernels.

A contraction is a float `linalg.generic` with one reduction dim k whose
body yields `out + x * y`, where x depends only on operands indexed without
the output's last dim n and y only on operands indexed without the one
before it, m: batched matmuls (`q @ k^T` in attention), including ops fused
into either side (softmax's normalisation before `@ v`). Each program
computes a BLOCK_M x BLOCK_N tile of one batch: in a loop over k blocks it
evaluates x on a BLOCK_M x BLOCK_K tile and y on a BLOCK_K x BLOCK_N tile
and accumulates their `device.dot`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.dialects.builtin import AnyFloat, Float64Type, LocationAttr, i32
from xdsl.dialects.linalg.ops import GenericOp
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap

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
from tfir.lowering.convert_loops_to_device.kinds import acc_type, dot_sizes
from tfir.lowering.utils.linalg_ops import body_slice, contraction


@dataclass
class Contraction:
    op: GenericOp
    batch: list[int]  # iteration dims, outermost first
    m: int
    n: int
    k: int
    lhs: SSAValue  # the body value x of `out + x * y`
    rhs: SSAValue
    inputs: list[Access]
    output: Access
    ranges: tuple[int, ...]
    core: frozenset[Operation]  # the `*` and `+` the dot performs
    init: float | int | None = None


def _dims_of(amap: AffineMap) -> set[int]:
    return {e.position for e in amap.results if isinstance(e, AffineDimExpr)}


def _side(op: GenericOp, value: SSAValue, maps: Sequence[AffineMap], banned: int) -> bool:
    """Whether `value` is computed from inputs indexed without dim `banned`."""
    block = op.body.block
    ops = body_slice(block, [value])
    if any(o.name == "linalg.index" for o in ops):
        return False
    used = {o for s in ops for o in s.operands} | {value}
    return all(banned not in _dims_of(amap)
               for arg, amap in zip(block.args[:len(op.inputs)], maps[:len(op.inputs)], strict=True)
               if arg in used)


def find_contraction(op: GenericOp, maps: list[AffineMap], ranges: tuple[int, ...],
                     accesses: tuple[list[Access], list[Access]]) -> Contraction | None:
    iters = [it.data.value for it in op.iterator_types]
    red = [i for i, it in enumerate(iters) if it == "reduction"]
    out_map = maps[-1]
    if len(red) != 1 or len(op.outputs) != 1 or len(out_map.results) < 2:
        return None
    if not isinstance(element_of(op.outputs[0].type), AnyFloat):
        return None
    outs = [e.position for e in out_map.results if isinstance(e, AffineDimExpr)]
    if len(outs) != len(out_map.results):
        return None
    found = contraction(op)
    if found is None or not isinstance(found.sum, arith.AddfOp):
        return None
    m, n = outs[-2], outs[-1]
    x, y = found.factors
    if not (_side(op, x, maps, n) and _side(op, y, maps, m)):
        x, y = y, x
        if not (_side(op, x, maps, n) and _side(op, y, maps, m)):
            return None
    return Contraction(op, outs[:-2], m, n, red[0], x, y, accesses[0], accesses[1][0], ranges,
                       frozenset({found.product, found.sum}))


def _tile_dims(kb: KernelBuilder, c: Contraction, batch: Sequence[SSAValue],
               placed: dict[int, SSAValue], tile: tuple[int, int]) -> list[SSAValue | None]:
    dims: list[SSAValue | None] = [None] * len(c.ranges)
    for d, b in zip(c.batch, batch, strict=True):
        dims[d] = kb.splat(b, tile)
    for d, v in placed.items():
        dims[d] = v
    return dims


def _side_tile(kb: KernelBuilder, c: Contraction, value: SSAValue, dims, mask,
               tile: tuple[int, int]) -> SSAValue:
    """`value` of the body evaluated on a tile (loading what it reads)."""
    block = c.op.body.block
    ops = body_slice(block, [value])
    used = {o for s in ops for o in s.operands} | {value}
    args: list[SSAValue | None] = []
    for arg, acc in zip(block.args[:len(c.inputs)], c.inputs, strict=True):
        if arg in used:
            offs = kb.offsets(acc, dims, tile, hint="offs_" + (acc.base.name_hint or "in"))
            args.append(kb.load(acc, offs, mask, acc.base.name_hint))
        else:
            args.append(None)
    skip = frozenset(set(block.ops) - ops)
    env = tensorize_body(kb, block, [*args, None], tile, dims, skip)
    if not ops:
        return env[value]  # a plain load: masked lanes are already 0
    # masked lanes of a computed side (1 / 0 = inf) must not reach the dot: inf * 0 is NaN
    return kb.emit(device.SelectOp(mask, env[value], kb.like(0.0, env[value].type)))


def contraction_kernel(name: str, loc: LocationAttr, c: Contraction
                       ) -> tuple[device.KernelOp, list[SSAValue]]:
    m, n, k = c.ranges[c.m], c.ranges[c.n], c.ranges[c.k]
    elem = element_of(c.output.base.type)
    bm, bn, bk = dot_sizes(m, n, k, True)
    bases = list(dict.fromkeys(a.base for a in [*c.inputs, c.output]))
    kb = KernelBuilder(bases, loc)
    rm = kb.lanes(kb.binop(arith.MuliOp, kb.program_id(0), kb.const(bm, i32), "m0"), bm,
                  "BLOCK_M", "rm")
    rn = kb.lanes(kb.binop(arith.MuliOp, kb.program_id(1), kb.const(bn, i32), "n0"), bn,
                  "BLOCK_N", "rn")
    batch_shape = [c.ranges[d] for d in c.batch]
    batch = decompose(kb, kb.program_id(2), batch_shape, [True] * len(batch_shape)) \
        if batch_shape else []
    mask_m, mask_n = kb.cmp("lt", rm, m, "mask_m"), kb.cmp("lt", rn, n, "mask_n")
    out_tile = (bm, bn)
    out_dims = _tile_dims(kb, c, batch, {c.m: kb.place(rm, 0, out_tile),
                                          c.n: kb.place(rn, 1, out_tile)}, out_tile)
    out_mask = mask_and(kb, kb.place(mask_m, 0, out_tile), kb.place(mask_n, 1, out_tile))
    out_offs = kb.offsets(c.output, out_dims, out_tile, hint="offs_" + (c.output.base.name_hint
                                                                          or "out"))
    acc_elem = acc_type(elem)
    if c.init is None:
        acc = kb.load(c.output, out_offs, out_mask, "acc")
        if acc_elem != elem:
            acc = kb.emit(device.CastOp(acc, acc_elem), "acc")
    else:
        acc = kb.const(c.init, acc_elem, [bm, bn])
        acc.name_hint = "acc"
    with kb.loop(k, bk, [acc]) as loop:
        kk = kb.lanes(loop.body.block.args[0], bk, "BLOCK_K", "rk")
        mask_k = kb.cmp("lt", kk, k, "mask_k")
        a_tile, b_tile = (bm, bk), (bk, bn)
        a_dims = _tile_dims(kb, c, batch, {c.m: kb.place(rm, 0, a_tile),
                                            c.k: kb.place(kk, 1, a_tile)}, a_tile)
        b_dims = _tile_dims(kb, c, batch, {c.k: kb.place(kk, 0, b_tile),
                                            c.n: kb.place(rn, 1, b_tile)}, b_tile)
        a = _side_tile(kb, c, c.lhs, a_dims,
                       mask_and(kb, kb.place(mask_m, 0, a_tile), kb.place(mask_k, 1, a_tile)),
                       a_tile)
        b = _side_tile(kb, c, c.rhs, b_dims,
                       mask_and(kb, kb.place(mask_k, 0, b_tile), kb.place(mask_n, 1, b_tile)),
                       b_tile)
        if element_of(a.type) != element_of(b.type) or (
                isinstance(acc_elem, Float64Type) and element_of(a.type) != acc_elem):
            a, b = (kb.emit(device.CastOp(v, acc_elem)) for v in (a, b))
        kb.end_loop([kb.emit(device.DotOp(a, b, loop.body.block.args[1]), "acc")])
    kb.store(c.output, out_offs, loop.results[0], out_mask)
    grid = [cdiv(m, bm), cdiv(n, bn), math.prod(batch_shape)]
    return kb.finish(name, grid, 4), bases

