"""`convert-loops-to-device`: loop-level linalg on buffers to `device` kernels.

Precondition: the `loops` level (docs/ir-levels.md section 4): each entry
`func.func` holds `memref.alloc` / `memref.get_global` buffers, views
(`memref.subview`, `collapse_shape`, `expand_shape`) with static strided
layouts, `linalg.generic` / `matmul` / `transpose` / `fill` and `memref.copy`.

Precondition also: no tile loops left (`untile-loops`, `merge-tile-pieces`).

Produces the `device` level (section 6): one `device.kernel` per op (or
fused group) at module level, and in each entry only buffers, views and
`device.launch` ops in program order (and `func.call`s of external
implementations, section 7, which stay on the host). Kernels by kind:

- transposes (those `fold-transposes` left), and all-`parallel` ops (elementwise, broadcast, copy, fill, iota, strided
  slices): one program per flat block of the iteration space; the
  per-dim indices are recovered with `//` and `%` only when an operand is not
  laid out like the iteration space.
- reductions (any dims) and arg-reductions: a program per block of output
  elements, the reduced dims flattened into one block axis: the row lives in
  registers when it fits (`MAX_ROW`), else a loop over column blocks carries
  the accumulator. A preceding `linalg.fill` of the output with the identity
  is folded into the accumulator's initial value.
- row groups: consecutive reductions over the same rows and the elementwise
  ops between them (softmax, layernorm) become one kernel with the row in
  registers (row_fusion.py); only buffers read later are stored.
- scans (the `cumsum` / `cumprod` form, `linalg_ops.scan`):
  a program per block of rows, `device.scan` along the columns (scan.py).
- `linalg.matmul`: a tiled `device.dot` kernel with a K loop; a following
  elementwise `linalg.generic` that is the only other reader of the product
  becomes the kernel's epilogue.

Block sizes, grid and num_warps come from the shapes and are attributes of
each kernel; every op keeps the location of the linalg op it comes from.
The ops are lowered in one forward walk rather than by independent rewrite
patterns because most decisions span several ops (a fill folded into the
reduction after it, an epilogue, a row group). Buffers, views and constants
of the entry left without a use are erased; a linalg or scf op left over is
an error (`DeviceLoweringError`).

The passes before it in stage `device` prepare its input (`untile-loops`,
`merge-tile-pieces`, `fold-transposes`); the passes after it clean the
kernels up (`inline-scalar-constants`, `cse`, `drop-overwritten-stores`,
`narrow-broadcast-loads`, `dce`, `prune-kernel-args`, `drop-unused-globals`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import func, memref, scf
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, MemRefType, ModuleOp
from xdsl.dialects.linalg.ops import FillOp, GenericOp, MatmulOp, TransposeOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.ir.affine import AffineMap
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.dialects import device
from tfir.lowering.convert_loops_to_device.contraction import contraction_kernel, find_contraction
from tfir.lowering.convert_loops_to_device.indexing import lower_indexing
from tfir.lowering.convert_loops_to_device.kinds import (
    ElementwiseSpec,
    elementwise_kernel,
    matmul_kernel,
    reduction_kernel,
)
from tfir.lowering.convert_loops_to_device.linalg import (
    access_of,
    body_parts,
    is_reduction,
    loop_ranges,
    reduction_spec,
)
from tfir.lowering.convert_loops_to_device.loop_kernel import lower_loop_kernel
from tfir.lowering.convert_loops_to_device.row_fusion import (
    needs_store,
    row_group,
    row_group_kernel,
)
from tfir.lowering.convert_loops_to_device.scan import scan_kernel
from tfir.lowering.utils.control_blocks import structured_blocks
from tfir.lowering.utils.device import DeviceLoweringError, entries, erase_dead_host_ops
from tfir.lowering.utils.linalg_ops import indexing_maps, scan
from tfir.lowering.utils.memref_views import next_toucher, root_of, touched_after, touches, writes
from tfir.lowering.utils.tile_loops import is_tile_loop

# ---------------------------------------------------------------- classification


@dataclass
class Lowering:
    """Per-entry state: where kernels go and how they are named."""

    module: ModuleOp
    entry: func.FuncOp
    names: dict[str, int] = field(default_factory=dict)

    def name(self, parts: Sequence[str]) -> str:
        uniq = list(dict.fromkeys(p for p in parts if p))[:3] or ["kernel"]
        stem = "tf_" + "_".join(uniq)
        n = sum(self.names.values())
        self.names[stem] = self.names.get(stem, 0) + 1
        return f"{stem}_{n}"

    def launch(self, at: Operation, kernel: device.KernelOp, bases: Sequence[SSAValue]) -> None:
        Rewriter.insert_op(kernel, InsertPoint.before(self.entry))
        launch = device.LaunchOp(kernel.sym_name.data, bases)
        launch.location = at.location
        Rewriter.insert_op(launch, InsertPoint.before(at))


def _fill_before(op: Operation, out: SSAValue) -> FillOp | None:
    """The fill of `out` by a constant, when it is the op touching `out` right before `op`."""
    prev = op.prev_op
    base = root_of(out)
    while prev is not None and not touches(prev, base):
        prev = prev.prev_op
    if isinstance(prev, FillOp) and prev.outputs[0] is out:
        value = prev.inputs[0].owner
        if isinstance(value, Operation) and isinstance(getattr(value, "value", None),
                                                       IntegerAttr | FloatAttr):
            return prev
    return None


def _prev_fill(op: Operation, out: SSAValue) -> float | int | None:
    """The fill value of `out` when the op writing it right before is a fill
    (erased: the kernel starts from that value)."""
    fill = _fill_before(op, out)
    if fill is None:
        return None
    Rewriter.erase_op(fill)
    return fill.inputs[0].owner.value.value.data  # type: ignore[union-attr]


# ---------------------------------------------------------------- lowerings


def lower_parallel(low: Lowering, op: Operation, ins: Sequence[SSAValue], outs: Sequence[SSAValue],
                   maps: Sequence[AffineMap], shape: tuple[int, ...], body: Block | None,
                   fill: float | int | None, parts: list[str]) -> None:
    n_in = len(ins)
    spec = ElementwiseSpec(
        inputs=[access_of(v, m) for v, m in zip(ins, maps[:n_in], strict=True)],
        outputs=[access_of(v, m) for v, m in zip(outs, maps[n_in:], strict=True)],
        shape=shape, body=body, fill=fill)
    kernel, bases = elementwise_kernel(low.name(parts), op.location, spec)
    low.launch(op, kernel, bases)
    Rewriter.erase_op(op)


def lower_generic(low: Lowering, op: GenericOp) -> None:
    iters = [it.data.value for it in op.iterator_types]
    maps, shape = indexing_maps(op), loop_ranges(op)
    if all(it == "parallel" for it in iters):
        lower_parallel(low, op, op.inputs, op.outputs, maps, shape, op.body.block, None,
                       body_parts(op))
        return
    spec = reduction_spec(op)
    spec.inits = [_prev_fill(op, out) for out in op.outputs]
    n_in = len(op.inputs)
    spec.inputs = [access_of(v, m) for v, m in zip(op.inputs, maps[:n_in], strict=True)]
    spec.outputs = [access_of(v, m) for v, m in zip(op.outputs, maps[n_in:], strict=True)]
    spec.reduced = tuple(i for i, it in enumerate(iters) if it == "reduction")
    if spec.kinds[0].startswith("arg") and len(spec.reduced) != 1:
        raise DeviceLoweringError(f"expected an arg-reduction over one axis, got {spec.reduced}")
    spec.shape, spec.body = shape, op.body.block
    kernel, bases = reduction_kernel(low.name([spec.kinds[0], *body_parts(op, spec.skip)]), op.location, spec)
    low.launch(op, kernel, bases)
    Rewriter.erase_op(op)


def _epilogue(op: MatmulOp, entry: func.FuncOp) -> GenericOp | None:
    """The elementwise generic that alone consumes the matmul's product."""
    out = op.outputs[0]
    base = root_of(out)
    nxt = next_toucher(op, base)
    if not isinstance(nxt, GenericOp) or base in entry.args:
        return None
    if any(it.data.value != "parallel" for it in nxt.iterator_types):
        return None
    maps = indexing_maps(nxt)
    ident = AffineMap.identity(2)
    reads = [i for i, v in enumerate(nxt.inputs) if root_of(v) is base]
    if len(reads) != 1 or nxt.inputs[reads[0]] is not out or maps[reads[0]] != ident:
        return None
    if any(root_of(o) is base for o in nxt.outputs) or len(nxt.outputs) != 1:
        return None
    # The product is not stored: nothing may read it later, in a later
    # iteration of a loop neither (the matmul itself reads it without a fill).
    rewritten = [nxt] if _fill_before(op, out) is None else [nxt, op]
    if maps[len(nxt.inputs)] != ident or touched_after(nxt, base, rewritten):
        return None
    # The matmul runs where its epilogue was: nothing in between may write what it reads.
    sources = [root_of(v) for v in op.inputs]
    between = op.next_op
    while between is not None and between is not nxt:
        if any(writes(between, src) for src in sources):
            return None
        between = between.next_op
    return nxt


def lower_matmul(low: Lowering, op: MatmulOp) -> None:
    maps = indexing_maps(op)
    a, b, c = (access_of(v, m) for v, m in zip(op.operands, maps, strict=True))
    m, n, k = loop_ranges(op)
    epi = _epilogue(op, low.entry)
    init = _prev_fill(op, op.outputs[0])
    parts = ["matmul"]
    epi_spec = None
    if epi is not None:
        emaps = indexing_maps(epi)
        reads = [root_of(v) is c.base for v in epi.inputs]
        epi_spec = ElementwiseSpec(
            inputs=[None if r else access_of(v, mp)
                    for v, mp, r in zip(epi.inputs, emaps[:len(reads)], reads, strict=True)],
            outputs=[access_of(epi.outputs[0], emaps[-1])], shape=(m, n),
            body=epi.body.block, fill=None)
        parts += body_parts(epi)
    kernel, bases = matmul_kernel(low.name(parts), op.location, a, b, c, (m, n, k), init,
                                  epi_spec, epi.location if epi else None,
                                  op.outputs[0].type.get_element_type())
    low.launch(epi or op, kernel, bases)  # the epilogue's output is defined after the matmul
    Rewriter.erase_op(op)
    if epi is not None:
        Rewriter.erase_op(epi)


def lower_row_group(low: Lowering, op: GenericOp) -> bool:
    found = row_group(op)
    if found is None:
        return False
    group, ops = found
    computes = [m.op for m in group.members]
    for member in group.members:
        member.store = [needs_store(group, a.base, low.entry) for a in member.outputs]
    parts = ["row"] + [k for m in group.members if m.spec for k in m.spec.kinds]
    kernel, bases = row_group_kernel(low.name(parts), op.location, group)
    low.launch(computes[-1], kernel, bases)
    for done in ops:
        Rewriter.erase_op(done)
    return True


def lower_contraction(low: Lowering, op: GenericOp) -> bool:
    maps = indexing_maps(op)
    n_in = len(op.inputs)
    accesses = ([access_of(v, m) for v, m in zip(op.inputs, maps[:n_in], strict=True)],
                [access_of(v, m) for v, m in zip(op.outputs, maps[n_in:], strict=True)])
    found = find_contraction(op, maps, loop_ranges(op), accesses)
    if found is None:
        return False
    found.init = _prev_fill(op, op.outputs[0])
    kernel, bases = contraction_kernel(low.name(["matmul", *body_parts(op, found.core)]), op.location, found)
    low.launch(op, kernel, bases)
    Rewriter.erase_op(op)
    return True


def lower_scan(low: Lowering, op: GenericOp) -> bool:
    form = scan(op)
    if form is None:
        return False
    maps = indexing_maps(op)
    inputs = [access_of(v, m) for v, m in zip(op.inputs, maps, strict=False)]
    output = access_of(op.outputs[0], maps[-1])
    init = _prev_fill(op, op.outputs[0])
    kernel, bases = scan_kernel(low.name([form.kind, *body_parts(op, form.machinery)]), op.location, op, form,
                                inputs, output, loop_ranges(op), init)
    low.launch(op, kernel, bases)
    Rewriter.erase_op(op)
    return True


def _writes_nothing(op: Operation) -> bool:
    """An op whose outputs have no element: no kernel to launch."""
    outs = [op.destination] if isinstance(op, memref.CopyOp) else list(getattr(op, "outputs", ()))
    return bool(outs) and any(isinstance(o.type, MemRefType) and 0 in o.type.get_shape() for o in outs)


def lower_op(low: Lowering, op: Operation) -> None:
    if (op.dialect_name() == "linalg" or isinstance(op, memref.CopyOp)) and _writes_nothing(op):
        Rewriter.erase_op(op)
        return
    if is_reduction(op) and (lower_scan(low, op)  # type: ignore[arg-type]
                             or lower_contraction(low, op)  # type: ignore[arg-type]
                             or lower_row_group(low, op)):  # type: ignore[arg-type]
        return
    if isinstance(op, GenericOp):
        lower_generic(low, op)
    elif isinstance(op, MatmulOp):
        lower_matmul(low, op)
    elif isinstance(op, TransposeOp):
        lower_parallel(low, op, op.inputs, op.outputs, indexing_maps(op),
                       tuple(op.outputs[0].type.get_shape()), None, None, ["transpose"])
    elif isinstance(op, memref.CopyOp):
        shape = tuple(op.destination.type.get_shape())
        ident = AffineMap.identity(len(shape))
        lower_parallel(low, op, [op.source], [op.destination], [ident, ident], shape, None,
                       None, ["copy"])
    elif isinstance(op, FillOp):
        nxt = next_toucher(op, root_of(op.outputs[0]))
        if isinstance(nxt, MatmulOp | GenericOp) and op.outputs[0] in nxt.outputs \
                and (isinstance(nxt, MatmulOp) or any(
                    it.data.value == "reduction" for it in nxt.iterator_types)):
            return  # folded into the accumulator of the next op
        value = op.inputs[0].owner.value.value.data  # type: ignore[union-attr]
        shape = tuple(op.outputs[0].type.get_shape())
        lower_parallel(low, op, [], op.outputs, [AffineMap.identity(len(shape))], shape, None,
                       value, ["fill"])
    elif op.dialect_name() == "linalg":
        raise DeviceLoweringError(f"no device lowering for {op.name}")


def convert_entry(module: ModuleOp, entry: func.FuncOp) -> None:
    low = Lowering(module, entry)
    # A program loop whose body fits becomes one kernel (inner loops first);
    # the others stay on the host, around the launches of their bodies'
    # kernels: each block is lowered on its own.
    for loop in reversed([o for o in entry.walk() if isinstance(o, scf.ForOp) and not is_tile_loop(o)]):
        lower_loop_kernel(low, loop)
    for block in structured_blocks(entry):
        for op in list(block.ops):
            if op.parent is not None and not lower_indexing(low, op):  # an epilogue may already be gone
                lower_op(low, op)
    erase_dead_host_ops(entry)
    for op in entry.walk():
        if op.dialect_name() in ("linalg", "linalgx") or is_tile_loop(op):
            raise DeviceLoweringError(f"{op.name} left after convert-loops-to-device")


@dataclass(frozen=True)
class ConvertLoopsToDevicePass(ModulePass):
    """Loop-level linalg on buffers -> device kernels and launches."""

    name = "convert-loops-to-device"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for entry in entries(op):  # calls of external implementations stay on the host
            convert_entry(op, entry)


__all__ = ["ConvertLoopsToDevicePass", "DeviceLoweringError"]
