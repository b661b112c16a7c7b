"""inline-scalar-constants (stage `device`, target triton): a one-value
constant buffer a kernel loads becomes a constant inside the kernel."""

from __future__ import annotations

from tests.support.common import ROOT
from tests.support.stages import ir_after_each_pass


def test_inline_scalar_constants_replaces_loads_of_one_value_globals() -> None:
    ir = ir_after_each_pass(ROOT / "examples" / "mlp.tf", "triton")
    before = ir["convert-loops-to-device"]
    assert "memref.get_global" in before and "memref.global" in before
    after = ir["inline-scalar-constants"]
    assert after.count("device.load") < before.count("device.load")
    assert "arith.constant dense<5.000000e-02> : tensor<1024xf32>" in after.split("func.func @mlp")[0]


def test_cse_after_it_shares_index_arithmetic() -> None:
    ir = ir_after_each_pass(ROOT / "examples" / "mlp.tf", "triton")
    before, after = ir["inline-scalar-constants"], ir["cse@device"]
    assert after.count("arith.constant") < before.count("arith.constant")
