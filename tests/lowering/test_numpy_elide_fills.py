"""numpy-elide-fills (stage `schedule`, target numpy): a fill that a matmul
overwrites goes, and the matmul is marked with the value it was filled with."""

from __future__ import annotations

from tests.support.common import filecheck
from tests.support.stages import PROGRAMS, ir_after_each_pass


def test_elide_fills_marks_the_matmul() -> None:
    ir = ir_after_each_pass(PROGRAMS / "mlp.tf", "numpy", B=64, D=128, H=512)
    assert "linalg.fill" in ir["numpy-schedule"]
    filecheck(ir["numpy-elide-fills"], """
CHECK-NOT: linalg.fill {{.*}} memref<64x512xf32>
CHECK:     linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%x, %w1
""")
