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
from plugin_testing import PLUGIN_DIR, PROGRAMS, mylib_loaded
from tfir.dialects.registry import TType
from tfir.frontend.driver import build_entry

import tfir
from tfir.pipeline import PIPELINE, run_pipeline

sys.path.insert(0, str(Path(__file__).parent))
from linalg_ref import run as run_linalg  # noqa: E402

RNG = np.random.default_rng(7)
X = RNG.standard_normal((5, 12)).astype(np.float32)
W = RNG.standard_normal(12).astype(np.float32)

_mylib = pytest.fixture(autouse=True, scope="module")(mylib_loaded)


def norm_reference(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    from tfir_mylib import rms_norm, swish

    return swish(rms_norm(x, w, eps=1e-5), beta=1.5)


def clamp_scan_reference(x: np.ndarray) -> np.ndarray:
    y = np.clip(x * np.float32(2), np.float32(-0.5), np.float32(0.75))
    return np.cumsum(y, axis=-1) - y


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
        sys.path[:0] = [{str(PLUGIN_DIR)!r}, {str(Path(__file__).parent)!r}]
        import numpy as np, tfir
        from test_plugin import X, W, norm_reference, clamp_scan_reference, PROGRAMS
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
