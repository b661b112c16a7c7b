"""Programs found by the differential tester (`tfir fuzz`, docs/testing.md):
each gives eager's results on every target: numpy, numpy with every size
threshold lowered (`numpy-stress`: tile loops, threads, C kernels), triton
(under its CPU interpreter) and mlir (under mlir-runner, where installed).
Each file's header names the seed that found it and the bug."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tfir
from tests.support.triton_cli import run_triton
from tfir.inputs import random_inputs
from tfir.testing import mlir_exec
from tfir.testing.differential import run_on
from tfir.testing.oracle import differs

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("fuzz_*.tf"))
TARGETS = ["numpy", "numpy-stress", "triton", "mlir"]


def _inputs(path: Path) -> tuple[str, dict[str, np.ndarray]]:
    prog = tfir.compile_file(path, target="eager")
    entry = prog.entries[-1]
    return entry, random_inputs(prog[entry].fn, {}, {"N": 3, "M": 4}, 0)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_every_target_gives_the_eager_results(path: Path, target: str, tmp_path: Path) -> None:
    if target == "triton":
        pytest.importorskip("triton")
    if target == "mlir" and not mlir_exec.available():
        pytest.skip("mlir-opt-22 / mlir-runner-22 not installed")
    entry, args = _inputs(path)
    source = path.read_text()
    want = run_on("eager", source, entry, args, str(path))
    got = run_triton(path, entry, args, tmp_path) if target == "triton" else \
        run_on(target, source, entry, args, str(path))
    assert not differs(got, want, 1e-3), f"{path.name} on {target}:\n{got}\n!=\n{want}"


@pytest.mark.parametrize("target", ["numpy", "numpy-stress", "mlir", "triton"])
def test_mod_gives_a_zero_the_divisors_sign(target: str, tmp_path: Path) -> None:
    """Found by `tfir fuzz --gradients` at kinks (seed 41001144): `log(mod(x, 0.25))`
    at x = -0.5 was -inf on the compiled targets (a zero remainder with the
    dividend's sign, as fmod) where NumPy's mod gives +0.0 (the divisor's sign),
    so its gradient was -inf for +inf."""
    if target == "mlir" and not mlir_exec.available():
        pytest.skip("mlir-opt-22 / mlir-runner-22 not installed")
    source = "fn f(x: f64[8], y: f64[8]) -> (f64[8], f64[8]) {\n    return mod(x, y), log(mod(x, 0.25));\n}\n"
    x = np.array([-0.5, 0.5, 0.5, -0.5, 0.0, -0.0, 0.3, 1.0])
    y = np.array([0.25, -0.25, 0.25, -0.25, -1.0, 1.0, 0.25, -0.3])
    if target == "triton":
        pytest.importorskip("triton")
        path = tmp_path / "mod.tf"
        path.write_text(source)
        got = run_triton(path, "f", {"x": x, "y": y}, tmp_path)
    else:
        got = run_on(target, source, "f", {"x": x, "y": y})
    with np.errstate(divide="ignore"):
        want = [np.mod(x, y), np.log(np.mod(x, 0.25))]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
        np.testing.assert_array_equal(np.signbit(g), np.signbit(w))


@pytest.mark.parametrize("target", ["numpy", "numpy-stress", "mlir"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_expm1_keeps_signed_zeros(target: str, dtype: type) -> None:
    """Found by `tfir fuzz --targets mlir` (seed 2000524): `atan2(expm1(x), x)`
    at x = -0.0 gave pi for -pi: MLIR's MathToLLVM lowers expm1 as exp(x) - 1."""
    if target == "mlir" and not mlir_exec.available():
        pytest.skip("mlir-opt-22 / mlir-runner-22 not installed")
    name = np.dtype(dtype).name.replace("float", "f")
    source = f"fn f(x: {name}[4]) -> ({name}[4], {name}[4]) {{\n    return expm1(x), atan2(expm1(x), x);\n}}\n"
    x = np.array([-0.0, 0.0, -1e-3, 1e-3], dtype)
    got = run_on(target, source, "f", {"x": x})
    np.testing.assert_array_equal(np.signbit(got[0]), np.signbit(np.expm1(x)))
    np.testing.assert_allclose(got[0].astype(np.float64), np.expm1(x.astype(np.float64)), rtol=1e-3)
    np.testing.assert_array_equal(got[1], np.arctan2(np.expm1(x), x))


def test_f64_literals_keep_f64_precision_on_triton(tmp_path: Path) -> None:
    pytest.importorskip("triton")
    path = Path(__file__).parent / "programs" / "fuzz_f64_literal_pow.tf"
    entry, args = _inputs(path)
    want = run_on("eager", path.read_text(), entry, args, str(path))
    got = run_triton(path, entry, args, tmp_path)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("target", ["numpy", "numpy-stress"])
def test_maximum_of_signed_zeros_is_numpys(target: str) -> None:
    """Found by `tfir fuzz --targets numpy-stress` (seed 4000931): the C kernels'
    maximum gave the first of equal operands (-0.0 for max(-0.0, 0.0)), NumPy the
    second; rsqrt then gave -inf for inf."""
    source = ("fn f(a: f32[4], b: f32[4]) -> (f32[4], f32[4], f32[4]) {\n"
              "    return maximum(a, b), minimum(a, b), rsqrt(relu(a));\n}\n")
    a = np.array([-0.0, 0.0, -0.0, 0.0], np.float32)
    b = np.array([0.0, -0.0, -0.0, 0.0], np.float32)
    got = run_on(target, source, "f", {"a": a, "b": b})
    with np.errstate(divide="ignore"):
        want = [np.maximum(a, b), np.minimum(a, b), 1 / np.sqrt(np.maximum(a, 0.0))]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.signbit(g), np.signbit(w))
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("target", TARGETS)
def test_cumsum_keeps_signed_zeros(target: str, tmp_path: Path) -> None:
    """Found by `tfir fuzz --targets mlir` (seed 21008147): a cumsum started
    from +0.0, so a running sum of -0.0 gave +0.0 (and `rsqrt` of it +inf for
    NumPy's -inf). It starts from -0.0, IEEE addition's identity."""
    if target == "triton":
        pytest.importorskip("triton")
    if target == "mlir" and not mlir_exec.available():
        pytest.skip("mlir-opt-22 / mlir-runner-22 not installed")
    path = tmp_path / "cumsum.tf"
    path.write_text("fn f(x: f16[1, 3], y: f32[2, 2]) -> (f16[1, 3], f32[2, 2]) {\n"
                    "    return rsqrt(cumsum(x, 0)), cumsum(y, 1);\n}\n")
    args = {"x": np.array([[-0.0, 0.0, -1.0]], np.float16), "y": np.array([[-0.0, -0.0], [-0.0, 1.0]], np.float32)}
    got = run_triton(path, "f", args, tmp_path) if target == "triton" else \
        run_on(target, path.read_text(), "f", args, str(path))
    with np.errstate(all="ignore"):
        want = [1 / np.sqrt(np.cumsum(args["x"], 0)), np.cumsum(args["y"], 1)]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.signbit(g), np.signbit(w))
        np.testing.assert_array_equal(g, w)
