"""`prune-kernel-args`: kernel arguments no kernel op uses are dropped.

Precondition: the `device` level (docs/ir-levels.md section 6), after the
kernels were cleaned up (`inline-scalar-constants`, `dce`).

A kernel argument that no op of the kernel uses any more (the intermediates
of a row group live in registers; a one-value constant became a literal)
leaves the kernel and every launch of it. The buffers, views and constants
of an entry that then nothing uses are erased as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from tfir.dialects import device
from tfir.lowering.utils.device import entries, erase_dead_host_ops, kernels, launches


def prune_kernel_args(module: ModuleOp) -> None:
    """Drops the arguments a kernel no longer uses from it and from its launches."""
    found = launches(module)
    for kernel in kernels(module):
        block = kernel.body.block
        dead = [i for i, arg in enumerate(block.args) if not arg.uses]
        for i in reversed(dead):
            block.erase_arg(block.args[i])
        for launch in found.get(kernel.sym_name.data, []):
            args = [a for i, a in enumerate(launch.args) if i not in dead]
            new = device.LaunchOp(kernel.sym_name.data, args)
            new.location = launch.location
            Rewriter.replace_op(launch, new)


@dataclass(frozen=True)
class PruneKernelArgsPass(ModulePass):
    """Unused kernel arguments -> gone from kernels, launches and the host."""

    name = "prune-kernel-args"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        prune_kernel_args(op)
        for entry in entries(op):
            erase_dead_host_ops(entry)
