"""Gradients at the points where finite differences say nothing: kinks, ties
and piecewise-constant functions, exactly as the spec ("Gradients") and
jax.grad give them; and numerically stable rules where naive ones overflow."""

from __future__ import annotations

import numpy as np
import pytest

import tfir

TARGETS = ["eager", "numpy"]

# Generated NumPy code warns where eager (under np.errstate) does not: 0 ** -1 in
# the pow rule's unused branch, exp overflow in the forward softmax of big logits.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def grads(expr: str, target: str, **inputs: np.ndarray) -> tuple[np.ndarray, ...]:
    names = ", ".join(inputs)
    wrt = [n for n, a in inputs.items() if a.dtype.kind == "f"]
    text = (f"fn f({names}) {{ let {', '.join('g_' + n for n in wrt)} = "
            f"gradients({expr}, [{', '.join(wrt)}]); return {', '.join('g_' + n for n in wrt)}; }}")
    out = tfir.compile_source(text, "<ties>", target=target).f(*inputs.values())
    return out if isinstance(out, tuple) else (out,)


X = np.array([-1.0, 0.0, 0.0, 2.0, -0.0, 3.0], np.float32)
Y = np.array([0.0, 0.0, 1.0, 2.0, 0.0, -3.0], np.float32)


@pytest.mark.parametrize("target", TARGETS)
def test_relu_is_zero_at_zero_and_abs_one(target: str) -> None:
    (g,) = grads("relu(x)", target, x=X)
    np.testing.assert_array_equal(g, [0, 0, 0, 1, 0, 1])
    (g,) = grads("abs(x)", target, x=X)
    np.testing.assert_array_equal(g, [-1, 1, 1, 1, 1, 1])


@pytest.mark.parametrize("target", TARGETS)
def test_maximum_minimum_split_ties(target: str) -> None:
    gx, gy = grads("maximum(x, y)", target, x=X, y=Y)
    np.testing.assert_array_equal(gx, [0, 0.5, 0, 0.5, 0.5, 1])
    np.testing.assert_array_equal(gy, [1, 0.5, 1, 0.5, 0.5, 0])
    gx, gy = grads("minimum(x, y) * 2.0", target, x=X, y=Y)
    np.testing.assert_array_equal(gx, [2, 1, 2, 1, 1, 0])
    np.testing.assert_array_equal(gy, [0, 1, 0, 1, 1, 2])


@pytest.mark.parametrize("target", TARGETS)
def test_max_min_reductions_split_evenly_among_ties(target: str) -> None:
    m = np.array([[1, 3, 3, 2], [5, 5, 5, -1], [0, 0, 0, 0]], np.float32)
    (g,) = grads("max(m, axis=1)", target, m=m)
    np.testing.assert_allclose(g, [[0, 0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3, 0], [0.25] * 4], rtol=1e-6)
    (g,) = grads("min(m)", target, m=m)
    np.testing.assert_array_equal(g, [[0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
    (g,) = grads("max(m, axis=0)", target, m=m)
    np.testing.assert_array_equal(g, [[0, 0, 0, 1], [1, 1, 1, 0], [0, 0, 0, 0]])


@pytest.mark.parametrize("target", TARGETS)
def test_piecewise_constant_and_integer_paths_pass_nothing(target: str) -> None:
    (g,) = grads("sign(x) * 2.0 + floor(x) + ceil(x * 3.0)", target, x=X)
    np.testing.assert_array_equal(g, np.zeros(6))
    (g,) = grads("cast(argmax(x, 0), f32) + cast(cast(x, i32), f32)", target, x=X)
    np.testing.assert_array_equal(g, np.zeros(6))
    (g,) = grads("where(x > y, 1.0, 0.0) * 5.0", target, x=X, y=Y)[:1]
    np.testing.assert_array_equal(g, np.zeros(6))


@pytest.mark.parametrize("target", TARGETS)
def test_where_routes_by_condition(target: str) -> None:
    gx, gy = grads("where(x > 0.0, x * x, y)", target, x=X, y=Y)
    np.testing.assert_array_equal(gx, [0, 0, 0, 4, 0, 6])
    np.testing.assert_array_equal(gy, [1, 1, 1, 0, 1, 0])


@pytest.mark.parametrize("target", TARGETS)
def test_pow_at_zero_base(target: str) -> None:
    """As jax.grad of `x ** y` for float arrays (lax.pow's rule): d/dx is y * x ** (y - 1),
    NaN at 0 ** 0 (0 * inf) and 0 at x != 0, y == 0; d/dy uses log(1) at x == 0."""
    x = np.array([0.0, 0.0, 2.0], np.float32)
    y = np.array([2.0, 0.0, 0.0], np.float32)
    gx, gy = grads("x ** y", target, x=x, y=y)
    np.testing.assert_array_equal(gx, [0, np.nan, 0])
    np.testing.assert_allclose(gy, [0, 0, np.log(2.0)], rtol=1e-6)


@pytest.mark.parametrize("target", TARGETS)
def test_stable_rules_do_not_overflow(target: str) -> None:
    big = np.array([[1000.0, 0.0, -1000.0], [-50.0, 80.0, 80.0]], np.float32)
    for expr in ("logsumexp(x, 1)", "sum(log_softmax(x) * w)", "sum(softmax(x) * w)", "sigmoid(x) * w"):
        w = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], np.float32)
        (g, *_rest) = grads(expr, target, x=big, w=w)
        assert np.isfinite(g).all(), (expr, g)
    (g, _) = grads("logsumexp(x, 1)", target, x=big, w=np.zeros((2, 3), np.float32))
    np.testing.assert_allclose(g, [[1, 0, 0], [0, 0.5, 0.5]], atol=1e-6)
    (g,) = grads("sigmoid(x)", target, x=np.array([-100.0, 0.0, 100.0], np.float32))
    np.testing.assert_allclose(g, [0, 0.25, 0], atol=1e-30)


@pytest.mark.parametrize("target", TARGETS)
def test_gradient_of_sum_and_zeros_for_unused(target: str) -> None:
    gx, gy = grads("x * 3.0", target, x=X, y=Y)
    np.testing.assert_array_equal(gx, np.full(6, 3.0))
    np.testing.assert_array_equal(gy, np.zeros(6))
    assert gx.dtype == np.float32
