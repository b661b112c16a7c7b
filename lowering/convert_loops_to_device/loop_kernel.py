"""`convert-loops-to-device`: a whole program loop as one kernel, when its body fits.

A `scf.for` of the program normally runs on the host around the launches of
its body's kernels (a launch or more per iteration). When the body is small
elementwise work on small buffers (a recurrence like `acc = acc * 0.999 + x;
n = n + 1;`), the loop becomes one kernel instead: a single program loads
every buffer the body touches into registers, runs all iterations on them
and stores the buffers the body writes. Eligible bodies hold only all-parallel
`linalg.generic`s whose output map is the identity and whose inputs broadcast
as NumPy does (right-aligned dims, size-1 dims as constant 0), `linalg.fill`,
`memref.copy` between buffers of one shape, and the loop variable written to a
one-element buffer (`tf.from_index` bufferized); every buffer is a whole,
identity-laid buffer of at most `MAX_ELEMENTS` elements. Each buffer is one
block in registers, its dims padded to powers of two (the padding lanes are
never stored), a rank-0 buffer a block of one element.
"""

from __future__ import annotations

import math

from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import IntegerAttr, MemRefType, i32
from xdsl.dialects.linalg.ops import FillOp, GenericOp, IndexOp, YieldOp
from xdsl.ir import SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr
from xdsl.rewriter import Rewriter

from tfir.dialects import device
from tfir.lowering.convert_loops_to_device.kernels import (
    Access,
    KernelBuilder,
    mask_and,
    next_pow2,
    tensorize_body,
)
from tfir.lowering.utils.memref_views import is_identity

MAX_ELEMENTS = 1024  # of one buffer held in registers
MAX_TOTAL = 8192  # of all of them


def _shape(value: SSAValue) -> tuple[int, ...]:
    typ = value.type
    assert isinstance(typ, MemRefType)
    return tuple(typ.get_shape())


def _padded(value: SSAValue) -> list[int]:
    return [next_pow2(d) for d in _shape(value)] or [1]


def _const(value: SSAValue) -> int | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def _buffer_ok(value: SSAValue, entry: func.FuncOp) -> bool:
    typ = value.type
    if not isinstance(typ, MemRefType) or not is_identity(typ):
        return False
    whole = isinstance(value.owner, memref.AllocOp | memref.GetGlobalOp) or value in entry.args
    return whole and 0 < math.prod(_shape(value)) <= MAX_ELEMENTS


def _contiguous(shape: tuple[int, ...]) -> list[int]:
    strides, acc = [], 1
    for size in reversed(shape):
        strides.insert(0, acc)
        acc *= size
    return strides


def _broadcasts(value: SSAValue, amap, rank: int) -> bool:
    """`value` read through `amap` in a space of `rank` dims, NumPy-broadcast."""
    results = list(amap.results)
    if len(results) > rank:
        return False
    for i, expr in enumerate(results):
        loop_dim = rank - len(results) + i
        if expr == AffineDimExpr(loop_dim):
            continue
        if not (isinstance(expr, AffineConstantExpr) and expr.value == 0 and _shape(value)[i] == 1):
            return False
    return True


def _generic_ok(op: GenericOp) -> bool:
    if any(it.data.value != "parallel" for it in op.iterator_types) or len(op.outputs) != 1:
        return False
    if any(isinstance(o, IndexOp) for o in op.body.walk()):
        return False
    maps = [m.data for m in op.indexing_maps]
    rank = maps[-1].num_dims
    if list(maps[-1].results) != [AffineDimExpr(d) for d in range(rank)]:
        return False
    return all(_broadcasts(v, m, rank) for v, m in zip(op.inputs, maps[:-1], strict=True))


def eligible(loop: scf.ForOp, entry: func.FuncOp) -> list[SSAValue] | None:
    """The buffers the loop's body touches, if it fits in one kernel; else None."""
    if None in (_const(loop.lb), _const(loop.ub), _const(loop.step)):
        return None
    buffers: list[SSAValue] = []
    iv = loop.body.block.args[0]
    for op in loop.body.block.ops:
        if isinstance(op, GenericOp) and _generic_ok(op):
            operands = list(op.operands)
        elif isinstance(op, FillOp) and isinstance(op.inputs[0].owner, arith.ConstantOp):
            operands = list(op.outputs)
        elif isinstance(op, memref.CopyOp) and _shape(op.source) == _shape(op.destination):
            operands = [op.source, op.destination]
        elif isinstance(op, memref.StoreOp) and not op.indices and isinstance(op.value.owner, arith.IndexCastOp) \
                and op.value.owner.input is iv:
            operands = [op.memref]
        elif isinstance(op, arith.IndexCastOp) and op.input is iv or isinstance(op, arith.ConstantOp | scf.YieldOp):
            continue
        else:
            return None
        for value in operands:
            if not _buffer_ok(value, entry):
                return None
            if value not in buffers:
                buffers.append(value)
    total = sum(math.prod(_padded(b)) for b in buffers)
    return buffers if buffers and total <= MAX_TOTAL else None


class _Registers:
    """The kernel under construction: one register block per buffer."""

    def __init__(self, kb: KernelBuilder, buffers: list[SSAValue]):
        self.kb, self.buffers = kb, buffers
        self.values: dict[SSAValue, SSAValue] = {}
        self.addressing: dict[SSAValue, tuple[SSAValue, SSAValue]] = {}

    def address(self, buf: SSAValue) -> tuple[SSAValue, SSAValue]:
        """The offsets and mask of a buffer's padded block."""
        if buf in self.addressing:
            return self.addressing[buf]
        kb, shape, padded = self.kb, list(_shape(buf)) or [1], _padded(buf)
        offs: SSAValue | None = None
        mask: SSAValue | None = None
        for axis, (size, pad, stride) in enumerate(zip(shape, padded, _contiguous(tuple(shape)), strict=True)):
            lane = kb.place(kb.emit(device.ArangeOp(pad)), axis, padded)
            term = kb.scale(lane, stride)
            offs = term if offs is None else kb.binop(arith.AddiOp, offs, term)
            if size != pad:
                inside = kb.cmp("lt", lane, size)
                mask = inside if mask is None else mask_and(kb, mask, inside)
        assert offs is not None
        if mask is None:
            mask = kb.cmp("ge", offs, 0, "mask")
        self.addressing[buf] = (offs, mask)
        return offs, mask

    def load(self, buf: SSAValue) -> None:
        offs, mask = self.address(buf)
        self.values[buf] = self.kb.emit(device.LoadOp(self.kb.args[buf], offs, mask), buf.name_hint)

    def store(self, buf: SSAValue) -> None:
        offs, mask = self.address(buf)
        self.kb.store(Access(buf, (), 0), offs, self.values[buf], mask)

    def aligned(self, value: SSAValue, buf: SSAValue, shape: list[int]) -> SSAValue:
        """A register block of `buf` broadcast to a block of `shape`."""
        kb, block = self.kb, self.values[value]
        have = list(block.type.get_shape())  # type: ignore[attr-defined]
        while len(have) < len(shape):
            block = kb.emit(device.ExpandDimsOp(block, 0))
            have.insert(0, 1)
        if have != shape:
            block = kb.emit(device.BroadcastOp(block, shape))
        return block


def _run_body(regs: _Registers, loop: scf.ForOp, k: SSAValue) -> None:
    kb = regs.kb
    lb, step = _const(loop.lb), _const(loop.step)
    iv = kb.binop(arith.AddiOp, kb.const(lb, i32), kb.scale(k, step) if step != 1 else k, "t") if lb else \
        kb.scale(k, step)
    for op in loop.body.block.ops:
        if isinstance(op, GenericOp):
            out = op.outputs[0]
            shape = _padded(out)
            args = [regs.aligned(v, v, shape) for v in op.inputs]
            block = op.body.block
            outs = [regs.values[out] if block.args[len(op.inputs)].uses else None]
            env = tensorize_body(kb, block, [*args, *outs], shape, [None] * len(shape))
            yielded = block.last_op
            assert isinstance(yielded, YieldOp)
            value = yielded.operands[0]
            if value not in env:  # a constant from above the generic
                owner = value.owner
                assert isinstance(owner, arith.ConstantOp)
                env[value] = kb.like(owner.value.value.data, regs.values[out].type)  # type: ignore
            regs.values[out] = env[value]
        elif isinstance(op, FillOp):
            value = op.inputs[0].owner.value.value.data  # type: ignore[union-attr]
            target = regs.values[op.outputs[0]]
            regs.values[op.outputs[0]] = kb.like(value, target.type)
        elif isinstance(op, memref.CopyOp):
            regs.values[op.destination] = regs.values[op.source]
        elif isinstance(op, memref.StoreOp):
            elem = regs.values[op.memref].type.get_element_type()  # type: ignore[attr-defined]
            block = kb.splat(iv, [1])
            regs.values[op.memref] = block if elem == i32 else kb.emit(device.CastOp(block, elem))


def lower_loop_kernel(low, loop: scf.ForOp) -> bool:
    """Replaces `loop` by one kernel when its body fits (see the module doc)."""
    buffers = eligible(loop, low.entry)
    if buffers is None:
        return False
    written = [b for b in buffers if any(
        isinstance(op, GenericOp | FillOp) and b in op.outputs or isinstance(op, memref.CopyOp)
        and b is op.destination or isinstance(op, memref.StoreOp) and b is op.memref
        for op in loop.body.block.ops)]
    kb = KernelBuilder(buffers, loop.location)
    regs = _Registers(kb, buffers)
    for buf in buffers:
        regs.load(buf)
    trips = len(range(_const(loop.lb), _const(loop.ub), _const(loop.step)))
    with kb.loop(trips, 1, [regs.values[b] for b in written]) as body_loop:
        carried = body_loop.body.block.args
        for buf, arg in zip(written, carried[1:], strict=True):
            regs.values[buf] = arg
        _run_body(regs, loop, carried[0])
        kb.end_loop([regs.values[b] for b in written])
    for buf, result in zip(written, body_loop.results, strict=True):
        regs.values[buf] = result
        regs.store(buf)
    kernel = kb.finish(low.name(["loop"]), [1], 4)
    low.launch(loop, kernel, buffers)
    Rewriter.erase_op(loop)
    return True
