"""numpy-schedule (stage `schedule`, target numpy): how the NumPy code will
run each tile loop is decided in the IR; a matmul's loop runs whole."""

from __future__ import annotations

from tests.support.common import filecheck
from tests.support.stages import PROGRAMS, ir_after_each_pass


def test_schedule_runs_matmuls_whole() -> None:
    ir = ir_after_each_pass(PROGRAMS / "mlp.tf", "numpy", B=64, D=128, H=512)
    assert "linalg.matmul" in ir["tile-linalg"].split('"scf.parallel"')[2]
    filecheck(ir["numpy-schedule"], """
CHECK:     linalg.fill ins(%{{.*}} : f32) outs(%[[C:.*]] : memref<64x512xf32>)
CHECK:     linalg.matmul ins(%x, %w1 : memref<64x128xf32>, memref<128x512xf32>) outs(%[[C]] : memref<64x512xf32>)
""")
