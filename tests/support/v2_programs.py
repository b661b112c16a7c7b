"""Programs using the builtins of language version 2 (elementwise math,
statistics, scans, array ops, einsum, convolution, pooling, random numbers),
with inputs and independent NumPy references: the per-builtin tests of every
target (tests/backends/*/test_v2_builtins.py) run them all.

Shapes are drawn from a seeded generator per program, inputs include
broadcasting operands and, for the elementwise ops, NaN, +-inf and -0.0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

f32, f64, i32, i64 = np.float32, np.float64, np.int32, np.int64
SPECIAL = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-30, -1e-30, 1e-7, -3e-8, 0.5, -1.0, -1.5,
                    2.0, 88.0, -88.0, 1e30, -1e30], f32)


@dataclass
class V2Program:
    name: str
    source: str
    inputs: Callable[[np.random.Generator], list[np.ndarray]]
    reference: Callable[..., tuple[np.ndarray, ...]]
    tol: tuple[float, float] = (2e-5, 2e-6)
    exact: tuple[int, ...] = ()  # results that must be equal bit for bit on every target
    small: Callable[[np.random.Generator], list[np.ndarray]] | None = None  # for slow interpreters


def normal(r: np.random.Generator, *shape: int, dtype=f32) -> np.ndarray:
    return r.standard_normal(shape).astype(dtype)


def _specials(r: np.random.Generator) -> list[np.ndarray]:
    x = np.concatenate([SPECIAL, normal(r, 31) * 3]).astype(f32)
    return [x, r.permutation(x), normal(r, 7, 1), normal(r, 48).reshape(1, 48)]


def _ref_elementwise(x, y, c, row):
    with np.errstate(all="ignore"):
        return (np.log1p(x), np.expm1(x), np.tan(x), np.arctan(x), np.square(x), np.reciprocal(x),
                np.logaddexp(f32(0), x), np.isnan(x), np.isinf(x), np.arctan2(x, y),
                np.clip(c, f32(-0.5), row), np.where(x >= 0, x, f32(0.2) * x),
                np.where(x > 0, x, f32(0.7) * np.expm1(x)), np.arctan2(c, row))


ELEMENTWISE = V2Program(
    "elementwise", """
fn main(x: f32[48], y: f32[48], c: f32[7, 1], row: f32[1, 48]) {
    return log1p(x), expm1(x), tan(x), atan(x), square(x), reciprocal(x), softplus(x), isnan(x),
           isinf(x), atan2(x, y), clip(c, -0.5, row), leaky_relu(x, alpha=0.2), elu(x, alpha=0.7),
           atan2(c, row);
}
""", _specials, _ref_elementwise, tol=(3e-5, 1e-6))


def _stats_inputs(r: np.random.Generator) -> list[np.ndarray]:
    a, b, c = (int(v) for v in r.integers(2, 7, 3))
    return [normal(r, a, b, c, dtype=f64), normal(r, a, b, c) > 0.3]


def _ref_stats(x, m):
    return (x.var(axis=1), x.std(axis=(0, 2), ddof=1, keepdims=True), x.var(), np.std(x, axis=-1, ddof=2),
            m.any(axis=0), m.all(axis=(1, 2), keepdims=True), np.array(m.any()), np.array(m.all()))


STATS = V2Program(
    "stats", """
fn main(x, m) {
    return var(x, axis=1), std(x, axis=[0, 2], ddof=1, keepdims=true), var(x), std(x, axis=-1, ddof=2),
           any(m, axis=0), all(m, axis=[1, 2], keepdims=true), any(m), all(m);
}
""", _stats_inputs, _ref_stats, tol=(1e-9, 1e-11))


def _scan_inputs(r: np.random.Generator) -> list[np.ndarray]:
    a, b = (int(v) for v in r.integers(2, 40, 2))
    return [normal(r, a, b, 3), r.integers(-9, 9, (a, 5000)).astype(i32), (normal(r, b, dtype=f64) * 0.1)]


def _ref_scans(x, k, v):
    return (np.cumsum(x, axis=0, dtype=f32), np.cumprod(f32(1) + x * f32(0.01), axis=1, dtype=f32),
            np.cumsum(k, axis=1, dtype=i32), np.cumprod(v + 1.0), np.cumsum(np.exp(x), axis=2, dtype=f32))


SCANS = V2Program(
    "scans", """
fn main(x, k, v) {
    return cumsum(x, 0), cumprod(1.0 + x * 0.01, axis=1), cumsum(k, -1), cumprod(v + 1.0, 0),
           cumsum(exp(x), 2);
}
""", _scan_inputs, _ref_scans, tol=(5e-5, 1e-5),
    small=lambda r: [normal(r, 3, 4, 3), r.integers(-9, 9, (2, 6)).astype(i32), normal(r, 5, dtype=f64) * 0.1])


def _array_inputs(r: np.random.Generator) -> list[np.ndarray]:
    n, m = (int(v) for v in r.integers(2, 9, 2))
    return [normal(r, 3, n, m), r.integers(-5, 5, (n, m)).astype(i64), normal(r, n, m) > 0]


def _ref_arrays(x, k, b):
    return (np.tril(x), np.triu(x, 2), np.tril(k, -1), np.triu(b), np.flip(x, (0, 2)), np.flip(k),
            np.tile(k, (2, 1, 3)), np.repeat(x, 3, axis=1), np.repeat(k, 2),
            np.pad(x, [(0, 1), (2, 0), (1, 3)], constant_values=f32(-2.5)),
            np.pad(k, [(1, 1), (0, 2)], constant_values=7))


ARRAYS = V2Program(
    "arrays", """
fn main(x, k, b) {
    return tril(x), triu(x, k=2), tril(k, -1), triu(b), flip(x, [0, 2]), flip(k), tile(k, [2, 1, 3]),
           repeat(x, 3, axis=1), repeat(k, 2), pad(x, [[0, 1], [2, 0], [1, 3]], value=-2.5),
           pad(k, [[1, 1], [0, 2]], value=7);
}
""", _array_inputs, _ref_arrays)


def _einsum_inputs(r: np.random.Generator) -> list[np.ndarray]:
    i, j, k, b = (int(v) for v in r.integers(2, 7, 4))
    return [normal(r, i, j), normal(r, b, j, k), normal(r, k, k), normal(r, b, i)]


def _ref_einsum(a, c, s, y):
    return (np.einsum("ij,bjk->bik", a, c), np.einsum("ij->j", a), np.einsum("kk->", s),
            np.einsum("bi,ij,bjk,kk->kb", y, a, c, s), np.einsum("bjk,ij->bkij", c, a))


EINSUM = V2Program(
    "einsum", """
fn main(a, c, s, y) {
    return einsum("ij,bjk->bik", a, c), einsum("ij->j", a), einsum("kk->", s),
           einsum("bi,ij,bjk,kk->kb", y, a, c, s), einsum("bjk,ij->bkij", c, a);
}
""", _einsum_inputs, _ref_einsum, tol=(1e-4, 1e-5))


def conv_ref(x, w, stride, padding, dilation, groups):
    """torch.nn.functional.conv2d with loops over the kernel offsets (float64)."""
    x, w = x.astype(f64), w.astype(f64)
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    oh, ow = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for g in range(groups):
        for a in range(kh):
            for b in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg, a * dh:a * dh + sh * (oh - 1) + 1:sh,
                           b * dw:b * dw + sw * (ow - 1) + 1:sw]
                out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch, w[g * og:(g + 1) * og, :, a, b])
    return out.astype(f32)


def pool_ref(x, k, s, p, kind):
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x.astype(f64), [(0, 0)] * (x.ndim - 2) + [(p[0], p[0]), (p[1], p[1])], constant_values=fill)
    oh, ow = (xp.shape[-2] - k[0]) // s[0] + 1, (xp.shape[-1] - k[1]) // s[1] + 1
    parts = [xp[..., a:a + s[0] * (oh - 1) + 1:s[0], b:b + s[1] * (ow - 1) + 1:s[1]]
             for a in range(k[0]) for b in range(k[1])]
    out = np.max(parts, axis=0) if kind == "max" else np.sum(parts, axis=0) / (k[0] * k[1])
    return out.astype(x.dtype)


def _nn_inputs(r: np.random.Generator) -> list[np.ndarray]:
    h, w = (int(v) for v in r.integers(7, 12, 2))
    return [normal(r, 2, 6, h, w), normal(r, 4, 3, 3, 2) * 0.3, normal(r, 3, 6, 5) * 0.3,
            r.integers(-50, 50, (6, h, w)).astype(i32)]


def _ref_nn(x, w, k, q):
    c1 = conv_ref(x[:, :, :1, :], k[:, :, None, :], (1, 2), (0, 1), (1, 1), 1)[:, :, 0, :]
    return (conv_ref(x, w, (2, 1), (1, 0), (1, 2), 2), c1,
            pool_ref(x, (3, 2), (2, 1), (1, 1), "max"), pool_ref(x, (2, 2), (2, 2), (0, 0), "avg"),
            pool_ref(q, (2, 3), (1, 2), (1, 0), "max"))


NN = V2Program(
    "nn", """
fn main(x, w, k, q) {
    let line = x[:, :, 0, :];
    return conv2d(x, w, stride=[2, 1], padding=[1, 0], dilation=[1, 2], groups=2),
           conv1d(line, k, stride=2, padding=1),
           max_pool2d(x, [3, 2], stride=[2, 1], padding=1), avg_pool2d(x, 2), max_pool2d(q, [2, 3], stride=[1, 2],
           padding=[1, 0]);
}
""", _nn_inputs, _ref_nn, tol=(1e-4, 1e-5),
    small=lambda r: [normal(r, 1, 2, 5, 4), normal(r, 2, 1, 3, 2) * 0.3, normal(r, 2, 2, 3) * 0.3,
                     r.integers(-50, 50, (2, 4, 5)).astype(i32)])


def _random_inputs(r: np.random.Generator) -> list[np.ndarray]:
    return [np.array(int(r.integers(-2**31, 2**31)), i32), np.array(int(r.integers(-2**62, 2**62)), i64)]


def _ref_random(s, t):
    from tfir.dialects.tf.random import random_normal, random_uniform

    return (random_uniform(int(s), (3, 7, 5), f32), random_uniform(int(t), (300,), f64),
            random_uniform(int(s), (65,), np.float16), random_normal(int(t), (4, 33), f32),
            random_normal(int(s), (100,), f64), random_uniform(12345, (2, 3), f32))


RANDOM = V2Program(
    "random", """
fn main(s: i32, t: i64) {
    return random_uniform(s, [3, 7, 5]), random_uniform(t, [300], f64), random_uniform(s, [65], dtype=f16),
           random_normal(t, [4, 33]), random_normal(s, [100], f64), random_uniform(12345, [2, 3]);
}
""", _random_inputs, _ref_random, tol=(2e-6, 1e-6), exact=(0, 1, 2, 5))

PROGRAMS = [ELEMENTWISE, STATS, SCANS, ARRAYS, EINSUM, NN, RANDOM]


def check(program: V2Program, got: tuple[np.ndarray, ...], want: tuple[np.ndarray, ...]) -> None:
    """Every result has the reference's dtype and shape, and its values within tolerance
    (NaN where it has NaN); the `exact` ones bit for bit."""
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(want), f"{len(got)} results, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        w = np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, f"result {i}: {g.dtype}{g.shape} vs {w.dtype}{w.shape}"
        if i in program.exact or g.dtype.kind in "biu":
            assert np.array_equal(g, w), f"result {i} differs: {g} vs {w}"
        else:
            np.testing.assert_allclose(g, w, rtol=program.tol[0], atol=program.tol[1], err_msg=f"result {i}")
