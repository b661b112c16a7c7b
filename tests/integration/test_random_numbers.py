"""Random numbers end to end: the same seed gives the same bits on every
target and in every run (from a tensor or a compile-time integer, of any
integer dtype), different seeds give independent streams, and the values
pass ordinary statistical checks: mean, variance and the Kolmogorov-Smirnov
distance to the distribution, for every float dtype."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tfir

N = 200_000
SOURCE = f"""
fn uniform(s: i32) -> (f32[{N}], f64[{N}], f16[{N}]) {{
    return random_uniform(s, [{N}]), random_uniform(s, [{N}], f64), random_uniform(s, [{N}], f16);
}}
fn normal(s: i64) -> (f32[{N}], f64[{N}], f16[{N}]) {{
    return random_normal(s, [{N}]), random_normal(s, [{N}], dtype=f64), random_normal(s, [{N}], f16);
}}
fn fixed(s: i64) -> (f32[20, 30], f32[20, 30]) {{
    return random_uniform(1234, [20, 30]), random_uniform(s, [20, 30]);
}}
"""


def _ks(sample: np.ndarray, cdf) -> float:
    s = np.sort(sample.astype(np.float64))
    c, k = cdf(s), len(s)
    return float(max(np.max(np.arange(1, k + 1) / k - c), np.max(c - np.arange(k) / k)))


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2)))


@pytest.fixture(scope="module")
def programs() -> dict[str, tfir.Program]:
    return {t: tfir.compile_source(SOURCE, "random.tf", target=t, cache=False) for t in ("eager", "numpy")}


@pytest.mark.parametrize("seed", [0, 17, -99])
def test_uniform_statistics(programs, seed: int) -> None:
    for u in programs["numpy"].uniform(np.array(seed, np.int32)):
        a = u.astype(np.float64)
        assert a.min() >= 0 and a.max() < 1, u.dtype
        assert abs(a.mean() - 0.5) < 5 * math.sqrt(1 / 12 / N), u.dtype
        assert abs(a.var() - 1 / 12) < 5 * math.sqrt((1 / 80 - 1 / 144) / N), u.dtype
        # f16 has 2**11 levels: its distance to the continuous CDF is at most 2**-11 more
        slack = 2.0 ** -11 if u.dtype == np.float16 else 0.0
        assert _ks(a, lambda s: s) < 2.23 / math.sqrt(N) + slack, u.dtype
        assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 5 / math.sqrt(N)


@pytest.mark.parametrize("seed", [3, 2**40 + 1])
def test_normal_statistics(programs, seed: int) -> None:
    for z in programs["numpy"].normal(np.array(seed, np.int64)):
        a = z.astype(np.float64)
        assert np.isfinite(a).all(), z.dtype
        assert abs(a.mean()) < 5 / math.sqrt(N), z.dtype
        assert abs(a.var() - 1) < 5 * math.sqrt(2 / N) + (2e-3 if z.dtype == np.float16 else 0), z.dtype
        assert _ks(a, _normal_cdf) < 2.23 / math.sqrt(N) + (2e-3 if z.dtype == np.float16 else 0), z.dtype


def test_same_bits_on_every_target_and_run(programs) -> None:
    seed = np.array(5, np.int32)
    first = programs["numpy"].uniform(seed)
    for again in (programs["numpy"].uniform(seed), programs["eager"].uniform(seed)):
        for a, b in zip(first, again, strict=True):
            assert np.array_equal(a, b)


def test_values_depend_only_on_the_seed_value(programs) -> None:
    fixed, from_tensor = programs["numpy"].fixed(np.array(1234, np.int64))
    assert np.array_equal(fixed, from_tensor)  # compile-time int or tensor
    as_i32 = programs["numpy"].uniform(np.array(-7, np.int32))[0]
    as_i64 = tfir.compile_source(SOURCE.replace("s: i32", "s: i64"), target="numpy", cache=False).uniform(
        np.array(-7, np.int64))[0]
    assert np.array_equal(as_i32, as_i64)  # i32 or i64, the same integer


def test_different_seeds_are_independent(programs) -> None:
    a = programs["numpy"].uniform(np.array(1, np.int32))[0].astype(np.float64)
    b = programs["numpy"].uniform(np.array(2, np.int32))[0].astype(np.float64)
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / math.sqrt(N)
    assert np.isin(b, a).mean() < 0.05  # not one stream shifted against the other
