"""drop-unused-globals (stage `device`, target triton): a `memref.global` that
nothing reads any more (its scalar was inlined into the kernels) goes."""

from __future__ import annotations

from tests.support.common import ROOT
from tests.support.stages import ir_after_each_pass


def test_drop_unused_globals() -> None:
    ir = ir_after_each_pass(ROOT / "examples" / "mlp.tf", "triton")
    assert "memref.global" in ir["prune-kernel-args"]
    assert "memref.global" not in ir["drop-unused-globals"]
