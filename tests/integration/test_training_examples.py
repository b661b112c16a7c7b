"""The training examples (examples/train_mlp.tf, examples/train_rnn.tf): a
falling loss curve, a trained model (the MLP >= 95 % accurate on its training
set), the same on the eager and numpy targets."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import tfir

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_train_mlp() -> None:
    runs = [tfir.compile_file(EXAMPLES / "train_mlp.tf", target=t).train() for t in ("eager", "numpy")]
    (curve, accuracy), (curve_np, accuracy_np) = runs
    assert curve.shape == (300,) and curve[-1] < 0.2 * curve[0]
    assert np.all(np.diff(curve[10:]) < 0)  # SGD with a small step: falls every step after the start
    assert accuracy >= 0.95
    np.testing.assert_allclose(curve_np, curve, rtol=1e-4, atol=1e-6)
    assert accuracy_np == accuracy


def test_train_rnn() -> None:
    runs = [tfir.compile_file(EXAMPLES / "train_rnn.tf", target=t).train() for t in ("eager", "numpy")]
    (curve, final), (curve_np, _) = runs
    assert curve.shape == (200,) and final < 0.05 * curve[0]
    np.testing.assert_allclose(curve_np, curve, rtol=1e-4, atol=1e-6)
