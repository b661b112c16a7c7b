"""Gradient programs compiled for every target give the eager target's values
(the reference), and the numpy target's match finite differences too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tfir
from tests.support.gradcheck import GradCase, check

PROGRAM = """
fn mlp(x: f32[B, D], labels: f32[B, C], w1: f32[D, H], b1: f32[H], w2: f32[H, C])
        -> (f32, f32[D, H], f32[H], f32[H, C], f32[B, D]) {
    let h = relu(x @ w1 + b1);
    let logits = h @ w2;
    let loss = -mean(sum(labels * log_softmax(logits), axis=-1));
    let gw1, gb1, gw2, gx = gradients(loss, [w1, b1, w2, x]);
    return loss, gw1, gb1, gw2, gx;
}

fn shapes(x: f32[4, 6], y: f32[6]) -> (f32[4, 6], f32[6]) {
    let a = transpose(x)[1:5:2] * 2.0;
    let b = concat([x[:, ::-1], broadcast_to(y, [4, 6])], axis=0);
    let s = sum(a) + max(b, axis=1) @ ones([8]) + prod(tanh(y)) + sum(layernorm(x, y, y));
    let gx, gy = gradients(s, [x, y]);
    return gx, gy;
}

fn second(x: f32[5], w: f32[3, 5]) -> (f32[5], f32[5]) {
    let g = gradients(sum(sigmoid(w @ x) * exp(-x[0:3])), [x]);
    let h = gradients(g * g, [x]);
    return g, h;
}
"""


def _inputs(name: str, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    f = np.float32
    if name == "mlp":
        labels = np.eye(3, dtype=f)[rng.integers(0, 3, 6)]
        return (rng.normal(size=(6, 4)).astype(f), labels, rng.normal(size=(4, 5)).astype(f),
                rng.normal(size=5).astype(f), rng.normal(size=(5, 3)).astype(f))
    if name == "shapes":
        return rng.normal(size=(4, 6)).astype(f), rng.normal(size=6).astype(f)
    return rng.normal(size=5).astype(f), rng.normal(size=(3, 5)).astype(f)


def compare(entry: str, target: str) -> None:
    args = _inputs(entry, np.random.default_rng(0))
    want = tfir.compile_source(PROGRAM, "<grads>", target="eager")[entry](*args)
    got = tfir.compile_source(PROGRAM, "<grads>", target=target)[entry](*args)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6)


ENTRIES = ["mlp", "shapes", "second"]


@pytest.mark.parametrize("entry", ENTRIES)
def test_numpy_gradients_equal_eager(entry: str) -> None:
    compare(entry, "numpy")


def test_triton_gradients_equal_eager() -> None:
    """Under the Triton interpreter, in a process of its own (it must be set before Triton loads)."""
    pytest.importorskip("triton")
    root = Path(__file__).parents[2]
    script = (f"import sys; sys.path[:0] = {[str(root)]!r}\n"
              "from tests.integration.test_gradients_targets import ENTRIES, compare\n"
              "for entry in ENTRIES: compare(entry, 'triton')\nprint('ok')")
    env = {**os.environ, "TRITON_INTERPRET": "1", "TFIR_CACHE": "0"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).parents[2])
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


CASES = [
    GradCase("x @ y + y[0]", {"x": np.linspace(-1, 1, 6).reshape(2, 3), "y": np.linspace(0.5, 2, 12).reshape(3, 4)}),
    GradCase("softmax(x * y, axis=0)", {"x": np.linspace(-1, 1, 6).reshape(3, 2), "y": np.array([0.5, -2.0])}),
    GradCase("maximum(x, y) / (1.0 + abs(x))", {"x": np.array([-1.5, 0.7, 2.0]), "y": np.array([0.3, -0.4, 1.0])}),
    GradCase("mean(x ** y, axis=1) - min(x, axis=0)[0]",
             {"x": np.array([[0.5, 1.5], [2.5, 1.2]]), "y": np.array([1.5, 0.5])}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.expr for c in CASES])
def test_numpy_target_matches_finite_differences(case: GradCase) -> None:
    check(case, target="numpy")
