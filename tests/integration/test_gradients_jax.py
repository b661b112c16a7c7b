"""Gradients equal jax.grad of the same function (optional: skipped without
jax), at random points and at the non-smooth points the spec lists."""

from __future__ import annotations

import numpy as np
import pytest

import tfir

jax = pytest.importorskip("jax")
jnp = jax.numpy

# (.tf expression of x and y, the same in JAX)
CASES = {
    "relu(x) * y": lambda x, y: jax.nn.relu(x) * y,
    "abs(x) + maximum(x, y) - minimum(y, x) * 2.0": lambda x, y: jnp.abs(x) + jnp.maximum(x, y) - 2 * jnp.minimum(y, x),
    "max(x * y, axis=0) + min(x)": lambda x, y: jnp.max(x * y, axis=0) + jnp.min(x),
    "softmax(x * y, axis=-1)": lambda x, y: jax.nn.softmax(x * y, axis=-1),
    "log_softmax(x, axis=0) * y": lambda x, y: jax.nn.log_softmax(x, axis=0) * y,
    "logsumexp(x * 30.0, 1) * sum(y)": lambda x, y: jax.nn.logsumexp(x * 30, axis=1) * jnp.sum(y),
    "sigmoid(x * 20.0) + tanh(y) * exp(x)": lambda x, y: jax.nn.sigmoid(x * 20) + jnp.tanh(y) * jnp.exp(x),
    "gelu(x) + silu(y)": lambda x, y: jax.nn.gelu(x, approximate=True) + jax.nn.silu(y),
    "where(x > y, x * y, x / (1.0 + y * y))": lambda x, y: jnp.where(x > y, x * y, x / (1 + y * y)),
    "sqrt(abs(x) + 1.0) ** y": lambda x, y: jnp.sqrt(jnp.abs(x) + 1) ** y,
    "prod(x + y, axis=1)": lambda x, y: jnp.prod(x + y, axis=1),
    "x @ transpose(y)": lambda x, y: x @ y.T,
    "layernorm(x, y[0], y[1])": lambda x, y: ((x - x.mean(-1, keepdims=True))
                                              / jnp.sqrt(x.var(-1, keepdims=True) + 1e-5) * y[0] + y[1]),
    "erf(x) * cos(y) + sin(x) * rsqrt(y * y + 1.0)": lambda x, y: (jax.scipy.special.erf(x) * jnp.cos(y)
                                                                  + jnp.sin(x) / jnp.sqrt(y * y + 1)),
    "floor(x) * sign(y) + x[:, ::-1] * y[::-1]": lambda x, y: jnp.floor(x) * jnp.sign(y) + x[:, ::-1] * y[::-1],
}

POINTS = {
    "random": lambda rng: (rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(3, 4)).astype(np.float32)),
    "ties": lambda rng: (np.array([[0, 1, 1, -2], [2, 2, 0, 0], [0, 0, 0, 0]], np.float32),
                         np.array([[0, 1, 2, -2], [2, 1, 0, 1], [0, 0, 0, 0]], np.float32)),
}


@pytest.mark.parametrize("point", list(POINTS))
@pytest.mark.parametrize("expr", list(CASES))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_equals_jax_grad(expr: str, point: str) -> None:
    x, y = POINTS[point](np.random.default_rng(0))
    src = f"fn f(x, y) {{ let gx, gy = gradients({expr}, [x, y]); return gx, gy; }}"
    want = jax.grad(lambda a, b: jnp.sum(CASES[expr](a, b)), argnums=(0, 1))(x, y)
    for target in ("eager", "numpy"):
        got = tfir.compile_source(src, "<jax>", target=target).f(x, y)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, np.asarray(w), rtol=2e-5, atol=2e-5, err_msg=f"{expr} on {target}")
