"""numpy-threads (stage `schedule`, target numpy): the tile loops worth the
thread pool are marked `tfir.threads`; small ones, BLAS work, and
`threads=False` are not."""

from __future__ import annotations

from tests.support.common import filecheck, parse_ir
from tests.support.stages import PROGRAMS, ir_after_each_pass
from tfir.lowering.numpy_threads import NumpyThreadsPass
from tfir.pipeline import make_context


def test_threads_marks_the_loops_worth_the_pool() -> None:
    ir = ir_after_each_pass(PROGRAMS / "softmax.tf", "numpy", M=512, K=1024)
    assert "tfir.threads" not in ir["numpy-elide-fills"]
    filecheck(ir["numpy-threads"], """
CHECK: }) {tfir.tile = array<i64: 128>, tfir.threads} : (index, index, index) -> ()
""")
    module = parse_ir(ir["numpy-elide-fills"])
    NumpyThreadsPass(threads=False).apply(make_context(), module)
    assert "tfir.threads" not in str(module)
    small = ir_after_each_pass(PROGRAMS / "softmax.tf", "numpy", M=8, K=16)
    assert "tfir.threads" not in small["numpy-threads"]  # too little work for the pool


def test_a_function_with_blas_work_runs_serially() -> None:
    ir = ir_after_each_pass(PROGRAMS / "mlp.tf", "numpy", B=64, D=128, H=512)
    assert "tfir.threads" not in ir["numpy-threads"]
