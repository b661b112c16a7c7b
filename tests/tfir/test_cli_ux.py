"""CLI conventions: --version, python -m tfir, help for every option with an
example, results printed as NumPy prints them, run-time errors without a
traceback, a closed pipe, progress only on a terminal, quiet interpreter."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import tfir
from tests.support.common import ROOT
from tfir import progress
from tfir.backends.triton import runtime
from tfir.cli import build_parser, main

MLP = ROOT / "examples" / "mlp.tf"


def test_version_and_python_m(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"tfir {tfir.__version__}"
    proc = subprocess.run([sys.executable, "-m", "tfir", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "run" in proc.stdout and "support" in proc.stdout


def _commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_option_is_described_and_every_command_has_an_example() -> None:
    commands = _commands()
    assert {"run", "check", "lower", "compile", "passes", "graph", "explain", "support"} <= set(commands)
    for name, parser in commands.items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)
        text = parser.format_help()
        assert "examples:\n  tfir " + name in text, name


def test_run_prints_results_as_numpy_does(tmp_path: Path, capsys) -> None:
    src = tmp_path / "p.tf"
    src.write_text("fn main(x: f32[2, 3]) -> (f32[2, 3], f32[3]) {\n    return x * 2.0, sum(x, axis=0);\n}\n")
    x = np.arange(6, dtype=np.float32).reshape(2, 3) / 3
    np.save(tmp_path / "x.npy", x)
    assert main(["run", str(src), "--input", f"x={tmp_path / 'x.npy'}"]) == 0
    out = capsys.readouterr().out
    assert out == f"main (numpy):\nresult 0: f32[2, 3]\n{x * 2}\nresult 1: f32[3]\n{x.sum(axis=0)}\n"


def test_run_time_errors_are_one_diagnostic(monkeypatch, capsys) -> None:
    class Failing:
        def run(self, *arrays):
            raise tfir.ExecutionError("p.tf:3:12: error: index 7 is out of range for axis 0 of size 4")

    monkeypatch.setattr(tfir.Function, "specialize", lambda self, arrays, statics: Failing())
    assert main(["run", str(MLP)]) == 1
    err = capsys.readouterr().err
    assert err == "error: p.tf:3:12: error: index 7 is out of range for axis 0 of size 4\n"
    monkeypatch.setattr(tfir.Function, "specialize",
                        lambda self, a, s: (_ for _ in ()).throw(tfir.InternalError("pass 'x' failed")))
    assert main(["run", str(MLP)]) == 1
    assert "(a bug in tfir" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "tfir", "run", str(MLP), "--target", "eager"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # as `| head -0` would: nobody reads what tfir prints
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert err == ""


def test_a_closed_pipe_in_a_shell() -> None:
    proc = subprocess.run(f"'{sys.executable}' -m tfir run '{MLP}' | head -1", shell=True,
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout == "mlp (numpy):\n" and proc.stderr == ""


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal(monkeypatch) -> None:
    pytest.importorskip("tqdm")
    monkeypatch.delenv("TFIR_PROGRESS", raising=False)
    assert not progress.enabled(io.StringIO()) and progress.enabled(_Tty())
    monkeypatch.setenv("TFIR_PROGRESS", "0")
    assert not progress.enabled(_Tty())
    monkeypatch.delenv("TFIR_PROGRESS")
    tty = _Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    monkeypatch.setattr(progress, "DELAY", 0.0)
    with progress.phase("compiling mlp for numpy"):
        import time
        time.sleep(0.5)
    assert "compiling mlp for numpy" in tty.getvalue()
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    with progress.phase("compiling"):
        pass
    assert list(progress.track([1, 2, 3], "x")) == [1, 2, 3] and quiet.getvalue() == ""


def test_quiet_interpreter_hides_only_its_own_warnings() -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with runtime.quiet_interpreter():
            warnings.warn_explicit("divide by zero encountered in log", RuntimeWarning,
                                   "interpreter.py", 725, module="triton.runtime.interpreter")
            warnings.warn_explicit("overflow", RuntimeWarning, "mine.py", 1, module="mine")
        warnings.warn_explicit("divide by zero encountered in log", RuntimeWarning,
                               "interpreter.py", 725, module="triton.runtime.interpreter")
    assert [str(w.message) for w in seen] == ["overflow", "divide by zero encountered in log"]


def test_triton_interpreter_warnings_not_shown(tmp_path: Path) -> None:
    pytest.importorskip("triton")
    src = tmp_path / "p.tf"  # log of a block's zero padding: the interpreter warns, masked away
    src.write_text("fn main(x: f32[3, 5]) -> f32[3, 5] {\n    return log_softmax(x, axis=-1);\n}\n")
    env = {**os.environ, "TRITON_INTERPRET": "1", "TFIR_CACHE": "0"}
    proc = subprocess.run([sys.executable, "-m", "tfir", "run", str(src), "--target", "triton"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr and "result 0: f32[3, 5]" in proc.stdout


def test_triton_interpreter_warnings_not_shown_to_api_callers(tmp_path: Path) -> None:
    pytest.importorskip("triton")
    code = ("import numpy as np, tfir\n"
            "prog = tfir.compile_source('fn main(x: f32[3, 5]) -> f32[3, 5] {\\n"
            "    return log_softmax(x, axis=-1);\\n}\\n', 'p.tf', target='triton')\n"
            "print(prog.main(np.ones((3, 5), np.float32)).shape)\n")
    env = {**os.environ, "TRITON_INTERPRET": "1", "TFIR_CACHE": "0"}
    proc = subprocess.run([sys.executable, "-W", "default", "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr and "(3, 5)" in proc.stdout
