"""Custom dialects: diagnostics at the `.tf` call, malformed plugins, loading
twice, a plugin that fails on import, entry-point discovery, and the IR of
custom ops in xdsl-opt. How expand-custom-ops lowers them per target is
tested in tests/lowering/test_expand_custom_ops.py."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tfir
from tests.support.plugin_testing import PLUGIN_DIR, mylib_loaded
from tests.support.tdemo import compile_error, identity, where
from tfir.pipeline import PIPELINE
from tfir.plugin import Dialect, PluginError, load_plugin, same_as

_mylib = pytest.fixture(autouse=True, scope="module")(mylib_loaded)


# -- diagnostics at the call --------------------------------------------------------

USE = "use mylib;\nfn f(x: f32[2, 3], w: f32[3]) {\n"


def test_unknown_dialect_suggests() -> None:
    err = compile_error("use mylib;\nfn f(x: f32[2, 3]) {\n  return mylb.swish(x);\n}\n")
    assert where(err) == (3, 10, "unknown dialect 'mylb'; did you mean 'mylib'?")


def test_unknown_op_suggests() -> None:
    err = compile_error(USE + "  return mylib.rms_nrm(x, w);\n}\n")
    assert where(err) == (3, 10, "dialect 'mylib' has no op 'rms_nrm'; did you mean 'rms_norm'?")


def test_dialect_not_used() -> None:
    err = compile_error("fn f(x: f32[2, 3]) {\n  return mylib.swish(x);\n}\n")
    assert where(err) == (2, 10, "dialect 'mylib' is not used in this file; add `use mylib;`")


def test_shape_rule_points_at_the_argument() -> None:
    err = compile_error("use mylib;\nfn f(x: f32[2, 3], w: f32[4]) {\n  return mylib.rms_norm(x, w);\n}\n")
    line, col, message = where(err)
    assert (line, col) == (3, 28)
    assert message == "weight must be f32[3] (the last axis of x), got f32[4]"
    assert "^" in str(err)


def test_shape_rule_sees_symbolic_dims() -> None:
    err = compile_error("use mylib;\nfn f(x: f32[B, D], w: f32[E]) {\n  return mylib.rms_norm(x, w);\n}\n")
    assert where(err)[2] == "weight must be f32[D] (the last axis of x), got f32[E]"


def test_shape_rule_value_error_points_at_the_callee() -> None:
    err = compile_error("use tdemo;\nfn f(x: f32[3]) {\n  let a, b = tdemo.row_range(x);\n  return a;\n}\n")
    assert where(err) == (3, 14, "tdemo.row_range: needs a matrix, got f32[3]")


def test_attribute_checks() -> None:
    err = compile_error(USE + "  return mylib.rms_norm(x, w, eps=true);\n}\n")
    assert where(err)[:2] == (3, 35) and "argument 'eps' must be a static float" in where(err)[2]
    err = compile_error(USE + "  return mylib.rms_norm(x, w, epsilon=1.0);\n}\n")
    assert where(err)[2] == "'mylib.rms_norm' has no keyword argument 'epsilon'; did you mean 'eps'?"
    err = compile_error(USE + "  return mylib.hard_tanh(x, lo=1.0, hi=0.0);\n}\n")
    assert where(err) == (3, 32, "lo (1.0) must not exceed hi (0.0)")




# -- malformed plugins --------------------------------------------------------------


def test_malformed_definitions() -> None:
    bad = Dialect("tbad")
    with pytest.raises(PluginError, match="attribute 'k' needs a type"):
        bad.op(shape=same_as("x"))(lambda x, *, k: x)
    with pytest.raises(PluginError, match="operand 'x' cannot have a default"):
        bad.op(shape=same_as("x"))(lambda x=1: x)
    with pytest.raises(PluginError, match="reserved"):
        bad.op(shape=same_as("results"))(lambda results: results)
    ok = bad.op("ok", shape=same_as("x"))(identity)
    with pytest.raises(PluginError, match="does not parse"):
        ok.decompose("fn ok(x) { return x }")
    with pytest.raises(PluginError, match=r"must be its operands \['x'\]"):
        ok.decompose("fn ok(y) { return y; }")
    with pytest.raises(PluginError, match="module-level"):
        ok.numpy(lambda x, out: None)


# -- loading -------------------------------------------------------------------------


def test_loading_twice_is_harmless() -> None:
    before = [s.pass_name for s in PIPELINE]
    first = load_plugin("tfir_mylib")
    again = load_plugin("tfir_mylib")
    assert first is again
    assert [s.pass_name for s in PIPELINE] == before
    assert before.count("mylib-merge-hard-tanh") == 1


def test_plugin_that_raises_on_import(tmp_path: Path) -> None:
    (tmp_path / "tfir_broken_plugin.py").write_text("raise RuntimeError('boom')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        for _ in range(2):  # a failed load leaves nothing behind
            with pytest.raises(PluginError, match=r"cannot load tfir plugin 'tfir_broken_plugin': "
                                                  r"RuntimeError: boom"):
                load_plugin("tfir_broken_plugin")
        with pytest.raises(PluginError, match="cannot load tfir plugin 'no_such_plugin_x'"):
            load_plugin("no_such_plugin_x")
    finally:
        sys.path.remove(str(tmp_path))


def test_entry_point_discovery(tmp_path: Path) -> None:
    """An installed package declaring a `tfir.dialects` entry point is loaded by `use`."""
    dist = tmp_path / "tfir_mylib-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tfir-mylib\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[tfir.dialects]\nmylib = tfir_mylib\n")
    script = textwrap.dedent("""
        import numpy as np, tfir
        from tfir.dialects.plugins import universe_dialects
        prog = tfir.compile_source("use mylib;\\nfn f(x: f32[4]) { return mylib.swish(x); }", target="eager")
        print(prog.f(np.zeros(4, np.float32)).tolist())
        d = universe_dialects()["mylib"]()
        print(sorted(op.name for op in d.operations))
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(PLUGIN_DIR)])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        "[0.0, 0.0, 0.0, 0.0]",
        "['mylib.cumsum', 'mylib.hard_tanh', 'mylib.rms_norm', 'mylib.swish']"]


def test_cli_plugin_option(tmp_path: Path) -> None:
    from tfir.cli import main

    assert main(["check", str(PLUGIN_DIR / "programs" / "norm.tf"), "--plugin", "tfir_mylib"]) == 0


XDSL_OPT = '''
import sys
from xdsl.universe import Universe
from xdsl.xdsl_opt_main import xDSLOptMain
from tfir.dialects.plugins import load_installed_plugins, universe_dialects
from tfir.pipeline import PIPELINE, pass_class

assert load_installed_plugins() == []
real = Universe.get_multiverse()
ours = Universe(all_targets=real.all_targets, all_dialects={**real.all_dialects, **universe_dialects()},
                all_passes={**real.all_passes, **{s.pass_name: (lambda n=s.pass_name: pass_class(n))
                                                  for s in PIPELINE}})
Universe.get_multiverse = staticmethod(lambda: ours)
sys.argv = ["xdsl-opt", sys.argv[1], "-p", "mylib-merge-hard-tanh,expand-custom-ops{target=numpy}"]
xDSLOptMain().run()
'''

MLIR_IN = """func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = mylib.hard_tanh %x {lo = -1.0 : f64, hi = 0.5 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  %b = mylib.hard_tanh %a {lo = -0.25 : f64, hi = 1.0 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  %c = mylib.swish %b {beta = 2.0 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  func.return %c : tensor<4xf32>
}
"""


def test_xdsl_opt_parses_prints_and_runs_plugin_passes(tmp_path: Path) -> None:
    """Installed dialects and their passes as xDSL's `Universe` gets them
    (universe_dialects, load_installed_plugins): `xdsl-opt` parses custom ops,
    runs the plugin's pass and expand-custom-ops, and prints the result."""
    dist = tmp_path / "tfir_mylib-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tfir-mylib\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[tfir.dialects]\nmylib = tfir_mylib\n")
    (tmp_path / "in.mlir").write_text(MLIR_IN)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(PLUGIN_DIR)])}
    done = subprocess.run([sys.executable, "-c", XDSL_OPT, str(tmp_path / "in.mlir")], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert out.count("mylib.hard_tanh") == 1
    assert "lo = -2.500000e-01 : f64, hi = 5.000000e-01 : f64, tfir.lowering = \"linalg\"" in out
    assert "mylib.swish" not in out and "tf.sigmoid" in out


def test_plugins_fingerprint_follows_plugin_code(tmp_path: Path) -> None:
    from tfir.plugin import plugins_fingerprint

    (tmp_path / "tfir_fp_plugin.py").write_text(
        "from tfir.plugin import Dialect, same_as\n"
        "tfp = Dialect('tfp')\n"
        "@tfp.op(shape=same_as('x'))\n"
        "def ident(x):\n    return x\n")
    sys.path.insert(0, str(tmp_path))
    try:
        before = plugins_fingerprint()
        load_plugin("tfir_fp_plugin")
        loaded = plugins_fingerprint()
        assert loaded != before and plugins_fingerprint() == loaded
        path = tmp_path / "tfir_fp_plugin.py"
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
        assert plugins_fingerprint() != loaded
    finally:
        sys.path.remove(str(tmp_path))


def test_check_lowerings_before_the_first_call() -> None:
    from tfir.plugin import check_lowerings

    src = "use tdemo;\nfn f(x: f32[4]) {\n  return tdemo.numpy_only(x) + tdemo.nothing(x);\n}\n"
    prog = tfir.compile_source(src, "t.tf", target="eager")
    assert check_lowerings(prog.frontend, "eager") == []
    assert [(d.line, d.column) for d in check_lowerings(prog.frontend, "numpy")] == [(3, 32)]
    diags = check_lowerings(prog.frontend, "triton")
    assert [(d.line, d.column) for d in diags] == [(3, 10), (3, 32)]
    assert diags[0].message == ("custom op 'tdemo.numpy_only' has no lowering for target 'triton'; "
                                "it has: a numpy implementation")


def test_installed_plugin_that_fails_is_reported_at_the_call(tmp_path: Path) -> None:
    dist = tmp_path / "tfir_broken-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tfir-broken\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[tfir.dialects]\nbrokenlib = tfir_broken_ep\n")
    (tmp_path / "tfir_broken_ep.py").write_text("import no_such_module_for_tfir\n")
    sys.path.insert(0, str(tmp_path))
    try:
        err = compile_error("use brokenlib;\nfn f(x: f32[4]) {\n  return brokenlib.op(x);\n}\n")
        assert where(err) == (3, 10, "cannot load tfir plugin 'tfir_broken_ep': ModuleNotFoundError: "
                                     "No module named 'no_such_module_for_tfir'")
        err = compile_error("use brokenlib;\nfn f(x: f32[4]) {\n  return brokenlibb.op(x);\n}\n")
        # the plugin fails at its `use` (no call of its ops), the misspelt call where it is
        assert [(d.line, d.column) for d in err.diagnostics] == [(1, 1), (3, 10)]
        assert err.diagnostics[0].message.startswith("cannot load tfir plugin 'tfir_broken_ep'")
        assert err.diagnostics[1].message == "unknown dialect 'brokenlibb'; did you mean 'brokenlib'?"
    finally:
        sys.path.remove(str(tmp_path))
