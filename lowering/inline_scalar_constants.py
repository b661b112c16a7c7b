"""`inline-scalar-constants`: loads of one-value constants become literals
in the kernels.

Precondition: the `device` level (docs/ir-levels.md section 6).

A constant `memref.global` holding one value (rank 0, or a splat) reaches
the device level as a kernel argument loaded lane by lane. Where every
launch of a kernel passes the same such global, its loads become an
`arith.constant` of the loaded type (printed as a literal); the argument then
leaves the kernel and its launches (`prune-kernel-args`) and the global the
module (`drop-unused-globals`).
Dense constants with distinct values stay buffers. Then the exact ops of a
kernel whose operands are all literals become literals themselves
(lowering/utils/literal_folding.py): Triton would make 0-d blocks of them.

Masked-off lanes read the constant instead of `other`; that is safe where
they are never used unmasked: elementwise results are stored under the same
mask and reductions select the identity into masked lanes first. A dot reads
its operand tiles unmasked, so a buffer whose loads feed one stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, memref
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    TensorType,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from tfir.dialects import device
from tfir.dialects.device import element_of
from tfir.lowering.utils.constants import splat_element
from tfir.lowering.utils.device import dot_inputs, kernels, launches
from tfir.lowering.utils.literal_folding import fold_literal_ops


def _splat_global(value: SSAValue, globals_: dict[str, memref.GlobalOp]) -> float | int | None:
    """The one value of a constant global `value` is a `get_global` of."""
    owner = value.owner
    if not isinstance(owner, memref.GetGlobalOp):
        return None
    glob = globals_.get(owner.name_.root_reference.data)
    if glob is None or glob.constant is None:
        return None
    init = glob.initial_value
    if not isinstance(init, DenseIntOrFPElementsAttr):
        return None
    return splat_element(init)


def _constant(value: float | int, typ: Attribute) -> arith.ConstantOp:
    elem = element_of(typ)
    if isinstance(typ, TensorType):
        return arith.ConstantOp(DenseIntOrFPElementsAttr.from_list(typ, [value]))
    if isinstance(elem, AnyFloat):
        return arith.ConstantOp(FloatAttr(float(value), elem))
    return arith.ConstantOp(IntegerAttr(int(value), elem))  # type: ignore[arg-type]


def _scalar_args(kernel: device.KernelOp, launches: list[device.LaunchOp],
                 globals_: dict[str, memref.GlobalOp]) -> dict[int, float | int]:
    """The argument positions every launch passes the same one-value global."""
    if not launches:
        return {}
    unmasked = dot_inputs(kernel)
    found: dict[int, float | int] = {}
    for i, arg in enumerate(kernel.body.block.args):
        if not all(isinstance(use.operation, device.LoadOp) and use.index == 0
                   and use.operation not in unmasked for use in arg.uses):
            continue
        values = {launch.args[i]: _splat_global(launch.args[i], globals_) for launch in launches}
        seen = set(values.values())
        if len(seen) == 1 and None not in seen:
            found[i] = seen.pop()  # type: ignore[assignment]
    return found


def inline_scalar_constants(module: ModuleOp) -> None:
    """Replaces the loads of one-value constant globals by constants."""
    globals_ = {g.sym_name.data: g for g in module.ops if isinstance(g, memref.GlobalOp)}
    found_launches = launches(module)
    for kernel in kernels(module):
        found = _scalar_args(kernel, found_launches.get(kernel.sym_name.data, []), globals_)
        for i, value in found.items():
            for use in list(kernel.body.block.args[i].uses):
                load = use.operation
                const = _constant(value, load.results[0].type)
                const.location = load.location
                if load.results[0].name_hint:
                    const.result.name_hint = load.results[0].name_hint
                Rewriter.replace_op(load, const)
        fold_literal_ops(kernel)


@dataclass(frozen=True)
class InlineScalarConstantsPass(ModulePass):
    """Loads of one-value constant globals in kernels, and ops of literals only -> literals."""

    name = "inline-scalar-constants"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        inline_scalar_constants(op)
