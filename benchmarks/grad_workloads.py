"""The gradient workloads of benchmarks/gradients.py: each a `.tf` program
returning the loss and its gradients, seeded inputs, the backward pass written
by hand in NumPy (as a user would write it, reusing the forward's
intermediates) and the same function for `jax.value_and_grad`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PROGRAMS = Path(__file__).parent / "programs"
F32 = np.float32


@dataclass(frozen=True)
class GradWorkload:
    name: str
    program: str
    full: dict[str, int]
    quick: dict[str, int]
    inputs: Callable[[dict[str, int], np.random.Generator], dict[str, np.ndarray]]
    hand: Callable[..., tuple[np.ndarray, ...]]
    jax: Callable[[Any], Callable[..., Any]]
    rtol: float = 2e-3
    atol: float = 2e-5

    @property
    def path(self) -> Path:
        return PROGRAMS / self.program


def _normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape, dtype=F32) * F32(scale)).astype(F32)


# -- MLP: relu(x @ w1 + b1) @ w2 + b2, softmax cross-entropy ---------------------

def mlp_inputs(d: dict[str, int], rng: np.random.Generator) -> dict[str, np.ndarray]:
    b, dd, h, c = d["B"], d["D"], d["H"], d["C"]
    labels = np.eye(c, dtype=F32)[rng.integers(0, c, b)]
    return {"x": _normal(rng, b, dd), "labels": labels, "w1": _normal(rng, dd, h, scale=dd ** -0.5),
            "b1": _normal(rng, h, scale=0.1), "w2": _normal(rng, h, c, scale=h ** -0.5),
            "b2": _normal(rng, c, scale=0.1)}


def mlp_hand(x: np.ndarray, labels: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray,
             b2: np.ndarray) -> tuple[np.ndarray, ...]:
    a1 = x @ w1 + b1
    h = np.maximum(a1, 0)
    logits = h @ w2 + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(labels * (shifted - np.log(s)), axis=1))
    n = x.shape[0]
    dlogits = (e / s * labels.sum(axis=1, keepdims=True) - labels) / F32(n)
    dh = dlogits @ w2.T
    dh[a1 <= 0] = 0
    return (np.asarray(loss, F32), x.T @ dh, dh.sum(axis=0), h.T @ dlogits, dlogits.sum(axis=0))


def mlp_jax(jax: Any) -> Callable[..., Any]:
    jnp = jax.numpy

    def loss(w1: Any, b1: Any, w2: Any, b2: Any, x: Any, labels: Any) -> Any:
        logits = jax.nn.relu(x @ w1 + b1) @ w2 + b2
        return -jnp.mean(jnp.sum(labels * jax.nn.log_softmax(logits, axis=-1), axis=-1))

    grad = jax.value_and_grad(loss, argnums=(0, 1, 2, 3))

    def run(x: Any, labels: Any, w1: Any, b1: Any, w2: Any, b2: Any) -> Any:
        value, grads = grad(w1, b1, w2, b2, x, labels)
        return (value, *grads)
    return run


WORKLOADS: list[GradWorkload] = [
    GradWorkload("mlp", "mlp_grad.tf", {"B": 256, "D": 1024, "H": 4096, "C": 1024},
                 {"B": 16, "D": 32, "H": 64, "C": 10}, mlp_inputs, mlp_hand, mlp_jax),
]
