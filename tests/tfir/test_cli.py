"""`tfir run` and `tfir check` as interface.md specifies them."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.common import EXAMPLES
from tfir.cli import main


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_runs_without_arguments(path, capsys) -> None:
    assert main(["run", str(path), "--target", "eager"]) == 0
    out = capsys.readouterr().out
    assert "result 0:" in out


def test_run_with_inputs_dims_seed_and_save(tmp_path, capsys) -> None:
    src = tmp_path / "p.tf"
    src.write_text("fn main(x: f32[B, 4], y: f32[4]) -> f32[B] {\n    return sum(x * y, axis=1);\n}\n")
    y = np.arange(4, dtype=np.float32)
    np.save(tmp_path / "y.npy", y)
    out = tmp_path / "out.npz"
    assert main(["run", str(src), "--dim", "B=3", "--input", f"y={tmp_path / 'y.npy'}", "--seed", "7",
                 "--save", str(out), "--target", "eager"]) == 0
    saved = np.load(out)["result0"]
    x = np.random.default_rng(7).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(saved, (x * y).sum(axis=1), rtol=1e-6)
    assert "f32[3]" in capsys.readouterr().out


def test_missing_dim_says_which_flag(tmp_path, capsys) -> None:
    src = tmp_path / "p.tf"
    src.write_text("fn main(x: f32[B, 4]) -> f32[B] {\n    return sum(x, axis=1);\n}\n")
    assert main(["run", str(src), "--target", "eager"]) == 1
    assert "--dim B=SIZE" in capsys.readouterr().err


def test_check(tmp_path, capsys) -> None:
    good = tmp_path / "g.tf"
    good.write_text("fn main(x: f32[3]) -> f32[3] { return x; }\n")
    assert main(["check", str(good)]) == 0
    assert capsys.readouterr().out.strip() == "ok"
    assert main(["check", str(tmp_path / "missing.tf")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_entry_choice_and_errors(tmp_path, capsys) -> None:
    src = tmp_path / "p.tf"
    src.write_text("fn a(x: f32[2]) -> f32[2] { return x; }\nfn b(x: f32[2]) -> f32[2] { return -x; }\n")
    assert main(["run", str(src), "--entry", "a", "--target", "eager"]) == 0
    assert "a (eager)" in capsys.readouterr().out
    assert main(["run", str(src), "--entry", "c", "--target", "eager"]) == 1
    assert "no function 'c'" in capsys.readouterr().err
    assert main(["run", str(src), "--dim", "oops", "--target", "eager"]) == 1


def test_unavailable_target_is_one_line(monkeypatch, capsys) -> None:
    from tfir.backends.triton import runtime as triton_runtime

    def unavailable() -> None:
        raise triton_runtime.TritonUnavailable('target "triton" needs Triton: pip install -e ".[triton]"')

    monkeypatch.setattr("tfir.backends.triton.runtime.require_device", unavailable)
    assert main(["run", str(EXAMPLES[0]), "--target", "triton"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "pip install" in err and "Traceback" not in err
