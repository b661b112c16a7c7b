"""`convert-loops-to-device` for the `linalgx` ops: gather, scatter and index
check kernels (one program per block of elements, like elementwise kernels).

- `linalgx.gather`: each lane is an element of the destination; it loads its
  index, counts a negative one from the end, clamps it into the axis (an
  index out of range was reported by the check before: the clamp only keeps
  the load inside the source) and copies the source element.
- `linalgx.scatter`: each lane is an element of the updates; a lane whose
  index (counted from the end) is outside the axis stores nothing; the others
  store (`tl.store`, of duplicates one wins) or add atomically
  (`device.atomic_add`, duplicates accumulate).
- `linalgx.check_index`: a kernel marks a flag buffer `[found, index]` that
  the host zeroes before the launch, and `device.check_flag` after it, on the
  host, reads the flag and raises `tfir.ExecutionError`. The kernel never
  reads or writes outside its operands either.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from xdsl.dialects import arith, memref
from xdsl.dialects.builtin import IntegerAttr, MemRefType, i32, i64
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.ir.affine import AffineMap
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.dialects import device, linalgx
from tfir.dialects.device import block_type
from tfir.lowering.convert_loops_to_device.kernels import (
    Access,
    KernelBuilder,
    cdiv,
    decompose,
    make_access,
    mask_and,
    next_pow2,
)
from tfir.lowering.convert_loops_to_device.kinds import MAX_BLOCK, warps_for
from tfir.lowering.utils.memref_views import root_of as base_of

MIN_BLOCK = 16


def _shape(value: SSAValue) -> tuple[int, ...]:
    typ = value.type
    assert isinstance(typ, MemRefType)
    return tuple(typ.get_shape())


def _access(value: SSAValue) -> Access:
    rank = len(_shape(value))
    return make_access(base_of(value), value.type, AffineMap.identity(rank))


def _start(kb: KernelBuilder, total: int) -> tuple[SSAValue, SSAValue, int]:
    """The lanes of this program over `total` elements, their mask, the block size."""
    block = max(MIN_BLOCK, min(MAX_BLOCK, next_pow2(total)))
    pid = kb.program_id(0)
    start = kb.binop(arith.MuliOp, pid, kb.const(block, i32), "start")
    lanes = kb.lanes(start, block, "BLOCK", "idx")
    return lanes, kb.cmp("lt", lanes, total, "mask"), block


def _load_index(kb: KernelBuilder, idx: SSAValue, dims: Sequence[SSAValue | None], block: int,
                mask: SSAValue) -> SSAValue:
    """The indices of the lanes, as i32."""
    acc = _access(idx)
    loaded = kb.load(acc, kb.offsets(acc, dims, [block], hint="offs_idx"), mask, "index")
    if loaded.type.get_element_type() != i32:  # type: ignore[attr-defined]
        loaded = kb.emit(device.CastOp(loaded, i32), "index")
    return loaded


def _from_end(kb: KernelBuilder, j: SSAValue, n: int) -> SSAValue:
    """`j + n` where `j < 0`: a negative index counts from the end."""
    negative = kb.cmp("lt", j, 0)
    return kb.emit(device.SelectOp(negative, kb.binop(arith.AddiOp, j, kb.like(n, j.type)), j), "j")


def _clamp(kb: KernelBuilder, j: SSAValue, n: int) -> SSAValue:
    j = kb.emit(device.SelectOp(kb.cmp("lt", j, 0), kb.like(0, j.type), j))
    return kb.emit(device.SelectOp(kb.cmp("gt", j, n - 1), kb.like(n - 1, j.type), j), "j")


def gather_kernel(name: str, op: linalgx.GatherOp) -> tuple[device.KernelOp, list[SSAValue]]:
    src, idx, dest = op.source, op.indices, op.dest
    out, axis, n = _shape(dest), op.axis_value, _shape(src)[op.axis_value]
    bases = list(dict.fromkeys(base_of(v) for v in (src, idx, dest)))
    kb = KernelBuilder(bases, op.location)
    lanes, mask, block = _start(kb, math.prod(out))
    coords = decompose(kb, lanes, out, [True] * len(out))
    rank = len(_shape(idx))
    idx_coords = coords if op.is_along else coords[axis:axis + rank]
    j = _clamp(kb, _from_end(kb, _load_index(kb, idx, idx_coords, block, mask), n), max(n, 1))
    src_coords = [*coords[:axis], j, *coords[axis + (1 if op.is_along else rank):]]
    acc = _access(src)
    value = kb.load(acc, kb.offsets(acc, src_coords, [block], hint="offs_src"), mask, "value")
    dst = _access(dest)
    kb.store(dst, kb.offsets(dst, coords, [block], lanes, out, "offs"), value, mask)
    return kb.finish(name, [cdiv(math.prod(out), block)], warps_for(block)), bases


def scatter_kernel(name: str, op: linalgx.ScatterOp) -> tuple[device.KernelOp, list[SSAValue]]:
    upd, idx, dest = op.updates, op.indices, op.dest
    shape, axis, n = _shape(upd), op.axis_value, _shape(dest)[op.axis_value]
    bases = list(dict.fromkeys(base_of(v) for v in (upd, idx, dest)))
    kb = KernelBuilder(bases, op.location)
    lanes, mask, block = _start(kb, math.prod(shape))
    coords = decompose(kb, lanes, shape, [True] * len(shape))
    rank = len(_shape(idx))
    j = _from_end(kb, _load_index(kb, idx, coords[axis:axis + rank], block, mask), n)
    inside = mask_and(kb, kb.cmp("ge", j, 0), kb.cmp("lt", j, n))
    acc = _access(upd)
    value = kb.load(acc, kb.offsets(acc, coords, [block], lanes, shape, "offs_upd"), mask, "value")
    dst = _access(dest)
    offs = kb.offsets(dst, [*coords[:axis], j, *coords[axis + rank:]], [block], hint="offs")
    where = mask_and(kb, mask, inside)
    if op.accumulates:
        kb.emit(device.AtomicAddOp(kb.args[dst.base], offs, value, where))
    else:
        kb.store(dst, offs, value, where)
    return kb.finish(name, [cdiv(math.prod(shape), block)], warps_for(block)), bases


def check_kernel(name: str, op: linalgx.CheckIndexOp, flag: SSAValue) -> tuple[device.KernelOp, list[SSAValue]]:
    idx, size = op.indices, op.size_value
    shape = _shape(idx)
    bases = list(dict.fromkeys([base_of(idx), flag]))
    kb = KernelBuilder(bases, op.location)
    lanes, mask, block = _start(kb, max(1, math.prod(shape)))
    if not math.prod(shape):
        mask = kb.cmp("lt", lanes, 0, "mask")  # no index: nothing to check
    acc = _access(idx)
    value = kb.load(acc, kb.offsets(acc, decompose(kb, lanes, shape, [True] * len(shape)), [block],
                                    lanes, shape, "offs"), mask, "index")
    low = -size if op.allows_negative else 0
    outside = kb.binop(arith.OrIOp, kb.cmp("lt", value, low), kb.cmp("ge", value, size), "bad")
    bad = mask_and(kb, mask, outside)
    flag_access = Access(flag, (), 0)
    zeros = kb.const(0, i32, [block])
    kb.store(flag_access, zeros, kb.like(1, _i64_block(block)), bad)
    kb.store(flag_access, kb.binop(arith.AddiOp, zeros, kb.like(1, zeros.type)),
             kb.emit(device.CastOp(value, i64)), bad)
    return kb.finish(name, [cdiv(max(1, math.prod(shape)), block)], warps_for(block)), bases


def _i64_block(block: int) -> Attribute:
    return block_type([block], i64)


def lower_check(low, op: linalgx.CheckIndexOp) -> None:
    """The check kernel, its zeroed flag buffer, and the host's reading of it."""
    flag = memref.AllocOp([], [], MemRefType(i64, [2]))
    flag.attributes["tfir.zeroed"] = IntegerAttr(1, i64)
    flag.location = op.location
    flag.memref.name_hint = "flag"
    Rewriter.insert_op(flag, InsertPoint.before(op))
    kernel, bases = check_kernel(low.name(["check", re.sub(r"\W+", "_", op.what.data.split(":")[0]).strip("_")]), op, flag.memref)
    low.launch(op, kernel, bases)
    check = device.CheckFlagOp(flag.memref, _location(op), op.size_value, op.axis.value.data,
                               op.allows_negative, op.what.data)
    check.location = op.location
    Rewriter.insert_op(check, InsertPoint.before(op))
    Rewriter.erase_op(op)


def lower_indexing(low, op: Operation) -> bool:
    if isinstance(op, linalgx.CheckIndexOp):
        lower_check(low, op)
    elif isinstance(op, linalgx.GatherOp):
        if math.prod(_shape(op.dest)) and _shape(op.source)[op.axis_value]:
            low.launch(op, *gather_kernel(low.name(["gather"]), op))
        Rewriter.erase_op(op)
    elif isinstance(op, linalgx.ScatterOp):
        if math.prod(_shape(op.updates)) and _shape(op.dest)[op.axis_value]:
            parts = ["scatter", "add"] if op.accumulates else ["scatter"]
            low.launch(op, *scatter_kernel(low.name(parts), op))
        Rewriter.erase_op(op)
    else:
        return False
    return True


def _location(op: Operation) -> str:
    loc = op.location
    name = getattr(loc, "filename", None)
    if name is None:
        return "<unknown location>"
    return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}"  # type: ignore[attr-defined]
