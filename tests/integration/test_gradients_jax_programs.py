"""Whole gradient programs, as a user writes them (training losses, attention,
a CNN, embeddings, scatters, loops, branches, second order, ties), equal
`jax.grad` of the same function on the eager and numpy targets (optional:
skipped without jax; `pip install -e ".[bench]"`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tfir

jax = pytest.importorskip("jax")
jnp = jax.numpy
jax.config.update("jax_enable_x64", True)

rng = np.random.default_rng(0)
CASES: list[tuple[str, str, Callable[..., Any], list[np.ndarray], list[int]]] = []


def r(*shape: int, dt: type = np.float64) -> np.ndarray:
    return rng.standard_normal(shape).astype(dt)


def case(name: str, src: str, fn: Callable[..., Any], inputs: list[Any], wrt: list[int]) -> None:
    CASES.append((name, src, fn, inputs, wrt))


def _conv2d(x, w, stride=1, padding=0):  # noqa: ANN001, ANN202
    return jax.lax.conv_general_dilated(x, w, (stride, stride), [(padding, padding)] * 2,
                                        dimension_numbers=("NCHW", "OIHW", "NCHW"))


def _maxpool(x, k):  # noqa: ANN001, ANN202
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, k, k), (1, 1, k, k), "VALID")


def _xent(logits, labels):  # noqa: ANN001, ANN202
    return jnp.mean(jax.nn.logsumexp(logits, axis=1) - jnp.take_along_axis(logits, labels[:, None], 1)[:, 0])


case("mlp_xent", """
fn f(x: f64[8, 5], w1: f64[5, 7], b1: f64[7], w2: f64[7, 3], y: i32[8]) -> (f64[5, 7], f64[7], f64[7, 3]) {
    let h = relu(x @ w1 + b1);
    let loss = cross_entropy(h @ w2, y);
    let g1, gb, g2 = gradients(loss, [w1, b1, w2]);
    return g1, gb, g2;
}""", lambda x, w1, b1, w2, y: _xent(jax.nn.relu(x @ w1 + b1) @ w2, y),
     [r(8, 5), r(5, 7), r(7), r(7, 3), rng.integers(0, 3, 8).astype(np.int32)], [1, 2, 3])

case("layernorm_attn", """
fn f(x: f64[4, 6], g: f64[6], wq: f64[6, 6], wk: f64[6, 6]) -> (f64[4, 6], f64[6], f64[6, 6]) {
    let h = layernorm(x, g, zeros([6], f64));
    let s = softmax((h @ wq) @ transpose(h @ wk) / 2.0, axis=-1);
    let loss = sum(s @ h * h);
    let gx, gg, gq = gradients(loss, [x, g, wq]);
    return gx, gg, gq;
}""", lambda x, g, wq, wk: jnp.sum(jax.nn.softmax(((lambda h: (h @ wq) @ (h @ wk).T / 2)(
        (x - x.mean(-1, keepdims=True)) / jnp.sqrt(x.var(-1, keepdims=True) + 1e-5) * g)), -1)
        @ ((x - x.mean(-1, keepdims=True)) / jnp.sqrt(x.var(-1, keepdims=True) + 1e-5) * g)
        * ((x - x.mean(-1, keepdims=True)) / jnp.sqrt(x.var(-1, keepdims=True) + 1e-5) * g)),
     [r(4, 6), r(6), r(6, 6), r(6, 6)], [0, 1, 2])

case("cnn", """
fn f(x: f64[2, 3, 8, 8], w: f64[4, 3, 3, 3], v: f64[16, 5], y: i64[2]) -> (f64[4, 3, 3, 3], f64[2, 3, 8, 8], f64[16, 5]) {
    let h = max_pool2d(relu(conv2d(x, w, padding=1)), 2);
    let z = reshape(h, [2, -1])[:, :16];
    let loss = cross_entropy(z @ v, y);
    let gw, gx, gv = gradients(loss, [w, x, v]);
    return gw, gx, gv;
}""", lambda x, w, v, y: _xent(_maxpool(jax.nn.relu(_conv2d(x, w, 1, 1)), 2).reshape(2, -1)[:, :16] @ v, y),
     [r(2, 3, 8, 8), r(4, 3, 3, 3), r(16, 5), rng.integers(0, 5, 2)], [1, 0, 2])

case("embed_take", """
fn f(e: f64[10, 4], idx: i32[6], w: f64[4]) -> (f64[10, 4], f64[4]) {
    let h = take(e, idx) * w;
    let loss = sum(tanh(h) ** 2.0) + mean(e[idx[0]]);
    let ge, gw = gradients(loss, [e, w]);
    return ge, gw;
}""", lambda e, idx, w: jnp.sum(jnp.tanh(e[idx] * w) ** 2) + jnp.mean(e[idx[0]]),
     [r(10, 4), np.array([1, 3, 3, -1, 0, 9], np.int32), r(4)], [0, 2])

case("scatter_add_concat", """
fn f(x: f64[5, 3], u: f64[2, 3], idx: i32[2]) -> (f64[5, 3], f64[2, 3]) {
    let y = scatter_add(x, idx, u * u);
    let z = concat([y, y[::-1, :] * 2.0], axis=0);
    let loss = sum(sin(z)) + prod(stack([x[0], u[1]], axis=1));
    let gx, gu = gradients(loss, [x, u]);
    return gx, gu;
}""", lambda x, u, idx: (lambda y: jnp.sum(jnp.sin(jnp.concatenate([y, y[::-1] * 2], 0))))(x.at[idx].add(u * u))
     + jnp.prod(jnp.stack([x[0], u[1]], 1)), [r(5, 3), r(2, 3), np.array([4, 4], np.int32)], [0, 1])

case("scatter_overwrite", """
fn f(x: f64[5, 3], u: f64[2, 3]) -> (f64[5, 3], f64[2, 3]) {
    let y = scatter(x, [1, 3], u);
    let loss = sum(y * y * arange(3, f64));
    let gx, gu = gradients(loss, [x, u]);
    return gx, gu;
}""", lambda x, u: jnp.sum(x.at[jnp.array([1, 3])].set(u) ** 2 * jnp.arange(3.0)), [r(5, 3), r(2, 3)], [0, 1])

case("rnn_for", """
fn f(xs: f64[5, 2, 3], h0: f64[2, 4], w: f64[3, 4], u: f64[4, 4]) -> (f64[3, 4], f64[4, 4], f64[2, 4]) {
    let h = h0;
    for t in range(5) {
        let h = tanh(xs[t] @ w + h @ u);
    }
    let loss = sum(h * h);
    let gw, gu, gh = gradients(loss, [w, u, h0]);
    return gw, gu, gh;
}""", lambda xs, h0, w, u: jnp.sum(jax.lax.fori_loop(0, 5, lambda t, h: jnp.tanh(xs[t] @ w + h @ u), h0) ** 2),
     [r(5, 2, 3), r(2, 4), r(3, 4) * 0.5, r(4, 4) * 0.5], [2, 3, 1])

case("if_branch", """
fn f(x: f64[4], s: f64[]) -> (f64[4], f64[]) {
    let y = x;
    if s > 0.0 {
        let y = x * s * s;
    } else {
        let y = exp(x) - s;
    }
    let g, gs = gradients(sum(y * x), [x, s]);
    return g, gs;
}""", lambda x, s: jnp.sum(jnp.where(s > 0, x * s * s, jnp.exp(x) - s) * x), [r(4), np.float64(0.7)], [0, 1])

case("second_order", """
fn f(x: f64[3], w: f64[3, 3]) -> f64[3, 3] {
    let g = gradients(sum(tanh(w @ x) ** 3.0), [x]);
    let gw = gradients(sum(g * g), [w]);
    return gw;
}""", lambda x, w: jnp.sum(jax.grad(lambda x_: jnp.sum(jnp.tanh(w @ x_) ** 3))(x) ** 2), [r(3), r(3, 3)], [1])

case("broadcast_keepdims", """
fn f(a: f64[3, 1, 4], b: f64[1, 5, 1], c: f64[4]) -> (f64[3, 1, 4], f64[1, 5, 1], f64[4]) {
    let t = a * b + c;
    let m = max(t, axis=1, keepdims=true);
    let loss = sum(exp(t - m)) + mean(var(t, axis=[0, 2]));
    let ga, gb, gc = gradients(loss, [a, b, c]);
    return ga, gb, gc;
}""", lambda a, b, c: jnp.sum(jnp.exp(a * b + c - jnp.max(a * b + c, 1, keepdims=True))) + jnp.mean(jnp.var(a * b + c, (0, 2))),
     [r(3, 1, 4), r(1, 5, 1), r(4)], [0, 1, 2])

case("einsum_cumsum_pad", """
fn f(a: f64[3, 4], b: f64[4, 5]) -> (f64[3, 4], f64[4, 5]) {
    let p = pad(einsum("ij,jk->ik", a, b), [[1, 0], [0, 2]], value=1.0);
    let loss = sum(cumsum(p, 1) * softplus(p)) + sum(tile(a, [2, 1]) * repeat(a, 2, 0));
    let ga, gb = gradients(loss, [a, b]);
    return ga, gb;
}""", lambda a, b: (lambda p: jnp.sum(jnp.cumsum(p, 1) * jax.nn.softplus(p)))(jnp.pad(a @ b, [[1, 0], [0, 2]], constant_values=1.0))
     + jnp.sum(jnp.tile(a, (2, 1)) * jnp.repeat(a, 2, 0)), [r(3, 4), r(4, 5)], [0, 1])

case("batched_matmul_bcast", """
fn f(a: f64[2, 3, 4], b: f64[4, 2], v: f64[4]) -> (f64[2, 3, 4], f64[4, 2], f64[4]) {
    let loss = sum(gelu(a @ b)) + sum(a @ v) + sum(v @ b);
    let ga, gb, gv = gradients(loss, [a, b, v]);
    return ga, gb, gv;
}""", lambda a, b, v: jnp.sum(jax.nn.gelu(a @ b, approximate=True)) + jnp.sum(a @ v) + jnp.sum(v @ b),
     [r(2, 3, 4), r(4, 2), r(4)], [0, 1, 2])

case("ties_nonsmooth", """
fn f(x: f64[2, 4]) -> f64[2, 4] {
    let loss = sum(max(x, axis=1)) + sum(maximum(x, 0.5)) + sum(abs(x)) + sum(clip(x, -1.0, 1.0)) + sum(relu(x));
    let g = gradients(loss, [x]);
    return g;
}""", lambda x: jnp.sum(jnp.max(x, 1)) + jnp.sum(jnp.maximum(x, 0.5)) + jnp.sum(jnp.abs(x)) + jnp.sum(jnp.clip(x, -1, 1)) + jnp.sum(jax.nn.relu(x)),
     [np.array([[0.5, 0.5, 0.0, -1.0], [2.0, 2.0, 1.0, 0.0]])], [0])

case("f32_mlp_take_along", """
fn f(x: f32[6, 4], w: f32[4, 3], y: i32[6]) -> f32[4, 3] {
    let lp = log_softmax(x @ w, axis=1);
    let loss = -mean(take_along_axis(lp, expand_dims(y, 1), 1));
    let g = gradients(loss, [w]);
    return g;
}""", lambda x, w, y: -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(x @ w, 1), y[:, None], 1)),
     [r(6, 4, dt=np.float32), r(4, 3, dt=np.float32), rng.integers(0, 3, 6).astype(np.int32)], [1])

case("symbolic_dims", """
fn f(x: f64[B, D], w: f64[D]) -> f64[D] {
    let loss = mean(sigmoid(x @ w) * sum(x, axis=1));
    let g = gradients(loss, [w]);
    return g;
}""", lambda x, w: jnp.mean(jax.nn.sigmoid(x @ w) * jnp.sum(x, 1)), [r(7, 3), r(3)], [1])

case("avgpool_conv1d_stride", """
fn f(x: f64[2, 2, 9], w: f64[3, 2, 3], z: f64[1, 3, 4, 4]) -> (f64[3, 2, 3], f64[1, 3, 4, 4]) {
    let loss = sum(conv1d(x, w, stride=2, dilation=2) ** 2.0) + sum(avg_pool2d(z, 2) * z[:, :, ::2, 1::2]);
    let gw, gz = gradients(loss, [w, z]);
    return gw, gz;
}""", lambda x, w, z: jnp.sum(jax.lax.conv_general_dilated(x, w, (2,), [(0, 0)], rhs_dilation=(2,),
        dimension_numbers=("NCH", "OIH", "NCH")) ** 2)
        + jnp.sum(jax.lax.reduce_window(z, 0.0, jax.lax.add, (1, 1, 2, 2), (1, 1, 2, 2), "VALID") / 4 * z[:, :, ::2, 1::2]),
     [r(2, 2, 9), r(3, 2, 3), r(1, 3, 4, 4)], [1, 2])

case("states_scatter_loop", """
fn f(xs: f64[4, 2, 3], w: f64[3, 3]) -> f64[3, 3] {
    let h = zeros([2, 3], f64);
    let hs = zeros([4, 2, 3], f64);
    for t in range(4) {
        let h = sin(xs[t] + h @ w);
        let hs = scatter(hs, t, h);
    }
    let g = gradients(sum(hs * hs * arange(3, f64)), [w]);
    return g;
}""", lambda xs, w: jnp.sum(jax.lax.fori_loop(0, 4, lambda t, c: (lambda h: (h, c[1].at[t].set(h)))(jnp.sin(xs[t] + c[0] @ w)),
        (jnp.zeros((2, 3)), jnp.zeros((4, 2, 3))))[1] ** 2 * jnp.arange(3.0)), [r(4, 2, 3), r(3, 3) * 0.5], [1])

case("nested_step_loops", """
fn f(x: f64[3], w: f64[3, 3]) -> f64[3, 3] {
    let h = x;
    for i in range(1, 6, 2) {
        for j in range(2) {
            let h = tanh(w @ h) + cast(i, f64) * 0.1;
        }
    }
    let g = gradients(sum(h), [w]);
    return g;
}""", lambda x, w: jnp.sum((lambda h: [h := jnp.tanh(w @ h) + i * 0.1 for i in (1, 1, 3, 3, 5, 5)][-1])(x)), [r(3), r(3, 3)], [1])

case("independent_zero", """
fn f(x: f64[3], z: f64[2]) -> (f64[3], f64[2]) {
    let gx, gz = gradients(sum(x * x), [x, z]);
    return gx, gz;
}""", lambda x, z: jnp.sum(x * x) + 0 * jnp.sum(z), [r(3), r(2)], [0, 1])

case("unary_zoo", """
fn f(x: f64[6], y: f64[6]) -> (f64[6], f64[6]) {
    let loss = sum(silu(x) + elu(x) + leaky_relu(x, 0.2) + atan2(x, y) + tan(x * 0.3) + log1p(abs(x)) + expm1(x * 0.5)
        + reciprocal(y * y + 1.0) + square(x) + sqrt(abs(y) + 0.1) + rsqrt(y * y + 1.0) + atan(x) + x ** 3 + abs(y) ** x);
    let gx, gy = gradients(loss, [x, y]);
    return gx, gy;
}""", lambda x, y: jnp.sum(jax.nn.silu(x) + jax.nn.elu(x) + jax.nn.leaky_relu(x, 0.2) + jnp.arctan2(x, y) + jnp.tan(x * 0.3)
        + jnp.log1p(jnp.abs(x)) + jnp.expm1(x * 0.5) + 1 / (y * y + 1) + x ** 2 + jnp.sqrt(jnp.abs(y) + 0.1)
        + 1 / jnp.sqrt(y * y + 1) + jnp.arctan(x) + x ** 3 + jnp.abs(y) ** x), [r(6), r(6)], [0, 1])

case("prod_cumprod_zeros", """
fn f(x: f64[2, 4]) -> f64[2, 4] {
    let g = gradients(sum(prod(x, axis=1)) + sum(cumprod(x, 1)) + prod(x), [x]);
    return g;
}""", lambda x: jnp.sum(jnp.prod(x, 1)) + jnp.sum(jnp.cumprod(x, 1)) + jnp.prod(x),
     [np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 0.0, 3.0, 0.5]])], [0])

case("std_ddof_softmax0", """
fn f(x: f64[4, 3]) -> f64[4, 3] {
    let g = gradients(sum(std(x, axis=0, ddof=1)) + sum(softmax(x, axis=0) * x) + logsumexp(x, 0)[1] + mse(x, x * x), [x]);
    return g;
}""", lambda x: jnp.sum(jnp.std(x, 0, ddof=1)) + jnp.sum(jax.nn.softmax(x, 0) * x) + jax.nn.logsumexp(x, 0)[1]
     + jnp.mean((x - x * x) ** 2), [r(4, 3)], [0])

case("shape_ops", """
fn f(x: f64[2, 3, 4]) -> f64[2, 3, 4] {
    let a = flip(transpose(x, perm=[2, 0, 1]), 1);
    let b = squeeze(expand_dims(sum(x, axis=2), 0), 0);
    let c = broadcast_to(x[:, :1, :], [2, 3, 4]);
    let d = tril(x[0], 1) + triu(x[1], -1);
    let g = gradients(sum(a * a * 1.5) + sum(b * b) + sum(c * x) + sum(d * d), [x]);
    return g;
}""", lambda x: jnp.sum(jnp.flip(jnp.transpose(x, (2, 0, 1)), 1) ** 2 * 1.5) + jnp.sum(jnp.sum(x, 2) ** 2)
     + jnp.sum(jnp.broadcast_to(x[:, :1, :], (2, 3, 4)) * x) + jnp.sum((jnp.tril(x[0], 1) + jnp.triu(x[1], -1)) ** 2), [r(2, 3, 4)], [0])

case("maxpool_ties_min", """
fn f(x: f64[1, 1, 4, 4]) -> f64[1, 1, 4, 4] {
    let g = gradients(sum(max_pool2d(x, 2)) + sum(min(x, axis=[2, 3])), [x]);
    return g;
}""", lambda x: jnp.sum(_maxpool(x, 2)) + jnp.sum(jnp.min(x, (2, 3))), [np.array([[[[1., 1., 0., 2.], [1., 0., 2., 2.], [0., 0., 0., 0.], [0., -1., 0., -1.]]]])], [0])

case("one_hot_random", """
fn f(x: f64[4, 3], y: i32[4]) -> f64[4, 3] {
    let n = random_normal(7, [4, 3], f64);
    let g = gradients(sum(one_hot(y, 3, f64) * log_softmax(x + n * 0.0)), [x]);
    return g;
}""", lambda x, y: jnp.sum(jax.nn.one_hot(y, 3) * jax.nn.log_softmax(x)), [r(4, 3), np.array([0, 2, 1, 5], np.int32)], [0])

case("dynamic_index_loop", """
fn f(x: f64[5, 3], w: f64[3]) -> (f64[5, 3], f64[3]) {
    let acc = zeros([3], f64);
    for t in range(5) {
        let acc = acc * w + x[4 - t];
    }
    let gx, gw = gradients(sum(acc * acc), [x, w]);
    return gx, gw;
}""", lambda x, w: jnp.sum(jax.lax.fori_loop(0, 5, lambda t, a: a * w + x[4 - t], jnp.zeros(3)) ** 2), [r(5, 3), r(3)], [0, 1])

case("gather_fancy_index", """
fn f(x: f64[4, 5], i: i64[3]) -> f64[4, 5] {
    let g = gradients(sum(x[:, i] ** 2.0) + sum(x[1:, None, ::2]), [x]);
    return g;
}""", lambda x, i: jnp.sum(x[:, i] ** 2) + jnp.sum(x[1:, None, ::2]), [r(4, 5), np.array([4, -1, 0])], [0])


@pytest.mark.parametrize("target", ["eager", "numpy"])
@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_program_gradients_equal_jax_grad(name: str, target: str) -> None:
    _, src, fn, inputs, wrt = next(c for c in CASES if c[0] == name)
    want = jax.grad(fn, argnums=tuple(wrt))(*[jnp.asarray(a) for a in inputs])
    got = tfir.compile_source(src, f"{name}.tf", target=target).f(*inputs)
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        tol = 1e-3 if np.asarray(g).dtype == np.float32 else 1e-8
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=tol, atol=tol)


LET_TOTAL = """
fn f(x: f64[3]) -> (f64[3], f64[3]) {
    let h = exp(x);
    let y = sum(h * x);
    let gh, gx = gradients(y, [h, x]);
    return gh, gx;
}"""


@pytest.mark.parametrize("target", ["eager", "numpy"])
def test_gradients_are_total_derivatives(target: str) -> None:
    # As tf.gradients: with respect to `x` the path through `h` counts too.
    x = r(3)
    gh, gx = tfir.compile_source(LET_TOTAL, "total.tf", target=target).f(x)
    np.testing.assert_allclose(gh, x, rtol=1e-12)
    np.testing.assert_allclose(gx, jax.grad(lambda a: jnp.sum(jnp.exp(a) * a))(jnp.asarray(x)), rtol=1e-12)
