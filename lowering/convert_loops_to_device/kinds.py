"""The three kernel shapes.

- `elementwise_kernel`: a program per flat block of an all-parallel space;
- `reduction_kernel`: a program per block of outputs x the flattened
  reduced dims (the row in registers, or a loop over column blocks);
- `matmul_kernel`: a tiled `device.dot` with a K loop and an optional
  elementwise epilogue on the accumulator.

Each returns the kernel and the host buffers to launch it with.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from xdsl.dialects import arith
from xdsl.dialects.builtin import Float32Type, Float64Type, IntegerType, LocationAttr, i32
from xdsl.ir import Attribute, Block, Operation, SSAValue

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
from tfir.lowering.utils.linalg_ops import identity

MAX_BLOCK = 1024  # lanes of an elementwise program
MAX_ROW = 4096  # a reduced row up to this many elements stays in registers
COLUMN_BLOCK = 1024  # column block of the loop over longer rows
MAX_TILE = 4096  # rows x columns of one reduction program


@dataclass
class ElementwiseSpec:
    inputs: list[Access | None]  # None: a value the caller provides (an epilogue's acc)
    outputs: list[Access]
    shape: tuple[int, ...]
    body: Block | None  # None: the outputs copy the one input (or take `fill`)
    fill: float | int | None = None


@dataclass
class ReductionSpec:
    kinds: list[str]
    values: list[SSAValue]  # what each output folds in, in the body
    skip: frozenset[Operation]  # the combiners: run on blocks by device.reduce
    axis: int | None  # the indexed axis of an arg-reduction
    inits: list[float | int | None] = field(default_factory=list)
    inputs: list[Access] = field(default_factory=list)
    outputs: list[Access] = field(default_factory=list)
    reduced: tuple[int, ...] = ()
    shape: tuple[int, ...] = ()
    body: Block | None = None


def _bases(accesses: Sequence[Access | None]) -> list[SSAValue]:
    return list(dict.fromkeys(a.base for a in accesses if a is not None))


def warps_for(lanes: int) -> int:
    return max(1, min(8, lanes // 256))


def _compute(kb: KernelBuilder, spec: ElementwiseSpec, dims: Sequence[SSAValue | None],
             shape: Sequence[int], mask: SSAValue, flat: SSAValue | None,
             given: SSAValue | None = None) -> list[SSAValue]:
    """Loads the inputs, runs the body, returns the values of the outputs."""
    loaded: list[SSAValue | None] = []
    for acc in spec.inputs:
        if acc is None:
            loaded.append(given)
            continue
        offs = kb.offsets(acc, dims, shape_of_mask(mask), flat, spec.shape,
                          "offs_" + (acc.base.name_hint or "in"))
        loaded.append(kb.load(acc, offs, mask, acc.base.name_hint))
    if spec.fill is not None:
        elem = element_of(spec.outputs[0].base.type)
        return [kb.const(spec.fill, elem, shape_of_mask(mask))]
    if spec.body is None:
        return [loaded[0]] if loaded[0] is not None else []
    args = loaded + [None] * len(spec.outputs)
    env = tensorize_body(kb, spec.body, args, shape_of_mask(mask), dims)
    return [env[v] for v in spec.body.last_op.operands]  # type: ignore[union-attr]


def shape_of_mask(mask: SSAValue) -> tuple[int, ...]:
    return tuple(mask.type.get_shape())  # type: ignore[attr-defined]


def _needed(spec: ElementwiseSpec, rank: int) -> list[bool]:
    """The dims whose index some operand needs beyond the flat lane index."""
    if spec.body is not None and any(o.name == "linalg.index" for o in spec.body.ops):
        return [True] * rank
    strides = [math.prod(spec.shape[d + 1:]) for d in range(rank)]
    needed = [False] * rank
    for acc in [*spec.inputs, *spec.outputs]:
        if acc is None or (acc.const == 0 and list(acc.coeffs) == strides):
            continue
        for d, c in enumerate(acc.coeffs):
            needed[d] |= c != 0
    return needed


def elementwise_kernel(name: str, loc: LocationAttr, spec: ElementwiseSpec
                       ) -> tuple[device.KernelOp, list[SSAValue]]:
    total = math.prod(spec.shape)
    block = min(MAX_BLOCK, next_pow2(total))
    bases = _bases([*spec.inputs, *spec.outputs])
    kb = KernelBuilder(bases, loc)
    pid = kb.program_id(0)
    start = kb.binop(arith.MuliOp, pid, kb.const(block, i32), "start")
    idx = kb.lanes(start, block, "BLOCK", "idx")
    mask = kb.cmp("lt", idx, total, "mask")
    dims = decompose(kb, idx, spec.shape, _needed(spec, len(spec.shape)))
    values = _compute(kb, spec, dims, spec.shape, mask, idx)
    for acc, value in zip(spec.outputs, values, strict=True):
        offs = kb.offsets(acc, dims, [block], idx, spec.shape,
                           "offs_" + (acc.base.name_hint or "out"))
        kb.store(acc, offs, kb.splat(value, [block]), mask)
    return kb.finish(name, [cdiv(total, block)], warps_for(block)), bases


# ---------------------------------------------------------------- reductions


def reduction_sizes(rows: int, cols: int) -> tuple[int, int, bool]:
    """(rows per program, columns per step, whether columns loop)."""
    if cols <= MAX_ROW:
        bc = next_pow2(cols)
        return max(1, min(next_pow2(rows), MAX_TILE // bc)), bc, False
    return 1, COLUMN_BLOCK, True


def spread(kb: KernelBuilder, dims: Sequence[SSAValue | None], axis: int,
            shape: Sequence[int]) -> list[SSAValue | None]:
    return [None if d is None else kb.place(d, axis, shape) for d in dims]


def combine(kb: KernelBuilder, kind: str, acc: SSAValue, part: SSAValue) -> SSAValue:
    init = acc.owner
    if isinstance(init, arith.ConstantOp) and init.value.get_values() == (
            (identity(kind, element_of(acc.type)),) * len(init.value.get_values())):
        return part  # folding into the identity changes nothing
    ops = {"sum": (arith.AddfOp, arith.AddiOp), "prod": (arith.MulfOp, arith.MuliOp),
           "max": (arith.MaximumfOp, arith.MaxSIOp), "min": (arith.MinimumfOp, arith.MinSIOp)}
    fop, iop = ops[kind]
    return kb.binop(fop if is_float(acc.type) else iop, acc, part, acc.name_hint)


def _step(kb: KernelBuilder, spec: ReductionSpec, accs: list[SSAValue], pdims, col0,
          tile: tuple[int, int], pmask: SSAValue) -> list[SSAValue]:
    """One block of columns: load, compute, reduce, fold into the accumulators."""
    rows, cols = tile
    red_shape = [spec.shape[d] for d in spec.reduced]
    col = kb.lanes(col0, cols, "BLOCK_C", "cols")
    cmask = kb.cmp("lt", col, math.prod(red_shape))
    rdims = decompose(kb, col, red_shape, [True] * len(red_shape))
    dims: list[SSAValue | None] = list(pdims)
    for d, r in zip(spec.reduced, spread(kb, rdims, 1, tile), strict=True):
        dims[d] = r
    mask = mask_and(kb, kb.place(pmask, 0, tile), kb.place(cmask, 1, tile))
    args = [kb.load(a, kb.offsets(a, dims, tile, hint="offs_" + (a.base.name_hint or "in")),
                    mask, a.base.name_hint) for a in spec.inputs]
    env = tensorize_body(kb, spec.body, args + [None] * len(spec.outputs), tile, dims, spec.skip)
    if spec.kinds[0].startswith("arg"):
        return _arg_step(kb, spec, accs, env[spec.values[0]], mask, col0)
    out = []
    for kind, value, acc in zip(spec.kinds, spec.values, accs, strict=True):
        val = kb.emit(device.SelectOp(mask, env[value], kb.like(identity(kind, element_of(
            env[value].type)), env[value].type)))
        out.append(combine(kb, kind, acc, kb.emit(device.ReduceOp(kind, val, 1))))
    return out


def _arg_step(kb: KernelBuilder, spec: ReductionSpec, accs: list[SSAValue], value: SSAValue,
              mask: SSAValue, col0) -> list[SSAValue]:
    kind = spec.kinds[0]
    val = kb.emit(device.SelectOp(mask, value, kb.like(identity(kind, element_of(value.type)),
                                                       value.type)))
    best = kb.emit(device.ReduceOp(kind[3:], val, 1), "best")
    pos = kb.emit(device.ReduceOp(kind, val, 1), "pos")
    if not (isinstance(col0, int) and col0 == 0):
        pos = kb.binop(arith.AddiOp, pos, kb.splat(col0, kb_shape(pos)))
    pos = kb.emit(device.CastOp(pos, element_of(accs[1].type)))
    better = kb.cmp("gt" if kind == "argmax" else "lt", best, accs[0], "better")
    if is_float(best.type):  # as NumPy: the first NaN wins, and stays
        fresh_nan = kb.binop(arith.AndIOp, kb.cmp("uno", best, best), kb.cmp("ord", accs[0], accs[0]))
        better = kb.binop(arith.OrIOp, better, fresh_nan, "better")
    return [kb.emit(device.SelectOp(better, best, accs[0]), accs[0].name_hint),
            kb.emit(device.SelectOp(better, pos, accs[1]), accs[1].name_hint)]


def kb_shape(value: SSAValue) -> list[int]:
    return list(value.type.get_shape())  # type: ignore[attr-defined]


def reduction_kernel(name: str, loc: LocationAttr, spec: ReductionSpec
                     ) -> tuple[device.KernelOp, list[SSAValue]]:
    par = [d for d in range(len(spec.shape)) if d not in spec.reduced]
    par_shape = [spec.shape[d] for d in par]
    n_rows, n_cols = math.prod(par_shape), math.prod(spec.shape[d] for d in spec.reduced)
    rows, cols, looped = reduction_sizes(n_rows, n_cols)
    bases = _bases([*spec.inputs, *spec.outputs])
    kb = KernelBuilder(bases, loc)
    pid = kb.program_id(0)
    row = kb.lanes(kb.binop(arith.MuliOp, pid, kb.const(rows, i32), "row0"), rows, "BLOCK_R", "rows")
    pmask = kb.cmp("lt", row, n_rows, "row_mask")
    prow = decompose(kb, row, par_shape, [True] * len(par))
    out_dims: list[SSAValue | None] = [None] * len(spec.shape)
    for d, v in zip(par, prow, strict=True):
        out_dims[d] = v
    out_offs = [kb.offsets(a, out_dims, [rows], hint="offs_" + (a.base.name_hint or "out"))
                for a in spec.outputs]
    accs = _initial(kb, spec, out_offs, pmask, rows)
    pdims = spread(kb, out_dims, 0, (rows, cols))
    if looped:
        with kb.loop(n_cols, cols, accs) as loop:
            kb.end_loop(_step(kb, spec, list(loop.body.block.args[1:]), pdims,
                              loop.body.block.args[0], (rows, cols), pmask))
        accs = list(loop.results)
    else:
        accs = _step(kb, spec, accs, pdims, 0, (rows, cols), pmask)
    for acc, offs, value in zip(spec.outputs, out_offs, accs, strict=True):
        kb.store(acc, offs, value, pmask)
    return kb.finish(name, [cdiv(n_rows, rows)], warps_for(rows * cols)), bases


def _initial(kb: KernelBuilder, spec: ReductionSpec, offs: list[SSAValue], pmask: SSAValue,
             rows: int) -> list[SSAValue]:
    """The folded fill value, or the output's current contents."""
    accs = []
    for acc, off, init in zip(spec.outputs, offs, spec.inits, strict=True):
        hint = "acc_i" if len(accs) else "acc"
        if init is not None:
            value = kb.const(init, element_of(acc.base.type), [rows])
            value.name_hint = hint
        else:
            value = kb.load(acc, off, pmask, hint)
        accs.append(value)
    return accs


# ---------------------------------------------------------------- matmul


def dot_sizes(m: int, n: int, k: int, floating: bool) -> tuple[int, int, int]:
    cap = 64 if floating else 16
    return (min(cap, max(16, next_pow2(m))), min(cap, max(16, next_pow2(n))),
            min(32 if floating else 16, max(16, next_pow2(k))))


def acc_type(elem: Attribute) -> Attribute:
    if isinstance(elem, Float64Type | IntegerType):
        return elem
    return Float32Type()


def _operand_tile(kb: KernelBuilder, acc: Access, d0: SSAValue, d1: SSAValue,
                  dims_of: tuple[int, int], masks: tuple[SSAValue, SSAValue],
                  tile: tuple[int, int], hint: str) -> SSAValue:
    dims: list[SSAValue | None] = [None, None, None]
    dims[dims_of[0]], dims[dims_of[1]] = kb.place(d0, 0, tile), kb.place(d1, 1, tile)
    mask = mask_and(kb, kb.place(masks[0], 0, tile), kb.place(masks[1], 1, tile))
    return kb.load(acc, kb.offsets(acc, dims, tile, hint="offs_" + hint), mask, hint)


def _dot(kb: KernelBuilder, a: SSAValue, b: SSAValue, acc: SSAValue,
         tiles: tuple[int, int, int]) -> SSAValue:
    if is_float(acc.type):
        if element_of(a.type) != element_of(acc.type) and isinstance(element_of(acc.type),
                                                                     Float64Type):
            a, b = (kb.emit(device.CastOp(v, element_of(acc.type))) for v in (a, b))
        return kb.emit(device.DotOp(a, b, acc), "acc")
    bm, bn, bk = tiles  # no integer MMA: multiply-and-sum on a 3-D block
    a3 = kb.emit(device.BroadcastOp(kb.emit(device.ExpandDimsOp(a, 2)), [bm, bk, bn]))
    b3 = kb.emit(device.BroadcastOp(kb.emit(device.ExpandDimsOp(b, 0)), [bm, bk, bn]))
    prod = kb.binop(arith.MuliOp, a3, b3)
    return kb.binop(arith.AddiOp, acc, kb.emit(device.ReduceOp("sum", prod, 1)), "acc")


def matmul_kernel(name: str, loc: LocationAttr, a: Access, b: Access, c: Access,
                  mnk: tuple[int, int, int], init: float | int | None,
                  epi: ElementwiseSpec | None, epi_loc: LocationAttr | None,
                  elem: Attribute) -> tuple[device.KernelOp, list[SSAValue]]:
    m, n, k = mnk
    bm, bn, bk = dot_sizes(m, n, k, is_float(elem))
    outs = epi.outputs if epi is not None else [c]
    ins = [x for x in (epi.inputs if epi is not None else []) if x is not None]
    bases = _bases([a, b, *ins, *outs] + ([] if epi is not None else [c]))
    kb = KernelBuilder(bases, loc)
    rm = kb.lanes(kb.binop(arith.MuliOp, kb.program_id(0), kb.const(bm, i32), "m0"), bm,
                  "BLOCK_M", "rm")
    rn = kb.lanes(kb.binop(arith.MuliOp, kb.program_id(1), kb.const(bn, i32), "n0"), bn,
                  "BLOCK_N", "rn")
    mask_m, mask_n = kb.cmp("lt", rm, m, "mask_m"), kb.cmp("lt", rn, n, "mask_n")
    acc_elem = acc_type(elem)
    if init is None:
        acc = _operand_tile(kb, c, rm, rn, (0, 1), (mask_m, mask_n), (bm, bn), "acc")
        if acc_elem != elem:
            acc = kb.emit(device.CastOp(acc, acc_elem), "acc")
    else:
        acc = kb.const(init, acc_elem, [bm, bn])
        acc.name_hint = "acc"
    with kb.loop(k, bk, [acc]) as loop:
        kk = kb.lanes(loop.body.block.args[0], bk, "BLOCK_K", "rk")
        mask_k = kb.cmp("lt", kk, k, "mask_k")
        ta = _operand_tile(kb, a, rm, kk, (0, 2), (mask_m, mask_k), (bm, bk), "a")
        tb = _operand_tile(kb, b, kk, rn, (2, 1), (mask_k, mask_n), (bk, bn), "b")
        kb.end_loop([_dot(kb, ta, tb, loop.body.block.args[1], (bm, bn, bk))])
    product = loop.results[0]
    if acc_elem != elem:
        product = kb.emit(device.CastOp(product, elem), "c")
    tile = (bm, bn)
    dims = [kb.place(rm, 0, tile), kb.place(rn, 1, tile)]
    mask = mask_and(kb, kb.place(mask_m, 0, tile), kb.place(mask_n, 1, tile))
    values = [product]
    if epi is not None:
        kb.loc = epi_loc or loc
        values = _compute(kb, epi, dims, tile, mask, None, product)
    for acc_out, value in zip(outs, values, strict=True):
        kb.store(acc_out, kb.offsets(acc_out, [*dims, None][:len(acc_out.coeffs)], tile,
                                     hint="offs_" + (acc_out.base.name_hint or "c")), value, mask)
    kb.loc = loc
    return kb.finish(name, [cdiv(m, bm), cdiv(n, bn)], 4), bases
