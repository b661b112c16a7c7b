"""Shared by the passes of the `device` stage (target triton): the error of
loop-level IR they cannot map to kernels, the launches of each kernel, what
a kernel's dots read, and the host ops left without a use.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects import func, memref, scf
from xdsl.dialects.builtin import MemRefType, ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.dialects import device
from tfir.errors import InternalError
from tfir.lowering.utils.memref_views import VIEW_OPS


class DeviceLoweringError(InternalError):
    """A loop-level construct the device passes cannot map to kernels."""


def kernels(module: ModuleOp) -> list[device.KernelOp]:
    return [k for k in module.ops if isinstance(k, device.KernelOp)]


def launches(module: ModuleOp) -> dict[str, list[device.LaunchOp]]:
    """The launches of each kernel, by kernel name, in program order."""
    found: dict[str, list[device.LaunchOp]] = {}
    for op in module.walk():
        if isinstance(op, device.LaunchOp):
            found.setdefault(op.kernel.root_reference.data, []).append(op)
    return found


def entries(module: ModuleOp) -> list[func.FuncOp]:
    """The functions with a body (calls of external implementations stay on the host)."""
    return [o for o in module.ops if isinstance(o, func.FuncOp) and not o.is_declaration]


def dot_inputs(kernel: device.KernelOp) -> set[Operation]:
    """The ops the operand tiles of the kernel's dots are computed from: a dot
    reads its tiles unmasked, so their masked-off lanes must hold `other`."""
    todo: list[SSAValue] = [v for op in kernel.walk() if isinstance(op, device.DotOp)
                            for v in (op.lhs, op.rhs)]
    seen: set[Operation] = set()
    while todo:
        value = todo.pop()
        owner = value.owner
        if isinstance(owner, Operation):
            if owner not in seen:
                seen.add(owner)
                todo += owner.operands
        elif isinstance(loop := owner.parent_op(), scf.ForOp) and value.index > 0:
            i = value.index - 1  # a loop-carried value: its init and its update
            todo += [loop.iter_args[i], loop.body.block.last_op.operands[i]]  # type: ignore[union-attr]
    return seen


def erase_dead_host_ops(entry: func.FuncOp) -> None:
    """Erases the buffers, views and constants of `entry` that nothing uses."""
    changed = True
    while changed:
        changed = False
        for op in reversed(list(entry.body.block.ops)):
            dead_kind = isinstance(op, (memref.AllocOp, memref.GetGlobalOp, *VIEW_OPS)) or \
                op.name == "arith.constant"
            if dead_kind and all(not r.uses for r in op.results):
                Rewriter.erase_op(op)
                changed = True


def static_subview(source: SSAValue, offsets: Sequence[int], sizes: Sequence[int],
                   strides: Sequence[int], at: Operation) -> SSAValue:
    """The static subview of `source`, inserted before `at` (or `source`
    itself when it is all of it)."""
    typ = source.type
    assert isinstance(typ, MemRefType)
    if list(sizes) == list(typ.get_shape()) and not any(offsets) and set(strides) <= {1}:
        return source
    result = memref.SubviewOp.infer_result_type(typ, list(offsets), list(sizes), list(strides))
    view = memref.SubviewOp.get(source, list(offsets), list(sizes), list(strides), result)
    view.location = at.location
    Rewriter.insert_op(view, InsertPoint.before(at))
    return view.result
