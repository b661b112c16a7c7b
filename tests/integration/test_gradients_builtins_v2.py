"""Gradients of the builtins of language version 2 against central finite
differences in float64 (eager target): the elementwise ops by their rules,
the others (`var`, `std`, `einsum`, convolutions, pooling, `tile`, ...)
through their decompositions or rules; the values at kinks as JAX gives them.
"""

from __future__ import annotations

import numpy as np
import pytest

import tfir
from tests.support.gradcheck import GradCase, check


def normal(seed: int, *shape: int, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape) * scale


def positive(seed: int, *shape: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.3, 2.0, size=shape)


def away(seed: int, *shape: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.2, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


CASES = {
    "log1p": GradCase("log1p(x)", {"x": positive(0, 2, 3)}),
    "expm1": GradCase("expm1(x)", {"x": normal(1, 4)}),
    "tan": GradCase("tan(x)", {"x": normal(2, 3, scale=0.5)}),
    "atan": GradCase("atan(x)", {"x": normal(3, 2, 2)}),
    "square": GradCase("square(x)", {"x": normal(4, 5)}),
    "reciprocal": GradCase("reciprocal(x)", {"x": away(5, 4)}),
    "softplus": GradCase("softplus(x * 3.0)", {"x": normal(6, 6)}),
    "atan2": GradCase("atan2(x, y)", {"x": normal(7, 3, 4), "y": away(8, 4)}),
    "clip": GradCase("clip(x, lo, hi)", {"x": normal(9, 3, 4), "lo": np.array(-0.5), "hi": normal(10, 4) + 1.3}),
    "leaky_relu": GradCase("leaky_relu(x, alpha=0.2)", {"x": away(11, 5)}),
    "elu": GradCase("elu(x, alpha=1.5)", {"x": away(12, 5)}),
    "cumsum": GradCase("cumsum(x, 1)", {"x": normal(13, 3, 4)}),
    "cumprod": GradCase("cumprod(x, 0)", {"x": normal(14, 4, 3)}),
    "cumprod with zeros": GradCase("cumprod(x, 1)", {"x": np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 0.0, 3.0, 2.0],
                                                                  [2.0, -1.0, 0.5, 0.0]])}),
    "var": GradCase("var(x, axis=1)", {"x": normal(15, 3, 5)}),
    "std ddof": GradCase("std(x, axis=0, ddof=1, keepdims=true)", {"x": normal(16, 4, 3)}),
    "einsum": GradCase('einsum("ij,jk->ik", x, y)', {"x": normal(17, 2, 3), "y": normal(18, 3, 4)}),
    "einsum batch": GradCase('einsum("bij,bkj->bik", x, y)', {"x": normal(19, 2, 3, 4), "y": normal(20, 2, 2, 4)}),
    "einsum trace": GradCase('einsum("ii,i->i", x, y)', {"x": normal(21, 3, 3), "y": normal(22, 3)}),
    "tril": GradCase("tril(x, k=1) + triu(x * 2.0, k=-1)", {"x": normal(23, 4, 4)}),
    "flip": GradCase("flip(x, 1) * x", {"x": normal(24, 3, 4)}),
    "tile": GradCase("tile(x, [2, 3])", {"x": normal(25, 2, 2)}),
    "repeat": GradCase("repeat(x, 3, 1)", {"x": normal(26, 2, 3)}),
    "pad": GradCase("pad(x, [[1, 2], [0, 1]], value=1.5)", {"x": normal(27, 2, 3)}),
    "conv1d": GradCase("conv1d(x, w, stride=2, padding=1)", {"x": normal(28, 2, 3, 9), "w": normal(29, 4, 3, 3)}),
    "conv2d": GradCase("conv2d(x, w, padding=1)", {"x": normal(30, 1, 2, 5, 5), "w": normal(31, 3, 2, 3, 3)}),
    "conv2d strided dilated grouped": GradCase("conv2d(x, w, stride=[2, 1], dilation=2, groups=2)",
                                               {"x": normal(32, 2, 4, 7, 6), "w": normal(33, 2, 2, 2, 2)}),
    "max_pool2d": GradCase("max_pool2d(x, 2)", {"x": np.random.default_rng(34).permutation(np.arange(64.0)).reshape(1, 1, 8, 8)}),
    "max_pool2d padded": GradCase("max_pool2d(x, 3, stride=2, padding=1)",
                                  {"x": np.random.default_rng(35).permutation(np.arange(98.0)).reshape(2, 1, 7, 7)}),
    "avg_pool2d": GradCase("avg_pool2d(x, [2, 3], padding=[1, 0])", {"x": normal(36, 1, 2, 5, 6)}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_builtin(name: str) -> None:
    check(CASES[name])


def grads(expr: str, target: str, **inputs: np.ndarray) -> tuple[np.ndarray, ...]:
    names = ", ".join(inputs)
    wrt = [n for n, a in inputs.items() if a.dtype.kind == "f"]
    gs = ", ".join("g_" + n for n in wrt)
    text = f"fn f({names}) {{ let {gs} = gradients({expr}, [{', '.join(wrt)}]); return {gs}; }}"
    out = tfir.compile_source(text, "<ties>", target=target).f(*inputs.values())
    return out if isinstance(out, tuple) else (out,)


@pytest.mark.parametrize("target", ["eager", "numpy"])
def test_kinks_as_jax(target: str) -> None:
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0], np.float32)
    (g,) = grads("leaky_relu(x, alpha=0.1)", target, x=x)
    np.testing.assert_allclose(g, [0.1, 1, 1, 1, 1], rtol=1e-6)
    (g,) = grads("elu(x, alpha=2.0)", target, x=x)
    np.testing.assert_allclose(g, [2 * np.exp(-1), 2, 1, 1, 1], rtol=1e-6)
    gx, glo, ghi = grads("clip(x, lo, hi)", target, x=x, lo=np.array(0.0, np.float32), hi=np.array(1.0, np.float32))
    np.testing.assert_array_equal(gx, [0, 0.5, 1, 0.5, 0])
    np.testing.assert_array_equal([glo, ghi], [1.5, 1.5])


@pytest.mark.parametrize("target", ["eager", "numpy"])
def test_max_pool_gives_the_first_maximum(target: str) -> None:
    x = np.array([[[[1, 3, 3, 0], [3, 2, 0, 0], [5, 5, 1, 1], [5, 5, 1, 1]]]], np.float32)
    (g,) = grads("max_pool2d(x, 2)", target, x=x)
    np.testing.assert_array_equal(g[0, 0], [[0, 1, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
