"""numpy-split-contractions (stage `schedule`, target numpy): a large matmul
becomes one tile per worker, along a batch dim, else along the larger
input's dim; small ones and `threads=False` stay whole."""

from __future__ import annotations

import numpy as np

import tfir
from tests.support.common import filecheck, parse_ir
from tests.support.stages import PROGRAMS, ir_after_each_pass
from tfir.lowering.numpy_split_contractions import NumpySplitContractionsPass, split_dim
from tfir.pipeline import make_context

BATCHED = "fn main(a: f32[8, 256, 256], b: f32[8, 256, 256]) -> f32[8, 256, 256] { return a @ b; }"


def test_mlp_matmuls_split_along_the_weights_columns() -> None:
    ir = ir_after_each_pass(PROGRAMS / "mlp.tf", "numpy", B=256, D=1024, H=512)
    assert '"scf.parallel"' not in ir["numpy-elide-fills"].split("linalg.matmul")[0].split("func.func")[1]
    filecheck(ir["numpy-split-contractions"], """
CHECK:     "scf.parallel"
CHECK:       memref.subview %w1[0, %{{.*}}] [1024, {{[0-9]+}}] [1, 1]
CHECK:       linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%x, %{{.*}}
CHECK:     "scf.parallel"
CHECK:       memref.subview %w2[0, %{{.*}}]
""")


def test_batched_matmul_splits_along_the_batch() -> None:
    ir = ir_after_each_pass(BATCHED, "numpy")
    module = parse_ir(ir["numpy-elide-fills"])
    (op,) = [o for o in module.walk() if o.name == "linalg.generic"]
    assert split_dim(op, 2) == 0 and split_dim(op, 3) is None  # 8 heads: 2 workers, not 3
    filecheck(ir["numpy-split-contractions"], """
CHECK:     "scf.parallel"
CHECK:       memref.subview %a[%{{.*}}, 0, 0] [{{[0-9]+}}, 256, 256]
""")


def test_threads_off_leaves_matmuls_whole_and_results_agree() -> None:
    ir = ir_after_each_pass(BATCHED, "numpy")
    module = parse_ir(ir["numpy-elide-fills"])
    NumpySplitContractionsPass(threads=False).apply(make_context(), module)
    assert '"scf.parallel"' not in str(module)
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((8, 256, 256)).astype(np.float32) for _ in range(2))
    fn = tfir.compile_source(BATCHED, cache=False)["main"]
    np.testing.assert_allclose(fn(a, b), a @ b, rtol=1e-4, atol=1e-3)
