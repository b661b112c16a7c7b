"""How the NumPy backend runs tile loops (issue 6): the benchmark workloads
at sizes that cross the scheduling thresholds, with each optimization on and
off, against the hand-written NumPy; and the shape of the code it chooses
(BLAS whole, no strided column tiles, row groups, no recomputation)."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import tfir

BENCH = Path(__file__).resolve().parents[3] / "benchmarks"
sys.path.insert(0, str(BENCH))
from workloads import by_name  # noqa: E402

SIZES = {
    "chain-1e6": {"N": 300_000},
    "softmax": {"M": 256, "K": 512},
    "layernorm": {"M": 256, "K": 512},
    "sumsq": {"M": 512, "K": 256},
    "mlp": {"B": 64, "D": 1024, "H": 512},
    "attention": {"H": 2, "T": 128, "D": 64},
    "redundancy": {"N": 200_000},
}
VARIANTS = {
    "default": {},
    "nothreads": {"backend_options": tfir.NumpyOptions(threads=False)},
    "norows": {"disable": ("numpy-row-groups",)},
    "noschedule": {"disable": ("numpy-row-groups", "numpy-schedule", "numpy-elide-fills")},
    "nofuse": {"disable": ("fuse-elementwise",)},
    "notile": {"disable": ("tile-linalg",)},
    "keep": {"backend_options": tfir.NumpyOptions(reuse_buffers=True)},
}


def pool_runs(source: str) -> list[str]:
    """The statements that run a tile loop on the thread pool."""
    return re.findall(r"^\s+_parallel\(.*$", source, re.M)


def blas_runs(source: str) -> list[str]:
    """The statements that run a tile loop of BLAS calls on the thread pool."""
    return re.findall(r"^\s+_parallel_blas\(.*$", source, re.M)


def build(name: str, sizes: dict[str, int] | None = None, native: bool = False,
          **options: object) -> tuple[str, object, list[np.ndarray], np.ndarray]:
    """The workload compiled at test sizes; NumPy statements only unless
    `native` (the shapes of NumPy code are what these tests check)."""
    backend = options.get("backend_options", tfir.NumpyOptions())
    options["backend_options"] = dataclasses.replace(backend, native=native)  # type: ignore[type-var]
    w = by_name()[name]
    sizes = sizes or SIZES[name]
    args = list(w.inputs(sizes, np.random.default_rng(1)).values())
    fn = tfir.compile_file(w.path, cache=False, **options)["main"]
    compiled = fn.specialize(dict(zip(w.inputs(sizes, np.random.default_rng(1)), args, strict=True)), {})
    return compiled.source, fn, args, w.hand(*args)


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", list(SIZES))
def test_workload_matches_hand_written(name: str, variant: str) -> None:
    w = by_name()[name]
    _, fn, args, want = build(name, **VARIANTS[variant])
    got = fn(*args)
    np.testing.assert_allclose(got, want, rtol=w.rtol, atol=w.atol)
    np.testing.assert_allclose(fn(*args), got, rtol=0, atol=0)  # hoisted scratch: calls stay independent


@pytest.mark.parametrize("name", list(SIZES))
def test_workload_with_native_kernels_matches_hand_written(name: str) -> None:
    w = by_name()[name]
    source, fn, args, want = build(name, native=True)
    if name not in ("mlp", "sumsq"):  # nothing of theirs runs natively (BLAS, a column sum)
        assert "_nk.k0(" in source
    got = fn(*args)
    np.testing.assert_allclose(got, want, rtol=w.rtol, atol=w.atol)
    np.testing.assert_allclose(fn(*args), got, rtol=0, atol=0)  # hoisted scratch: calls stay independent


def test_large_matmuls_are_shared_out_with_one_blas_thread() -> None:
    source, fn, args, want = build("mlp")
    # Each worker multiplies x by its half of w1's columns (BLAS packs only those).
    assert "np.matmul(x, w1_t, out=" in source and "x_t" not in source
    assert "w1_t = w1[:, i:i + 256]" in source
    assert ".fill(" not in source  # np.matmul(out=) overwrites: the zero fills are dropped
    assert "with _one_blas_thread():" in source and len(blas_runs(source)) == 2
    np.testing.assert_allclose(fn(*args), want, rtol=1e-3, atol=1e-4)
    serial, *_ = build("mlp", backend_options=tfir.NumpyOptions(threads=False))
    assert "_one_blas_thread" not in serial and "np.matmul(x, w1, out=" in serial


def test_a_loop_of_matmuls_keeps_the_blas_threads_unless_the_machine_is_busy(monkeypatch) -> None:
    """The RNN's time is `h @ u` in its loop: the BLAS keeps its threads (the
    input projection's tiles run in turn), except on a busy machine, where it
    runs on one thread and those tiles go to the pool."""
    from tfir.backends.numpy import blas_threads
    source, fn, args, want = build("rnn", {"T": 64, "B": 64, "D": 128, "H": 256})
    assert "with _blas_threads_unless_busy():" in source and "_blas_or_parallel(tile, " in source
    assert "_one_blas_thread()" not in source.split("def main(")[1]
    for load in (0.0, 1e6):
        monkeypatch.setattr(blas_threads.os, "getloadavg", lambda load=load: (load, load, load))
        np.testing.assert_allclose(fn(*args), want, rtol=1e-3, atol=1e-4)
        if blas_threads.controls() is not None:
            with blas_threads.blas_threads_unless_busy() as held:
                assert held == (load > 0) and blas_threads.blas_threaded() == (
                    not held and blas_threads.controls()[0]() > 1)


def test_matmuls_with_small_weights_join_the_row_group() -> None:
    source, fn, args, want = build("mlp", {"B": 512, "D": 128, "H": 512})  # rows of 1.5 MiB in all
    body = source.split("def tile(chunk):")[1].split("_parallel_blas(")[0]
    assert "np.matmul(x_t, w1, out=" in body and "np.matmul(buf0_tile, w2, out=" in body
    assert ".fill(" not in source and len(blas_runs(source)) == 1
    np.testing.assert_allclose(fn(*args), want, rtol=1e-3, atol=1e-4)


def test_a_row_group_that_fits_in_cache_stays_whole() -> None:
    # Rows of 200 KiB in all (x, the hidden layer, the result): no blocks of
    # rows, no pool; each op whole, the matmuls on one BLAS thread.
    source, fn, args, want = build("mlp", {"B": 64, "D": 128, "H": 512})
    assert "def tile(" not in source and "_parallel" not in source.split("def main(")[1]
    assert "np.matmul(x, w1, out=" in source
    np.testing.assert_allclose(fn(*args), want, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("name", ["mlp", "softmax", "attention"])
def test_kept_buffers_never_reach_the_caller(name: str) -> None:
    # With reuse_buffers, large intermediates are kept per thread between
    # calls; results never are.
    source, fn, args, _ = build(name, backend_options=tfir.NumpyOptions(reuse_buffers=True))
    assert "_buffer(" in source
    first = fn(*args)
    kept = first.copy()
    other = [a[::-1].copy() if a.ndim else a for a in args]
    second = fn(*other)
    assert second is not first and not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, kept)


def test_axis0_sum_of_squares_is_one_einsum() -> None:
    source, *_ = build("sumsq")
    assert "np.einsum('ij,ij->j', x, x, out=" in source and "_parallel" not in source


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one worker: nothing to share out")
def test_a_large_axis0_sum_is_one_einsum_per_block_of_columns() -> None:
    """Each worker reduces its own columns in one call: the same sums, in the same order."""
    source, fn, args, want = build("sumsq", {"M": 1024, "K": 1024})
    assert "np.einsum('ij,ij->j', x_t, x_t, out=" in source and "x_t = x[:, i:i + " in source
    assert len(pool_runs(source)) == 1
    np.testing.assert_array_equal(fn(*args), np.einsum("ij,ij->j", *args, *args))


def test_softmax_runs_as_one_row_group_with_tile_buffers() -> None:
    source, *_ = build("softmax")
    assert source.count("np.exp(") == 1 and len(pool_runs(source)) == 1
    body = source.split("def tile(chunk):")[1].split("_parallel(")[0]
    for part in ("np.maximum.reduce(", "np.exp(", "np.add.reduce(", "np.divide("):
        assert part in body
    # exp(x - max) lives in a buffer of one tile, allocated once per worker.
    assert "np.empty((256, 512)" in source.split("def tile")[0]  # the result only
    assert source.count("np.empty((256, 512)") == 1


def test_small_ops_run_untiled_without_the_pool() -> None:
    source, *_ = build("softmax", pass_options={})
    small = tfir.compile_source("fn main(x: f32[64, 64]) -> f32[64, 64] { return softmax(x, axis=-1); }",
                                cache=False, backend_options=tfir.NumpyOptions(native=False))["main"]
    x = np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32)
    compiled = small.specialize({"x": x}, {})
    assert not pool_runs(compiled.source) and "for " not in compiled.source
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(small(x), e / e.sum(axis=-1, keepdims=True), rtol=1e-6)
    assert pool_runs(source)


def test_without_threads_nothing_goes_on_a_pool() -> None:
    for name in ("chain-1e6", "softmax", "layernorm"):
        source, *_ = build(name, backend_options=tfir.NumpyOptions(threads=False))
        assert "_parallel" not in source and "ThreadPoolExecutor" not in source


@pytest.mark.parametrize("keep", [False, True], ids=["fresh", "kept"])
def test_concurrent_calls_from_several_threads(keep: bool) -> None:
    w = by_name()["layernorm"]
    _, fn, args, _ = build("layernorm", backend_options=tfir.NumpyOptions(reuse_buffers=keep))
    rng = np.random.default_rng(5)
    inputs = [[(a + rng.standard_normal(a.shape).astype(np.float32)) for a in args] for _ in range(6)]
    wants = [w.hand(*xs) for xs in inputs]
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for _ in range(3):
                np.testing.assert_allclose(fn(*inputs[k]), wants[k], rtol=w.rtol, atol=w.atol)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


ROW_BREAKS = """
fn main(x: f32[N, N]) -> f32[N, N] {
    let y = softmax(x, axis=-1);
    let z = y + transpose(y);
    return z - mean(z, axis=0, keepdims=true);
}
"""


def test_row_groups_stop_at_ops_that_are_not_row_local() -> None:
    # transpose(y) and a mean over axis 0 read other rows: each must see all
    # rows of what comes before, so no group may span them.
    prog = tfir.compile_source(ROW_BREAKS, cache=False)["main"]
    x = np.random.default_rng(2).standard_normal((384, 384)).astype(np.float32)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    y = e / e.sum(axis=-1, keepdims=True)
    z = y + y.T
    np.testing.assert_allclose(prog(x), z - z.mean(axis=0, keepdims=True), rtol=1e-5, atol=1e-6)


def test_one_pool_for_all_modules_and_standalone_fallback() -> None:
    source, *_ = build("chain-1e6")
    assert "_shared_pool(" in source
    from tfir.backends.numpy.prelude import shared_pool
    assert shared_pool(2) is shared_pool(4)
    # Without tfir importable the module makes a pool of its own and still runs.
    script = ("import sys, numpy as np\n"
              "sys.modules['tfir.backends.numpy.prelude'] = None\n"
              "ns = {}\n"
              "exec(compile(sys.stdin.read(), 'gen', 'exec'), ns)\n"
              "a = np.linspace(-2, 2, 300000, dtype=np.float32)\n"
              "(y,) = ns['main'](a, a[::-1].copy(), a * 0.5)\n"
              "print(ns['_pool'] is not None, float(y.sum()))\n")
    proc = subprocess.run([sys.executable, "-c", script], input=source, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    a = np.linspace(-2, 2, 300000, dtype=np.float32)
    w = by_name()["chain-1e6"]
    expect = float(w.hand(a, a[::-1].copy(), a * np.float32(0.5)).sum())
    ok, total = proc.stdout.split()
    assert ok == "True" and abs(float(total) - expect) <= 1e-3 * max(1.0, abs(expect))


def test_generate_leaves_the_callers_ir_alone() -> None:
    # The scheduling is passes: the code generator only prints the IR it gets.
    from tfir.backends.registry import BACKENDS
    from tfir.dialects.dtypes import from_numpy
    from tfir.dialects.registry import TType
    from tfir.frontend.driver import build_entry
    from tfir.pipeline import run_pipeline

    prog = tfir.compile_file(BENCH / "programs" / "softmax.tf", cache=False)
    types = {"x": TType(from_numpy(np.dtype(np.float32)) or "", (512, 256))}
    module = run_pipeline(build_entry(prog.frontend, "main", types, {}), "numpy")
    before = str(module)
    first = BACKENDS["numpy"].generate(module, "main")
    assert str(module) == before and BACKENDS["numpy"].generate(module, "main") == first


def test_row_group_with_a_last_smaller_block() -> None:
    # 386 = 2 * 193 rows: no block size near the wanted one (96) divides them,
    # so four blocks of 96 rows run on the pool and the last 2 rows after.
    w = by_name()["layernorm"]
    prog = tfir.compile_file(w.path, cache=False)["main"]
    inputs = w.inputs({"M": 386, "K": 512}, np.random.default_rng(3))  # rows of 1.5 MiB in all
    source = prog.specialize(inputs, {}).source
    assert "range(0, 384, 96)" in source and "x[384:386]" in source
    np.testing.assert_allclose(prog(*inputs.values()), w.hand(*inputs.values()), rtol=w.rtol, atol=w.atol)


def test_loop_invariant_addresses_are_taken_once_before_the_loop() -> None:
    """The RNN's step calls a C kernel with four addresses: the three buffers
    the loop never rebinds are taken once, before it; the row read in place
    (rebound every step) at the call (backends/numpy/pointers.py)."""
    source, fn, args, want = build("rnn", {"T": 16, "B": 64, "D": 32, "H": 256}, native=True)
    before, loop = source.split("def main(")[1].split("for t in range(16):")
    loop = loop.split("return")[0]
    hoisted = [line.split("=")[0].strip() for line in before.splitlines() if line.strip().endswith(".ctypes.data")]
    assert len(hoisted) == 3 and all(name in loop for name in hoisted)
    assert loop.count(".ctypes.data") == 1  # the rebound row
    np.testing.assert_allclose(fn(*args), want, rtol=1e-4, atol=1e-5)
