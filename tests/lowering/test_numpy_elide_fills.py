"""numpy-elide-fills (stage `schedule`, target numpy): a fill that the next op
overwrites goes, and the op is marked with the value it was filled with:
matmuls (whole, or in a row group's tile), and reductions into the block of
rows a tile just filled."""

from __future__ import annotations

from tests.support.common import filecheck
from tests.support.stages import PROGRAMS, ir_after_each_pass


def test_elide_fills_marks_the_matmuls_of_a_row_group() -> None:
    # Small weights: the MLP is one row group, its matmuls inside the tile loop.
    ir = ir_after_each_pass(PROGRAMS / "mlp.tf", "numpy", B=512, D=128, H=512)  # rows of 1.5 MiB
    assert "linalg.fill" in ir["numpy-schedule"]
    filecheck(ir["numpy-elide-fills"], """
CHECK-NOT: linalg.fill
CHECK:     "scf.parallel"
CHECK:     linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%{{.*}}, %w1
CHECK:     linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%buf0_tile, %w2
""")


def test_elide_fills_marks_the_whole_matmul() -> None:
    ir = ir_after_each_pass(PROGRAMS / "mlp.tf", "numpy", B=64, D=1024, H=512)
    filecheck(ir["numpy-elide-fills"], """
CHECK-NOT: linalg.fill {{.*}} memref<64x512xf32>
CHECK:     linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%x, %w1
""")


def test_elide_fills_marks_row_reductions() -> None:
    ir = ir_after_each_pass(PROGRAMS / "softmax.tf", "numpy", M=512, K=256)
    assert "linalg.fill" in ir["numpy-schedule"]
    filecheck(ir["numpy-elide-fills"], """
CHECK:     "scf.parallel"
CHECK-NOT: linalg.fill
CHECK:     linalg.generic {{.*}}tfir.filled = 0xff800000 : f32
CHECK-NOT: linalg.fill
CHECK:     linalg.generic {{.*}}tfir.filled = 0.000000e+00 : f32
""")
