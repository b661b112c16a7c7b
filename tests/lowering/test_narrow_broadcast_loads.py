"""narrow-broadcast-loads (stage `device`, target triton): a load of a
broadcast operand loads its own extent and expands it."""

from __future__ import annotations

from tests.support.common import ROOT, filecheck
from tests.support.stages import ir_after_each_pass


def test_narrow_broadcast_loads_loads_the_bias_once_per_column() -> None:
    ir = ir_after_each_pass(ROOT / "examples" / "mlp.tf", "triton")
    assert "device.load %b1[%offs_b1]" in ir["drop-overwritten-stores"]
    filecheck(ir["narrow-broadcast-loads"], """
CHECK:      %b1_1 = device.load %b1[%rn], %mask_n {{.*}} -> tensor<64xf32>
CHECK-NEXT: device.expand_dims %b1_1 {axis = 0 : i64} : tensor<64xf32> -> tensor<1x64xf32>
""")
