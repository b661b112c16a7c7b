"""The programs of issue 13 (and the classes behind them) give eager's
results on every target: numpy, triton (under its CPU interpreter) and mlir
(under mlir-runner, where it is installed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tfir
from tests.support.triton_cli import run_triton
from tfir.inputs import random_inputs
from tfir.testing import mlir_exec
from tfir.testing.differential import run_on
from tfir.testing.oracle import differs

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("issue13_*.tf"))
TARGETS = ["numpy", "triton", "mlir"]
SPECIAL = {
    "issue13_nan_reductions.tf": {"x": np.array([[1, np.nan, 3, 2], [np.inf, -np.inf, 0, -0.0],
                                                 [5, 4, np.nan, np.nan]], np.float32)},
    "issue13_powers.tf": {"i": np.array([2, -3, 5, 0, 1, -1], np.int32), "j": np.array([3, -2, 0, 4, 9, 5], np.int32),
                          "a": np.array([1, 1, -1, -0.0, 0.0, -2, 0.5, np.nan], np.float32),
                          "b": np.array([np.inf, np.nan, -np.inf, -1, -1, 3, np.inf, 0], np.float32)},
}


def _inputs(path: Path) -> tuple[str, dict[str, np.ndarray]]:
    prog = tfir.compile_file(path, target="eager")
    entry = prog.entries[-1]
    if path.name in SPECIAL:
        return entry, SPECIAL[path.name]
    args = random_inputs(prog[entry].fn, {}, {"N": 5}, 0)
    return entry, {k: (v * 0.3).astype(v.dtype) if v.dtype.kind == "f" else v for k, v in args.items()}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_every_target_gives_the_eager_results(path: Path, target: str, tmp_path: Path) -> None:
    if target == "triton":
        pytest.importorskip("triton")
    if target == "mlir" and not mlir_exec.available():
        pytest.skip("mlir-opt-22 / mlir-runner-22 not installed")
    entry, args = _inputs(path)
    source = path.read_text()
    want = run_on("eager", source, entry, args, str(path))
    got = run_triton(path, entry, args, tmp_path) if target == "triton" else \
        run_on(target, source, entry, args, str(path))
    assert not differs(got, want, 1e-3), f"{path.name} on {target}:\n{got}\n!=\n{want}"


def test_the_negative_step_slice_of_the_issue_compiles_for_triton() -> None:
    """`tfir compile` failed in convert-tf-to-linalg (verify-each); now every pass verifies."""
    prog = tfir.compile_file(Path(__file__).parent / "programs" / "issue13_negative_step.tf",
                             target="numpy", verify_each=True, cache=False)
    y = np.arange(96, dtype=np.float32).reshape(3, 8, 4)
    np.testing.assert_array_equal(prog.main(y), y[0, 0::-2] * 2.0)


@pytest.mark.skipif(not mlir_exec.available(), reason="mlir-opt-22 not installed")
def test_mlir_opt_accepts_the_reshape_views_of_stack() -> None:
    """`memref.expand_shape` of a 1-D strided<[1]> view has no layout, as MLIR computes it."""
    from tfir import pipeline
    from tfir.testing.differential import tf_module

    source = (Path(__file__).parent / "programs" / "issue13_stack.tf").read_text()
    module, _ = tf_module(source, "f", {"x": np.zeros(12, np.float32)})
    pipeline.run_pipeline(module, "mlir", verify_each=True)
    assert mlir_exec.mlir_opt_check(str(module)) == ""
