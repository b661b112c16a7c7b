"""`tfir support`: the table is derived from the registry, the linalg patterns,
the plugins' lowerings and the prelude; a file's calls are checked, not compiled."""

from __future__ import annotations

import pytest

from tests.support.common import ROOT
from tests.support.plugin_testing import PROGRAMS, mylib_loaded
from tfir import support
from tfir.cli import main
from tfir.dialects.builtins import INTERNAL
from tfir.dialects.registry import REGISTRY
from tfir.frontend.loader import load_prelude

mylib = pytest.fixture(scope="module")(mylib_loaded)


def test_every_op_is_in_the_table() -> None:
    names = [op.name for op in support.support_table()]
    assert set(names) == (set(REGISTRY.names()) - INTERNAL) | set(load_prelude().functions)
    assert len(names) == len(set(names))


def test_the_table_is_derived_from_the_lowerings() -> None:
    table = {op.name: op for op in support.support_table()}
    assert table["add"].tf.detail == "tf.add" and "linalg.generic(arith.addf)" in table["add"].linalg.detail
    assert "linalg.matmul" in table["matmul"].linalg.detail
    assert table["expand_dims"].tf.detail == "tf.reshape"  # as its registry entry builds it
    assert table["softmax"].tf.how == support.DECOMPOSED and "exp" in table["softmax"].tf.detail
    ours = [op for op in table.values() if op.origin in ("builtin", "prelude")]  # not other tests' plugins
    assert all(op.linalg.how != support.UNSUPPORTED for op in ours)
    assert all(op.reaches(t) for op in ours for t in support.TARGETS)


def test_a_missing_pattern_shows_as_unsupported(monkeypatch) -> None:
    from tfir.lowering import convert_tf_to_linalg as c
    monkeypatch.setattr(c, "TF_PATTERNS", tuple(p for p in c.TF_PATTERNS if p.OP.name != "tf.erf"))
    support._lowered.cache_clear()
    try:
        table = {op.name: op for op in support.support_table()}
    finally:
        monkeypatch.undo()
        support._lowered.cache_clear()
    assert table["erf"].linalg.how == support.UNSUPPORTED and "tf.erf" in table["erf"].linalg.detail
    assert not table["erf"].reaches("numpy") and table["erf"].reaches("eager")


def test_plugin_ops_and_a_file(mylib, capsys) -> None:
    table = {op.name: op for op in support.support_table()}
    cumsum = table["mylib.cumsum"]
    assert cumsum.origin == "plugin mylib" and cumsum.targets["numpy"].how == support.KERNEL
    assert not cumsum.reaches("mlir") and "numpy implementation" in cumsum.targets["mlir"].detail
    assert table["mylib.swish"].targets["triton"].how == support.DECOMPOSED
    problems, calls = support.unreachable_calls(str(PROGRAMS / "clamp_scan.tf"))
    assert calls >= 3 and [d.message.split(":")[0] for d in problems] == ["'mylib.cumsum' cannot reach target mlir"]
    assert problems[0].line == 7
    assert main(["support", str(PROGRAMS / "clamp_scan.tf")]) == 0
    out = capsys.readouterr().out
    assert "clamp_scan.tf:7:12: error: 'mylib.cumsum' cannot reach target mlir" in out
    assert "mlir    1 of" in out and "numpy   every call reaches it" in out


def test_nothing_is_compiled(monkeypatch, capsys) -> None:
    import tfir.compiler
    import tfir.pipeline

    def no(*args, **kwargs):
        raise AssertionError("support compiled something")

    monkeypatch.setattr(tfir.pipeline, "run_pipeline", no)
    monkeypatch.setattr(tfir.compiler, "build", no)
    assert main(["support", str(ROOT / "examples" / "attention.tf")]) == 0
    assert "triton  every call reaches it" in capsys.readouterr().out
    assert main(["support"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["op", "from", "stage", "tf", "stage", "linalg", *support.TARGETS]
    builtin = {op.name for op in support.support_table() if op.origin in ("builtin", "prelude")}
    unsupported = out.split("\nunsupported:\n")[1].splitlines() if "\nunsupported:\n" in out else []
    assert "\nsoftmax " in out and not [line for line in unsupported if line.split()[0] in builtin]
