"""examples/kmeans.tf and examples/cnn.tf as `tfir run` runs them (no inputs but
the seeded random ones) on eager, numpy and triton (in Triton's interpreter, in
a subprocess): the targets agree, and the results mean what the examples say."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tfir.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {name: ROOT / "examples" / f"{name}.tf" for name in ("kmeans", "cnn")}


def run_here(name: str, target: str, tmp_path: Path) -> list[np.ndarray]:
    out = tmp_path / f"{name}-{target}.npz"
    assert main(["run", str(EXAMPLES[name]), "--target", target, "--save", str(out)]) == 0
    saved = np.load(out)
    return [saved[f"result{i}"] for i in range(len(saved.files))]


def run_triton(name: str, tmp_path: Path) -> list[np.ndarray]:
    out = tmp_path / f"{name}-triton.npz"
    env = {**os.environ, "TRITON_INTERPRET": "1", "TFIR_CACHE": "0"}
    proc = subprocess.run([sys.executable, "-m", "tfir", "run", str(EXAMPLES[name]), "--target", "triton",
                           "--save", str(out)], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    saved = np.load(out)
    return [saved[f"result{i}"] for i in range(len(saved.files))]


def check_kmeans(results: list[np.ndarray]) -> None:
    centroids, counts, inertia = results
    centers = np.array([[-4.0, -4.0], [-4.0, 4.0], [4.0, -4.0], [4.0, 4.0]], np.float32)
    assert counts.sum() == 400 and np.all(counts > 50)
    assert np.abs(centroids - centers).max() < 0.5  # each cluster found around its center
    assert 1.0 < float(inertia) < 3.0  # about 2: the variance of a 2-D standard normal


def check_cnn(results: list[np.ndarray]) -> None:
    logits, loss, labels = results
    assert labels.dtype == np.int64 and labels.min() >= 0 and labels.max() < 10
    z = logits.astype(np.float64)
    lse = np.log(np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1)) + z.max(axis=1)
    np.testing.assert_allclose(loss, np.mean(lse - z[np.arange(16), labels]), rtol=1e-5)


CHECKS = {"kmeans": check_kmeans, "cnn": check_cnn}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_on_eager_and_numpy(name: str, tmp_path: Path) -> None:
    eager = run_here(name, "eager", tmp_path)
    CHECKS[name](eager)
    for got, want in zip(run_here(name, "numpy", tmp_path), eager, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(importlib.util.find_spec("triton") is None, reason="Triton is not installed")
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_on_triton_interpreter(name: str, tmp_path: Path) -> None:
    got = run_triton(name, tmp_path)
    CHECKS[name](got)
    for g, want in zip(got, run_here(name, "eager", tmp_path), strict=True):
        np.testing.assert_allclose(g, want, rtol=1e-4, atol=1e-5)
