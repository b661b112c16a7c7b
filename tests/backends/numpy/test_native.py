"""The numpy target's C kernels (numpy-native-kernels, backends/numpy/native*.py):
results against the eager reference with special values, in f32 and f64,
row reductions, the C text, the NumPy fallback (no compiler, TFIR_NATIVE=0,
the module run without tfir) and the library cache."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import tfir
from tfir.backends.numpy import native

pytestmark = pytest.mark.skipif(native.compiler() is None, reason="no C compiler here")

ELEMENTWISE = """
fn main(x: f32[64, 128], y: f32[64, 128], r: f32[64, 1]) -> (f32[64, 128], f32[64, 128], f32[64, 128]) {
    let a = tanh(x * y + 1.0) - exp(-x) / y;
    let b = maximum(x, y) + minimum(x, r) + sqrt(abs(x)) * log(abs(y) + 0.5);
    let c = where(x > y, sin(x), cos(y)) / r;
    return a, b, c;
}
"""

ROWS = """
fn main(x: f32[256, 100]) -> (f32[256], f32[256], f32[256], f32[256, 100]) {
    return sum(x * x, axis=-1), max(x * 2.0, axis=-1), min(x - 1.0, axis=-1), softmax(x, axis=-1);
}
"""


def specials(shape: tuple[int, ...], dtype: type, seed: int = 0) -> np.ndarray:
    """Normal values with NaN, infinities, signed zeros and huge and tiny ones sprinkled in."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    flat = x.reshape(-1)
    picks = rng.choice(flat.size, size=min(40, flat.size // 4), replace=False)
    values = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e-30, 88.0, -104.0, 1e-40], dtype)
    flat[picks] = values[np.arange(len(picks)) % len(values)]
    return x


def same_as_eager(source: str, args: list[np.ndarray], rtol: float = 2e-5, atol: float = 1e-6) -> str:
    prog = tfir.compile_source(source, cache=False)["main"]
    compiled = prog.specialize(dict(zip(("x", "y", "r"), args, strict=False)), {})
    ref = tfir.compile_source(source, target="eager")["main"]
    with np.errstate(all="ignore"):
        got, want = prog(*args), ref(*args)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
    return compiled.source


def test_elementwise_bodies_with_special_values_equal_eager() -> None:
    x, y = specials((64, 128), np.float32), specials((64, 128), np.float32, 1)
    r = np.random.default_rng(2).uniform(0.5, 2, (64, 1)).astype(np.float32)
    source = same_as_eager(ELEMENTWISE, [x, y, r])
    assert "_nk.k" in source and "def _main_numpy(" in source


def test_float64_kernels() -> None:
    src = ELEMENTWISE.replace("f32", "f64")
    x, y = specials((64, 128), np.float64), specials((64, 128), np.float64, 1)
    r = np.random.default_rng(2).uniform(0.5, 2, (64, 1))
    source = same_as_eager(src, [x, y, r], rtol=1e-12, atol=1e-13)
    assert "double *p0" in source


def test_row_reductions_propagate_nan_like_numpy() -> None:
    x = np.random.default_rng(3).standard_normal((256, 100)).astype(np.float32)
    x[3, 50] = np.nan
    x[7, :] = -np.inf
    x[9, 99] = np.inf
    source = same_as_eager(ROWS, [x], rtol=1e-5, atol=1e-5)
    assert "reduction(max:acc) reduction(|:nan)" in source and "reduction(min:acc) reduction(|:nan)" in source
    assert "reduction(+:part)" in source


def test_kernel_text_reads_like_c() -> None:
    source = same_as_eager("fn main(x: f32[64, 128]) -> f32[64, 128] { return exp(x) * 2.0; }",
                           [np.random.default_rng(4).standard_normal((64, 128)).astype(np.float32)])
    assert "#pragma omp simd\n        for (int64_t i1 = 0; i1 < 128; i1++) {" in source
    assert "float v2 = expf(a0);" in source and "float expf(float);" in source
    assert "tanhf" not in source and "declare reduction" not in source  # only what the kernels use


def test_a_row_group_runs_row_by_row_in_one_call() -> None:
    """softmax's max, exp, sum and division: one C call per block of rows,
    a loop over the rows calling one-row versions of the four kernels."""
    x = specials((256, 100), np.float32)
    source = same_as_eager("fn main(x: f32[256, 100]) -> f32[256, 100] { return softmax(x, axis=-1); }",
                           [x], rtol=1e-5, atol=1e-6)
    assert source.count("static inline void row") == 4 and "for (int64_t row = 0; row < " in source
    assert source.count("_nk.k") == 1


def test_rows_read_across_stay_apart() -> None:
    """`y` written by rows and read by columns (its transpose) by the next op:
    not one row loop (row r of the sum reads column r of `y`, all rows)."""
    x = specials((128, 128), np.float32)
    source = same_as_eager("fn main(x: f32[128, 128]) -> f32[128, 128] "
                           "{ let y = exp(x) * 2.0; return tanh(y + transpose(y)) * 3.0; }",
                           [x], rtol=1e-5, atol=1e-6)
    assert "_nk.k" in source


FALLBACK = "fn main(x: f32[128, 64]) -> f32[128, 64] { return tanh(x) * x + 1.0; }"


def test_without_native_code_the_numpy_version_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    x = np.random.default_rng(5).standard_normal((128, 64)).astype(np.float32)
    want = np.tanh(x) * x + np.float32(1)
    monkeypatch.setenv("TFIR_NATIVE", "0")
    fn = tfir.compile_source(FALLBACK, cache=False)["main"]
    np.testing.assert_allclose(fn(x), want, rtol=1e-6)
    assert native.kernels("void f(void) {}", {"f": 0}) is None
    monkeypatch.delenv("TFIR_NATIVE")
    monkeypatch.setenv("CC", "/nonexistent/cc")
    monkeypatch.setattr(native, "_loaded", {})
    monkeypatch.setattr(native, "compiler", lambda: "/bin/false")  # a compiler that fails
    monkeypatch.setenv("TFIR_CACHE", "0")
    assert native.kernels("void g(void) {}", {"g": 0}) is None and native.last_error


def test_standalone_module_runs_its_numpy_version() -> None:
    fn = tfir.compile_source(FALLBACK, cache=False)["main"]
    x = np.random.default_rng(6).standard_normal((128, 64)).astype(np.float32)
    source = fn.specialize({"x": x}, {}).source
    script = ("import sys, numpy as np\n"
              "sys.modules['tfir.backends.numpy.native'] = None\n"
              "ns = {}\n"
              "exec(compile(sys.stdin.read(), 'gen', 'exec'), ns)\n"
              "x = np.linspace(-2, 2, 128 * 64, dtype=np.float32).reshape(128, 64)\n"
              "(y,) = ns['main'](x)\n"
              "print(ns['_nk'] is None, ns['main'] is ns['_main_numpy'], float(y.sum()))\n")
    proc = subprocess.run([sys.executable, "-c", script], input=source, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    x = np.linspace(-2, 2, 128 * 64, dtype=np.float32).reshape(128, 64)
    none, swapped, total = proc.stdout.split()
    assert none == "True" and swapped == "True"
    assert abs(float(total) - float((np.tanh(x) * x + 1).sum())) < 1e-2


def test_libraries_are_cached_on_disk(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFIR_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("TFIR_CACHE", raising=False)  # TFIR_CACHE=0 builds in a temporary folder
    monkeypatch.delenv("TFIR_NATIVE", raising=False)  # the suite may run with native code off
    monkeypatch.setattr(native, "_loaded", {})
    source = "void k0(float *p0) { p0[0] = 1.0f; }\n"
    lib = native.kernels(source, {"k0": 1})
    assert lib is not None
    built = sorted((tmp_path / "native").glob("*.so"))
    assert len(built) == 1
    out = np.zeros(1, np.float32)
    lib.k0(out.ctypes.data)
    assert out[0] == 1.0
    monkeypatch.setattr(native, "_loaded", {})
    monkeypatch.setattr(native, "_build", lambda *a: pytest.fail("rebuilt a cached library"))
    assert native.kernels(source, {"k0": 1}) is not None


LOOP = """
fn main(x: f32[8, 16], y: f32[8, 16]) -> f32[8, 16] {
    let acc = zeros([8, 16]);
    for i in range(300) {
        let acc = tanh(acc * 0.9 + x) - y / (1.0 + sum(acc * acc, axis=-1, keepdims=true));
    }
    return acc;
}
"""


def test_a_loop_over_a_small_state_is_one_c_function() -> None:
    x, y = specials((8, 16), np.float32), specials((8, 16), np.float32, 1)
    source = same_as_eager(LOOP, [x, y], rtol=1e-4, atol=1e-5)
    entry = source[source.index("def main("):source.index("def _main_numpy(")]
    assert "for " not in entry.replace("for i in", "") and entry.count("_nk.k") == 1  # no Python loop
    assert "for (int64_t step = 0; step < 300; step += 1) {" in source
    loop_numpy = source[source.index("def _main_numpy("):]
    assert "for i" in loop_numpy  # the NumPy version keeps its loop


def test_a_loop_reading_its_index_stays_a_python_loop() -> None:
    src = """
fn main(x: f32[400, 16]) -> f32[16] {
    let acc = zeros([16]);
    for i in range(400) {
        let acc = tanh(acc + x[i]);
    }
    return acc;
}
"""
    x = np.random.default_rng(7).standard_normal((400, 16)).astype(np.float32)
    source = same_as_eager(src, [x], rtol=1e-5, atol=1e-6)
    assert "step < 400" not in source and "for i in range(400)" in source


def test_loop_kernels_fall_back_to_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    x = np.random.default_rng(8).standard_normal((8, 16)).astype(np.float32)
    y = np.random.default_rng(9).standard_normal((8, 16)).astype(np.float32)
    want = tfir.compile_source(LOOP, target="eager")["main"](x, y)
    monkeypatch.setenv("TFIR_NATIVE", "0")
    fn = tfir.compile_source(LOOP, cache=False)["main"]
    np.testing.assert_allclose(fn(x, y), want, rtol=1e-5, atol=1e-6)

