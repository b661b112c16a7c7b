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


def _conv2d(x, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):  # noqa: ANN001, ANN202
    return jax.lax.conv_general_dilated(x, w, stride, [(p, p) for p in padding], rhs_dilation=dilation,
                                        feature_group_count=groups, dimension_numbers=("NCHW", "OIHW", "NCHW"))


def _max_pool(x, k, s, p):  # noqa: ANN001, ANN202
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, k, k), (1, 1, s, s),
                                 ((0, 0), (0, 0), (p, p), (p, p)))


V2_CASES = {
    "conv2d(x, w, stride=2, padding=1, groups=2)": (
        lambda x, w: _conv2d(x, w, (2, 2), (1, 1), groups=2), (2, 4, 7, 7), (6, 2, 3, 3)),
    "max_pool2d(x * w[0, 0, 0, 0], 3, stride=2, padding=1)": (
        lambda x, w: _max_pool(x * w[0, 0, 0, 0], 3, 2, 1), (1, 2, 6, 6), (1, 1, 1, 1)),
    "clip(x, -0.5, w[0, 0, 0, 0]) + elu(x) + leaky_relu(x) + softplus(x)": (
        lambda x, w: jnp.clip(x, -0.5, w[0, 0, 0, 0]) + jax.nn.elu(x) + jax.nn.leaky_relu(x) + jax.nn.softplus(x),
        (2, 3, 4, 4), (1, 1, 1, 1)),
    "cumprod(x, 3) * cumsum(x, 2) + var(x, axis=1) * std(w)": (
        lambda x, w: jnp.cumprod(x, 3) * jnp.cumsum(x, 2) + jnp.var(x, axis=1) * jnp.std(w), (1, 2, 3, 4), (2, 1, 1, 2)),
}


@pytest.mark.parametrize("expr", list(V2_CASES))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_v2_builtins_equal_jax_grad(expr: str) -> None:
    fn, sx, sw = V2_CASES[expr]
    rng = np.random.default_rng(1)
    x = np.round(rng.normal(size=sx), 1).astype(np.float32)  # rounding makes ties in pooling and clip
    w = rng.normal(size=sw).astype(np.float32)
    src = f"fn f(x, w) {{ let gx, gw = gradients({expr}, [x, w]); return gx, gw; }}"
    want = jax.grad(lambda a, b: jnp.sum(fn(a, b)), argnums=(0, 1))(x, w)
    for target in ("eager", "numpy"):
        got = tfir.compile_source(src, "<jax>", target=target).f(x, w)
        for g, ref in zip(got, want, strict=True):
            np.testing.assert_allclose(g, np.asarray(ref), rtol=2e-4, atol=2e-4, err_msg=f"{expr} on {target}")


META = """
fn loss(x: f64[6, 3], y: f64[6], w: f64[3]) -> f64 {
    return mean((tanh(x @ w) - y) ** 2.0);
}

fn main(x: f64[6, 3], y: f64[6], w0: f64[3], lr: f64) -> (f64[3], f64[3], f64) {
    let w = w0;
    for step in range(4) {
        let g = gradients(loss(x, y, w), [w]);
        let w = w - lr * g;
    }
    let meta_w, meta_lr = gradients(loss(x, y, w), [w0, lr]);
    return w, meta_w, meta_lr;
}
"""


@pytest.mark.parametrize("target", ["eager", "numpy"])
@pytest.mark.parametrize("recompute", [False, True])
def test_gradient_through_a_training_loop_equals_jax(target: str, recompute: bool) -> None:
    """Second order through a `for` loop: the gradient of the loss after 4 SGD
    steps (each a `gradients` in the loop body) by the initial weights and the
    learning rate, as `jax.grad` of the unrolled training gives it."""
    rng = np.random.default_rng(1)
    x, y, w0, lr = rng.normal(size=(6, 3)), rng.normal(size=6), rng.normal(size=3), np.array(0.3)

    def loss(w):  # noqa: ANN001, ANN202
        return jnp.mean((jnp.tanh(x @ w) - y) ** 2)

    def train(w0, lr):  # noqa: ANN001, ANN202
        w = w0
        for _ in range(4):
            w = w - lr * jax.grad(loss)(w)
        return w

    with jax.enable_x64(True):
        want = (train(w0, lr), *jax.grad(lambda a, b: loss(train(a, b)), argnums=(0, 1))(w0, lr))
    options = {"pass_options": {"differentiate": {"recompute": True}}} if recompute else {}
    got = tfir.compile_source(META, "meta.tf", target=target, **options).main(x, y, w0, lr)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, np.asarray(w), rtol=1e-10, atol=1e-12)


SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-300, 2.0, -2.0, 0.5, 40.0, -40.0, 800.0])
COTANGENTS = np.array([np.inf, -np.inf, 0.0, 1.0, -2.5])
UNARY_JAX = {
    "neg": jnp.negative, "abs": jnp.abs, "exp": jnp.exp, "log": jnp.log, "sqrt": jnp.sqrt, "rsqrt": jax.lax.rsqrt,
    "tanh": jnp.tanh, "sin": jnp.sin, "cos": jnp.cos, "erf": jax.scipy.special.erf, "sigmoid": jax.nn.sigmoid,
    "relu": jax.nn.relu, "log1p": jnp.log1p, "expm1": jnp.expm1, "tan": jnp.tan, "atan": jnp.arctan,
    "square": jnp.square, "reciprocal": jnp.reciprocal, "softplus": jax.nn.softplus, "silu": jax.nn.silu,
    "gelu": lambda x: jax.nn.gelu(x, approximate=True), "leaky_relu": jax.nn.leaky_relu, "elu": jax.nn.elu,
    "floor": jnp.floor, "sign": jnp.sign,
}


def _same(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return (got == want) | (np.isnan(got) & np.isnan(want)) | np.isclose(got, want, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", list(UNARY_JAX))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_unary_rules_at_special_values_equal_jax(name: str) -> None:
    """Zeros of both signs, infinities, NaN, tiny and huge inputs, and infinite
    cotangents: the rules are JAX's own formulas, so even 0 * inf agrees."""
    x = np.repeat(SPECIAL, len(COTANGENTS))
    c = np.tile(COTANGENTS, len(SPECIAL))
    n = len(x)
    src = f"fn f(x: f64[{n}], c: f64[{n}]) -> f64[{n}] {{ let g = gradients({name}(x) * c, [x]); return g; }}"
    with jax.enable_x64(True):
        want = np.asarray(jax.grad(lambda a: jnp.sum(UNARY_JAX[name](a) * c))(x))
    for target in ("eager", "numpy"):
        got = tfir.compile_source(src, "<special>", target=target).f(x, c)
        bad = np.flatnonzero(~_same(got, want))
        assert not bad.size, f"{name} on {target}: (x, cotangent, tfir, jax) " + str(
            [(x[i], c[i], got[i], want[i]) for i in bad[:5]])


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2)])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_prod_with_zeros_and_infinities_equals_jax(axis: int | tuple[int, ...] | None) -> None:
    """The product of the others, with no division: `prod([inf, a, b])` gives
    `[a*b, inf*b, inf*a]`, as JAX's rule does (a division would give inf/inf)."""
    x = np.round(np.random.default_rng(3).normal(size=(3, 4, 2)) * 2) / 2
    x[0, 0, 0], x[1, 2, 1], x[2, 3, 0] = np.inf, -np.inf, 0.0
    axes = "" if axis is None else f", axis={list(axis) if isinstance(axis, tuple) else axis}"
    src = f"fn f(x: f64[3, 4, 2]) -> f64[3, 4, 2] {{ let g = gradients(prod(x{axes}) * 1.5, [x]); return g; }}"
    with jax.enable_x64(True):
        want = np.asarray(jax.grad(lambda a: jnp.sum(jnp.prod(a, axis=axis) * 1.5))(x))
    for target in ("eager", "numpy"):
        got = tfir.compile_source(src, "<prod>", target=target).f(x)
        assert _same(got, want).all(), (target, got, want)


BINARY_JAX = {"x + y": jnp.add, "x - y": jnp.subtract, "x * y": jnp.multiply, "x / y": jnp.divide,
              "x ** y": jnp.power, "maximum(x, y)": jnp.maximum, "minimum(x, y)": jnp.minimum,
              "atan2(x, y)": jnp.arctan2, "mod(x, y)": jnp.mod, "floordiv(x, y)": jnp.floor_divide}


@pytest.mark.parametrize("expr", list(BINARY_JAX))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_binary_rules_at_special_values_equal_jax(expr: str) -> None:
    """Every pair of zeros of both signs, ones, halves, infinities and NaN."""
    values = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.0, np.inf, -np.inf, np.nan])
    x, y = (a.ravel() for a in np.meshgrid(values, values))
    n = len(x)
    src = f"fn f(x: f64[{n}], y: f64[{n}]) -> (f64[{n}], f64[{n}]) {{ let gx, gy = gradients({expr}, [x, y]); return gx, gy; }}"
    with jax.enable_x64(True):
        want = jax.grad(lambda a, b: jnp.sum(BINARY_JAX[expr](a, b)), argnums=(0, 1))(x, y)
    for target in ("eager", "numpy"):
        got = tfir.compile_source(src, "<special>", target=target).f(x, y)
        for name, g, w in zip("xy", got, want, strict=True):
            w = np.asarray(w)
            bad = np.flatnonzero(~_same(g, w))
            assert not bad.size, f"{expr} d/d{name} on {target}: (x, y, tfir, jax) " + str(
                [(x[i], y[i], g[i], w[i]) for i in bad[:6]])
