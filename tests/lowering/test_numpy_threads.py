"""numpy-threads (stage `schedule`, target numpy): the tile loops worth the
thread pool are marked `tfir.threads`; small ones and `threads=False` are
not; a function with BLAS work is marked to run with one BLAS thread."""

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


def test_a_function_with_blas_work_holds_the_blas_to_one_thread() -> None:
    ir = ir_after_each_pass(PROGRAMS / "mlp.tf", "numpy", B=256, D=1024, H=512)
    assert "tfir.one_blas_thread" not in ir["numpy-split-contractions"]
    filecheck(ir["numpy-threads"], """
CHECK:     func.func @main{{.*}} attributes {tfir.one_blas_thread}
CHECK:     linalg.matmul
CHECK:     tfir.threads
""")
    module = parse_ir(ir["numpy-split-contractions"])
    NumpyThreadsPass(threads=False).apply(make_context(), module)
    assert "tfir.one_blas_thread" not in str(module)


def test_a_loop_of_blas_calls_keeps_the_blas_threads() -> None:
    """The RNN's time is its loop's `h @ u` in the calling thread: the
    function keeps the BLAS's threads (its input projection's tiles run in
    turn, each threaded by the BLAS, unless the BLAS has one thread)."""
    ir = ir_after_each_pass(PROGRAMS / "rnn.tf", "numpy", T=256, B=64, D=128, H=256)
    assert "tfir.one_blas_thread" not in ir["numpy-threads"]
    assert "attributes {tfir.keep_blas_threads}" in ir["numpy-threads"]
    small = ir_after_each_pass(PROGRAMS / "rnn.tf", "numpy", T=4, B=2, D=3, H=4)
    assert "tfir.one_blas_thread" in small["numpy-threads"]  # a tiny h @ u: nothing for the BLAS's threads
