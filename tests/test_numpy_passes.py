"""The passes of stage `schedule` (target numpy), each checked on its own
output: how the NumPy code will run the loops is decided in the IR, and the
code generator only prints it."""

from __future__ import annotations

from conftest import ROOT, filecheck, parse_ir

import tfir
from tfir.lowering.numpy_threads import NumpyThreadsPass
from tfir.pipeline import make_context, steps_for

PROGRAMS = ROOT / "benchmarks" / "programs"


def stages(path, **dims: int) -> dict[str, str]:
    return {s.pass_name: s.ir for s in tfir.lower(path, target="numpy", dims=dims)}


def test_the_schedule_stage_is_four_named_passes() -> None:
    names = [s.pass_name for s in steps_for("numpy") if s.stage == "schedule"]
    assert names == ["numpy-row-groups", "numpy-schedule", "numpy-elide-fills", "numpy-threads"]


def test_row_groups_run_softmax_block_of_rows_by_block_of_rows() -> None:
    ir = stages(PROGRAMS / "softmax.tf", M=512, K=1024)
    assert ir["tile-linalg"].count('"scf.parallel"') == 4
    filecheck(ir["numpy-row-groups"], """
CHECK:      "scf.parallel"
CHECK:        %buf0_tile = memref.alloc() : memref<128xf32>
CHECK:        linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
CHECK:        %buf1_tile = memref.alloc() : memref<128x1024xf32>
CHECK:        linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
CHECK:        linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
CHECK:        linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
CHECK:      }) {tfir.tile = array<i64: 128>}
CHECK-NOT:  "scf.parallel"
""")


def test_schedule_runs_matmuls_whole_and_elide_fills_marks_them() -> None:
    ir = stages(PROGRAMS / "mlp.tf", B=64, D=128, H=512)
    assert "linalg.matmul" in ir["tile-linalg"].split('"scf.parallel"')[2]
    filecheck(ir["numpy-schedule"], """
CHECK:     linalg.fill ins(%{{.*}} : f32) outs(%[[C:.*]] : memref<64x512xf32>)
CHECK:     linalg.matmul ins(%x, %w1 : memref<64x128xf32>, memref<128x512xf32>) outs(%[[C]] : memref<64x512xf32>)
""")
    filecheck(ir["numpy-elide-fills"], """
CHECK-NOT: linalg.fill {{.*}} memref<64x512xf32>
CHECK:     linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%x, %w1
""")
    assert "tfir.threads" not in ir["numpy-threads"]  # a function with BLAS work runs serially


def test_threads_marks_the_loops_worth_the_pool() -> None:
    ir = stages(PROGRAMS / "softmax.tf", M=512, K=1024)
    assert "tfir.threads" not in ir["numpy-elide-fills"]
    filecheck(ir["numpy-threads"], """
CHECK: }) {tfir.tile = array<i64: 128>, tfir.threads} : (index, index, index) -> ()
""")
    module = parse_ir(ir["numpy-elide-fills"])
    NumpyThreadsPass(threads=False).apply(make_context(), module)
    assert "tfir.threads" not in str(module)
    small = stages(PROGRAMS / "softmax.tf", M=8, K=16)
    assert "tfir.threads" not in small["numpy-threads"]  # too little work for the pool
