"""An internal error is one line and a reproducer folder, not a dump
(issue 13); `--traceback` shows the Python stack."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

import tfir
from tfir.cli import main
from tfir.pipeline import PIPELINE, register_pass

PROGRAM = Path(__file__).parents[1] / "integration" / "programs" / "issue13_tile_linalg.tf"
LINE = re.compile(r"^error: internal error in pass 'numpy-threads' \(a bug in tfir\); reproducer written to "
                  r"(\S+); shrink it with tfir reduce (\S+)/program.tf --crash$")


@pytest.fixture
def old_slice_bug():
    """The saved copy of the slice bug, registered as a plugin pass, removed afterwards."""
    steps = list(PIPELINE)
    module = importlib.import_module("tests.support.old_slice_lowering")  # registers it the first time
    register_pass(module.OldSliceLowering, before="convert-tf-to-linalg")  # and again after a teardown
    yield module.__name__
    PIPELINE[:] = steps


def test_an_internal_error_is_one_line_and_a_reproducer(old_slice_bug, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("TFIR_CRASH_DIR", str(tmp_path))
    monkeypatch.setenv("TFIR_VERIFY_EACH", "0")
    monkeypatch.setattr("tfir.pipeline.VERIFY_EACH", False)
    assert main(["run", str(PROGRAM), "--plugin", old_slice_bug]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    match = LINE.match(err.strip())
    assert match, err
    folder = Path(match.group(1))
    assert match.group(2) == str(folder) and folder.parent == tmp_path
    assert (folder / "program.tf").read_text() == PROGRAM.read_text()
    sig = json.loads((folder / "signature.json").read_text())
    assert sig["entry"] == "main" and sig["target"] == "numpy"
    assert sig["inputs"] == {"y": ["f32", [2, 1]], "q": ["f32", [3, 3]]}
    assert sig["plugins"] == [old_slice_bug] and sig["where"] == "pass 'numpy-threads'"
    assert "numpy-threads   <- failed here" in (folder / "pipeline.txt").read_text()
    assert "Traceback" in (folder / "error.txt").read_text()


def test_traceback_shows_the_python_stack(old_slice_bug, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("TFIR_CRASH_DIR", str(tmp_path))
    assert main(["run", str(PROGRAM), "--plugin", old_slice_bug, "--traceback"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "PassFailed" in err
    assert err.strip().splitlines()[-1].startswith("error: internal error in pass ")


def test_the_api_raises_internal_error_with_the_reproducer(old_slice_bug) -> None:
    import numpy as np

    prog = tfir.compile_file(PROGRAM, target="numpy", verify_each=True, cache=False)
    with pytest.raises(tfir.InternalError) as info:
        prog.main(np.ones((2, 1), np.float32), np.ones((3, 3), np.float32))
    rep = info.value.reproducer
    assert rep.entry == "main" and rep.where == "pass 'old-slice-lowering'" and rep.verify_each


def test_a_crash_of_generated_code_is_an_internal_error(monkeypatch) -> None:
    import numpy as np

    prog = tfir.compile_source("fn main(x: f32[2]) -> f32[2] {\n    return x * 2.0;\n}\n", "g.tf", cache=False)
    compiled = prog.main.specialize(*prog.main.bind_inputs((np.ones(2, np.float32),), {}))
    monkeypatch.setattr(compiled, "run", lambda *a: (_ for _ in ()).throw(IndexError("index 9 is out of bounds")))
    with pytest.raises(tfir.InternalError, match="the generated numpy code failed: IndexError"):
        prog.main(np.ones(2, np.float32))
