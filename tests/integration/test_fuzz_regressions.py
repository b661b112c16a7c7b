"""Programs found by the differential tester (`tfir fuzz`, docs/testing.md):
each gives eager's results on every target: numpy, numpy with every size
threshold lowered (`numpy-stress`: tile loops, threads, C kernels), triton
(under its CPU interpreter) and mlir (under mlir-runner, where installed).
Each file's header names the seed that found it and the bug."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tfir
from tfir.inputs import random_inputs
from tfir.testing import mlir_exec
from tfir.testing.differential import run_on
from tfir.testing.oracle import differs

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("fuzz_*.tf"))
TARGETS = ["numpy", "numpy-stress", "triton", "mlir"]


def _inputs(path: Path) -> tuple[str, dict[str, np.ndarray]]:
    prog = tfir.compile_file(path, target="eager")
    entry = prog.entries[-1]
    return entry, random_inputs(prog[entry].fn, {}, {"N": 3, "M": 4}, 0)


def _run_triton(path: Path, entry: str, args: dict[str, np.ndarray], tmp: Path) -> list[np.ndarray]:
    """Under Triton's interpreter, in a process of its own (it is chosen when Triton loads)."""
    flags = []
    for name, value in args.items():
        np.save(tmp / f"{name}.npy", value)
        flags += ["--input", f"{name}={tmp / name}.npy"]
    env = {**os.environ, "TRITON_INTERPRET": "1", "TFIR_CACHE": "0"}
    proc = subprocess.run([sys.executable, "-m", "tfir", "run", str(path), "--entry", entry, "--target", "triton",
                           *flags, "--save", str(tmp / "out.npz")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    saved = np.load(tmp / "out.npz")
    return [saved[f"result{i}"] for i in range(len(saved.files))]


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
    got = _run_triton(path, entry, args, tmp_path) if target == "triton" else \
        run_on(target, source, entry, args, str(path))
    assert not differs(got, want, 1e-3), f"{path.name} on {target}:\n{got}\n!=\n{want}"
