"""prune-kernel-args (stage `device`, target triton): kernel arguments that no
kernel reads (and their launch operands) go."""

from __future__ import annotations

from tests.support.common import ROOT
from tests.support.stages import ir_after_each_pass


def _kernel_args(ir: str) -> int:
    return sum(line.count("memref<") for line in ir.splitlines() if line.lstrip().startswith("^bb0"))


def test_prune_kernel_args_drops_what_no_kernel_reads() -> None:
    ir = ir_after_each_pass(ROOT / "examples" / "mlp.tf", "triton")
    assert _kernel_args(ir["prune-kernel-args"]) < _kernel_args(ir["dce@device"])
    assert "memref.get_global" not in ir["prune-kernel-args"]
