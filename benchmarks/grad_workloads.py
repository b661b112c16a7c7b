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


# -- LSTM over T steps, backpropagation through time ----------------------------

def lstm_inputs(d: dict[str, int], rng: np.random.Generator) -> dict[str, np.ndarray]:
    t, b, dd, h = d["T"], d["B"], d["D"], d["H"]
    return {"xs": _normal(rng, t, b, dd), "ys": _normal(rng, t, b, h, scale=0.5),
            "h0": _normal(rng, b, h, scale=0.1), "c0": _normal(rng, b, h, scale=0.1),
            "w": _normal(rng, dd, 4 * h, scale=dd ** -0.5), "u": _normal(rng, h, 4 * h, scale=h ** -0.5),
            "b": _normal(rng, 4 * h, scale=0.1)}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def lstm_hand(xs: np.ndarray, ys: np.ndarray, h0: np.ndarray, c0: np.ndarray, w: np.ndarray, u: np.ndarray,
              b: np.ndarray) -> tuple[np.ndarray, ...]:
    steps, n_h = len(xs), h0.shape[1]
    h, c, loss = h0, c0, 0.0
    saved = []
    for t in range(steps):
        z = xs[t] @ w + h @ u + b
        i, f = _sigmoid(z[:, :n_h]), _sigmoid(z[:, n_h:2 * n_h])
        g, o = np.tanh(z[:, 2 * n_h:3 * n_h]), _sigmoid(z[:, 3 * n_h:])
        c_prev, h_prev = c, h
        c = f * c + i * g
        tc = np.tanh(c)
        h = o * tc
        loss += np.mean((h - ys[t]) ** 2)
        saved.append((h_prev, c_prev, i, f, g, o, tc, h))
    scale = F32(2.0 / (steps * h0.size))
    gw, gu, gb = np.zeros_like(w), np.zeros_like(u), np.zeros_like(b)
    dh, dc = np.zeros_like(h0), np.zeros_like(c0)
    dz = np.empty((h0.shape[0], 4 * n_h), F32)
    for t in reversed(range(steps)):
        h_prev, c_prev, i, f, g, o, tc, h = saved[t]
        dh = dh + scale * (h - ys[t])
        dc = dc + dh * o * (1 - tc * tc)
        dz[:, :n_h] = dc * g * i * (1 - i)
        dz[:, n_h:2 * n_h] = dc * c_prev * f * (1 - f)
        dz[:, 2 * n_h:3 * n_h] = dc * i * (1 - g * g)
        dz[:, 3 * n_h:] = dh * tc * o * (1 - o)
        gw += xs[t].T @ dz
        gu += h_prev.T @ dz
        gb += dz.sum(axis=0)
        dh = dz @ u.T
        dc = dc * f
    return np.asarray(loss / steps, F32), gw, gu, gb


def lstm_jax(jax: Any) -> Callable[..., Any]:
    jnp = jax.numpy

    def loss(w: Any, u: Any, b: Any, xs: Any, ys: Any, h0: Any, c0: Any) -> Any:
        n_h = h0.shape[1]

        def step(carry: Any, xy: Any) -> Any:
            h, c = carry
            x, y = xy
            z = x @ w + h @ u + b
            i, f = jax.nn.sigmoid(z[:, :n_h]), jax.nn.sigmoid(z[:, n_h:2 * n_h])
            g, o = jnp.tanh(z[:, 2 * n_h:3 * n_h]), jax.nn.sigmoid(z[:, 3 * n_h:])
            c = f * c + i * g
            h = o * jnp.tanh(c)
            return (h, c), jnp.mean((h - y) ** 2)

        _, losses = jax.lax.scan(step, (h0, c0), (xs, ys))
        return jnp.mean(losses)

    grad = jax.value_and_grad(loss, argnums=(0, 1, 2))

    def run(xs: Any, ys: Any, h0: Any, c0: Any, w: Any, u: Any, b: Any) -> Any:
        value, grads = grad(w, u, b, xs, ys, h0, c0)
        return (value, *grads)
    return run


WORKLOADS.append(GradWorkload("lstm", "lstm_bptt.tf", {"T": 64, "B": 32, "D": 256, "H": 256},
                              {"T": 5, "B": 4, "D": 8, "H": 6}, lstm_inputs, lstm_hand, lstm_jax))
