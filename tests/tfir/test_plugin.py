"""Custom dialects (tfir/plugin.py): the example plugin `mylib`
(examples/plugins) on every target against its NumPy references, the
`.tf`-side diagnostics, the pipeline hooks, loading and discovery."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tfir
from tests.support.linalg_ref import run as run_linalg
from tests.support.plugin_testing import (
    PLUGIN_DIR,
    PROGRAMS,
    W,
    X,
    clamp_scan_reference,
    mylib_loaded,
    norm_reference,
)
from tfir.dialects.registry import TType
from tfir.frontend.driver import build_entry
from tfir.pipeline import PIPELINE, run_pipeline

_mylib = pytest.fixture(autouse=True, scope="module")(mylib_loaded)


def independent_norm(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """rms_norm then swish written out in float64, sharing no code with the plugin."""
    x64 = x.astype(np.float64)
    h = x64 / np.sqrt((x64 ** 2).mean(axis=-1, keepdims=True) + 1e-5) * w
    return h / (1 + np.exp(-1.5 * h))


# -- the example plugin on every target ---------------------------------------------


def test_references_are_right() -> None:
    np.testing.assert_allclose(norm_reference(X, W), independent_norm(X, W), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("target", ["eager", "numpy"])
def test_example_programs(target: str) -> None:
    norm = tfir.compile_file(PROGRAMS / "norm.tf", target=target)
    np.testing.assert_allclose(norm.block(X, W), norm_reference(X, W), rtol=1e-5, atol=1e-6)
    scan = tfir.compile_file(PROGRAMS / "clamp_scan.tf", target=target)
    np.testing.assert_allclose(scan.clamp_scan(X), clamp_scan_reference(X), rtol=1e-5, atol=1e-5)


def test_example_programs_triton_interpreter() -> None:
    pytest.importorskip("triton")
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(PLUGIN_DIR)!r}, {str(Path(__file__).resolve().parents[2])!r}]
        import numpy as np, tfir
        from tests.support.plugin_testing import X, W, norm_reference, clamp_scan_reference, PROGRAMS
        tfir.load_plugin("tfir_mylib")
        norm = tfir.compile_file(PROGRAMS / "norm.tf", target="triton")
        np.testing.assert_allclose(norm.block(X, W), norm_reference(X, W), rtol=1e-5, atol=1e-6)
        scan = tfir.compile_file(PROGRAMS / "clamp_scan.tf", target="triton")
        np.testing.assert_allclose(scan.clamp_scan(X), clamp_scan_reference(X), rtol=1e-5, atol=1e-5)
        assert "cumsum_triton" in scan.clamp_scan.specialize({{"x": X}}, {{}}).source
        print("ok")
    """)
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")


def _lowered(path: Path, entry: str, types: dict[str, TType], target: str = "numpy",
             stop_after: str = "convert-tf-to-linalg"):
    prog = tfir.compile_file(path, target="eager")
    module = build_entry(prog.frontend, entry, types, {})
    return run_pipeline(module, target, stop_after=stop_after)


def test_decompositions_at_linalg_stage() -> None:
    """Both decompositions leave only linalg (checked by the reference linalg
    interpreter, independent of the backends), at the location of the call."""
    module = _lowered(PROGRAMS / "norm.tf", "block", {"x": TType("f32", (5, 12)), "w": TType("f32", (12,))})
    names = {op.name for op in module.walk()}
    assert not any(n.startswith(("mylib.", "tf.")) for n in names), names
    (out,) = run_linalg(module, "block", X, W)
    np.testing.assert_allclose(out, norm_reference(X, W), rtol=1e-5, atol=1e-6)
    lines = {op.location.line.data for op in module.walk() if op.name == "linalg.generic"}
    assert lines == {5, 6}  # the lines of the two calls in norm.tf


def test_expanded_ops_keep_the_call_location() -> None:
    module = _lowered(PROGRAMS / "norm.tf", "block", {"x": TType("f32", (2, 3)), "w": TType("f32", (3,))},
                      stop_after="expand-custom-ops")
    rsqrt = next(op for op in module.walk() if op.name == "tf.rsqrt")
    sigmoid = next(op for op in module.walk() if op.name == "tf.sigmoid")
    assert (rsqrt.location.line.data, rsqrt.location.column.data) == (5, 13)
    assert sigmoid.location.line.data == 6
    assert rsqrt.location.filename.data.endswith("norm.tf")


def test_linalg_lowering_and_external_call() -> None:
    module = _lowered(PROGRAMS / "clamp_scan.tf", "clamp_scan", {"x": TType("f32", (5, 12))})
    calls = [op for op in module.walk() if op.name == "func.call"]
    assert [c.callee.root_reference.data for c in calls] == ["mylib_cumsum"]
    decl = next(op for op in module.ops if op.sym_name.data == "mylib_cumsum")
    assert decl.is_declaration and decl.sym_visibility.data == "private"
    assert decl.attributes["tfir.external"].data == "mylib.cumsum"
    module.verify()


def test_plugin_pass_is_in_the_pipeline_and_runs() -> None:
    names = [s.pass_name for s in PIPELINE]
    assert names.index("mylib-merge-hard-tanh") == names.index("expand-custom-ops") + 1
    module = _lowered(PROGRAMS / "clamp_scan.tf", "clamp_scan", {"x": TType("f32", (2, 3))},
                      stop_after="mylib-merge-hard-tanh")
    clamps = [op for op in module.walk() if op.name == "mylib.hard_tanh"]
    assert len(clamps) == 1
    assert (clamps[0].attributes["lo"].value.data, clamps[0].attributes["hi"].value.data) == (-0.5, 0.75)


def test_target_implementation_for_numpy_is_called() -> None:
    prog = tfir.compile_file(PROGRAMS / "clamp_scan.tf", target="numpy")
    source = prog.clamp_scan.specialize({"x": X}, {}).source
    assert "tfir_mylib.kernels" in source and "cumsum_numpy" in source


def test_ir_prints_and_parses_back() -> None:
    from xdsl.parser import Parser

    from tfir.pipeline import make_context

    module = _lowered(PROGRAMS / "norm.tf", "block", {"x": TType("f32", (2, 3)), "w": TType("f32", (3,))},
                      stop_after="inline-calls")
    text = str(module)
    assert '"mylib.rms_norm"' not in text and "mylib.rms_norm %x, %w {eps = 1.000000e-05 : f64}" in text
    again = Parser(make_context(), text).parse_module()
    assert str(again) == text


RANDOM_SRC = """use mylib;
fn f(x, w) {
    return mylib.hard_tanh(mylib.swish(mylib.rms_norm(x, w, eps=EPS), beta=BETA), lo=LO, hi=HI);
}
"""


@settings(max_examples=12, deadline=None)
@given(rows=st.integers(1, 4), cols=st.integers(1, 9), eps=st.sampled_from([1e-6, 0.5]),
       beta=st.sampled_from([0.5, 1.0, 3.0]), lo=st.sampled_from([-2.0, -0.25]), hi=st.sampled_from([0.0, 1.5]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_decomposed_and_linalg_ops_random(rows: int, cols: int, eps: float, beta: float, lo: float,
                                          hi: float, dtype: type, seed: int) -> None:
    """numpy target == each op's NumPy reference, for random shapes, dtypes and attributes."""
    from tfir_mylib import hard_tanh, rms_norm, swish

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, cols)).astype(dtype)
    w = rng.standard_normal(cols).astype(dtype)
    src = RANDOM_SRC.replace("EPS", repr(eps)).replace("BETA", repr(beta)).replace("LO", repr(lo)) \
        .replace("HI", repr(hi))
    got = tfir.compile_source(src, "random.tf", target="numpy", cache=False).f(x, w)
    want = hard_tanh(swish(rms_norm(x, w, eps=eps), beta=beta), lo=lo, hi=hi)
    assert got.dtype == want.dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_cli_run_with_plugin(capsys: pytest.CaptureFixture[str]) -> None:
    from tfir.cli import main

    args = ["run", str(PROGRAMS / "norm.tf"), "--plugin", "tfir_mylib", "--dim", "B=2", "--dim", "D=3"]
    with np.printoptions(precision=4, suppress=True):  # results print as NumPy's options say
        assert main([*args, "--target", "eager"]) == 0
        eager = capsys.readouterr().out
        assert main([*args, "--target", "numpy"]) == 0
        numpy_out = capsys.readouterr().out
    assert eager.replace("(eager)", "(numpy)") == numpy_out and "result 0: f32[2, 3]" in eager
