"""`tfir reduce`: the issue's 25-line program shrinks to a few lines that
still show the bug (a saved copy of the old slice lowering, as a plugin
pass), and the other built-in tests and a shell command work alike."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import tfir
from tfir.cli import main
from tfir.pipeline import PIPELINE, register_pass
from tfir.testing.oracle import Oracle
from tfir.testing.reduce import reduce_source

ISSUE = Path(__file__).parents[1] / "integration" / "programs" / "issue13_tile_linalg.tf"


@pytest.fixture
def plugin():
    """Registers a pass of tests/support for one test; the pipeline is restored afterwards."""
    steps = list(PIPELINE)

    def load(name: str, anchor: dict[str, str]) -> str:
        module = importlib.import_module(f"tests.support.{name}")
        cls = next(v for v in vars(module).values() if isinstance(v, type) and getattr(v, "name", "") in
                   ("old-slice-lowering", "swap-sub"))
        register_pass(cls, **anchor)
        return module.__name__

    yield load
    PIPELINE[:] = steps


def test_the_issue_example_shrinks_to_a_few_lines(plugin, tmp_path, monkeypatch, capsys) -> None:
    name = plugin("old_slice_lowering", {"before": "convert-tf-to-linalg"})
    monkeypatch.setenv("TFIR_CRASH_DIR", str(tmp_path))
    monkeypatch.setattr("tfir.pipeline.VERIFY_EACH", False)
    assert main(["run", str(ISSUE), "--plugin", name]) == 1
    folder = Path(re.search(r"reproducer written to (\S+);", capsys.readouterr().err).group(1))
    out = tmp_path / "small.tf"
    assert main(["reduce", str(folder / "program.tf"), "--crash", "-o", str(out)]) == 0
    small = out.read_text()
    assert len(small.strip().splitlines()) <= 4, small
    assert "::-1" in small or ":-1" in small  # the negative-step slice is what is left
    assert "internal error in pass 'numpy-threads'" in capsys.readouterr().err


def test_mismatch_reduction_keeps_the_wrong_subtraction(plugin) -> None:
    plugin("swapped_sub", {"after": "canonicalize-tf"})
    source = ("fn main(x: f32[4], y: f32[4], z: f32[4]) -> (f32[4], f32[]) {\n    let a = exp(x) * y;\n"
              "    let b = a - tanh(z) * 3.0;\n    let c = sum(b * b);\n    return b + z, c;\n}\n")
    done = reduce_source(source, "m.tf", Oracle("mismatch", target="numpy"))
    assert done.source.count("\n") <= 3 and " - " in done.source, done.source


def test_error_reduction(tmp_path: Path) -> None:
    source = ("fn helper(a) {\n    return a * 2.0;\n}\n\nfn main(x: f32[3, 4], w: f32[5, 2]) -> f32[3, 2] {\n"
              "    let h = helper(x) + 1.0;\n    let k = exp(h);\n    return k @ w;\n}\n")
    done = reduce_source(source, "e.tf", Oracle("error", text="4 != 5"))
    assert done.source.count("\n") <= 3, done.source
    with pytest.raises(tfir.CompileError, match="4 != 5"):
        tfir.compile_source(done.source, "e.tf", target="eager")


def test_a_command_as_the_test(tmp_path: Path, capsys) -> None:
    path = tmp_path / "p.tf"
    path.write_text("fn main(x: f32[3]) -> f32[3] {\n    let a = sin(x);\n    let b = tanh(a) * 2.0;\n"
                    "    let c = b + a;\n    return c;\n}\n")
    assert main(["reduce", str(path), "--test", "grep -q tanh {}"]) == 0
    out = capsys.readouterr().out
    assert "tanh" in out and "sin" not in out and out.count("\n") <= 3


def test_an_uninteresting_program_is_an_error(tmp_path: Path, capsys) -> None:
    path = tmp_path / "p.tf"
    path.write_text("fn main(x: f32[3]) -> f32[3] {\n    return x;\n}\n")
    assert main(["reduce", str(path), "--crash"]) == 1
    assert "the test is not interesting" in capsys.readouterr().err


def test_calls_of_small_functions_are_inlined(plugin) -> None:
    plugin("swapped_sub", {"after": "canonicalize-tf"})
    source = ("fn h(a, b) {\n    let c = a * 2.0;\n    let d = exp(b);\n    return c - d;\n}\n\n"
              "fn main(x: f32[4], y: f32[4]) -> f32[4] {\n    let z = h(x, y) + 1.0;\n    return tanh(z) * 3.0;\n}\n")
    done = reduce_source(source, "h.tf", Oracle("mismatch", target="numpy"))
    assert done.source == "fn main(x: f32[4], y: f32[4]) {\n    return x - y;\n}\n", done.source
