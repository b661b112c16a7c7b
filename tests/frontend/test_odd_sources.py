"""Odd sources are diagnostics, never a hang or a traceback (issue 13):
imports of devices, pipes, directories and huge files, NUL bytes in paths,
huge integer literals as indices and shapes, and the spec rules a checker
let through (duplicate parameters, result dims bound by no parameter, an
unknown dialect in `use`, an axis of a rank-0 tensor)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import tfir
from tfir.cli import main
from tfir.frontend.loader import MAX_SOURCE_BYTES

MAIN = "fn main(x: f32[2]) -> f32[2] {\n    return x * 2.0;\n}\n"


def _error(source: str, tmp_path: Path, name: str = "prog.tf") -> str:
    path = tmp_path / name
    path.write_text(source)
    with pytest.raises(tfir.CompileError) as info:
        tfir.compile_file(path, target="eager")
    text = str(info.value)
    assert "Traceback" not in text
    return text


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "/dev/stdin", "/dev/null", "/", "fifo",
                                    "big.tf", "dir", "missing.tf", "binary.tf"])
def test_odd_imports_are_diagnostics(target: str, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dir").mkdir()
    with open(tmp_path / "big.tf", "wb") as f:
        f.truncate(MAX_SOURCE_BYTES + 1)  # sparse: no disk used
    (tmp_path / "binary.tf").write_bytes(bytes(range(256)))
    text = _error(f'import "{target}";\n{MAIN}', tmp_path)
    assert text.startswith(f"{tmp_path / 'prog.tf'}:1:1: error: cannot import \"{target}\"")


def test_a_nul_byte_in_an_import_path(tmp_path: Path) -> None:
    text = _error('import "a\x00b.tf";\n' + MAIN, tmp_path)
    assert 'cannot import "a\\x00b.tf": the path contains a NUL byte' in text
    assert "\x00" not in text  # the source line is shown with '?' for control characters


@pytest.mark.parametrize("path", ["/dev/zero", "/proc/self/fd/0", "."])
def test_tfir_check_of_a_device_or_a_folder(path: str, capsys) -> None:
    assert main(["check", path]) == 1
    err = capsys.readouterr().err
    assert "error: cannot read" in err and "Traceback" not in err


@pytest.mark.parametrize(("expr", "words"), [
    ("x[99999999999999999999]", "does not fit in 64 bits"),
    ("x[0:99999999999999999999]", "does not fit in 64 bits"),
    ("zeros([99999999999999999999])", "does not fit in 64 bits"),
    ("zeros([9223372036854775807, 2])", "more elements than any array holds"),
    ("broadcast_to(x, [4611686018427387904, 4, 2])", "more elements than any array holds"),
    ("sum(x, axis=99999999999999999999)", "does not fit in 64 bits"),
])
def test_huge_literals_are_diagnostics(expr: str, words: str, tmp_path: Path) -> None:
    assert words in _error(f"fn main(x: f32[2]) {{\n    return {expr};\n}}\n", tmp_path)


def test_huge_steps_and_bounds_of_slices_clamp(tmp_path: Path) -> None:
    prog = tfir.compile_source("fn main(x: f32[5]) {\n    return x[-9223372036854775807:9223372036854775807:4611686018427387905], "
                               "x[::-4611686018427387905];\n}\n", "s.tf", target="numpy")
    x = np.arange(5, dtype=np.float32)
    a, b = prog.main(x)
    np.testing.assert_array_equal(a, x[0:5:4611686018427387905])
    np.testing.assert_array_equal(b, x[::-4611686018427387905])


def test_a_huge_constant_is_not_materialized_at_compile_time() -> None:
    prog = tfir.compile_source("fn main(x: f32[2]) {\n    return zeros([100000, 100000])[0:2, 0] + x;\n}\n",
                               "z.tf", target="eager")
    np.testing.assert_array_equal(prog.main(np.ones(2, np.float32)), [1.0, 1.0])


def test_a_duplicate_parameter_is_an_error(tmp_path: Path) -> None:
    text = _error("fn main(x: f32[3], y: f32[3], x: f32[3]) -> f32[3] {\n    return x + y;\n}\n", tmp_path)
    assert "prog.tf:1:31: error: parameter 'x' of 'main' is declared twice" in text


@pytest.mark.parametrize("signature", ["fn main(x: f32[N]) -> f32[M]", "fn main(x: f32[2, 3]) -> f32[M, M]",
                                       "fn main(x) -> f32[M]"])
def test_a_result_dim_bound_by_no_parameter_is_an_error(signature: str, tmp_path: Path) -> None:
    text = _error(f"{signature} {{\n    return x;\n}}\n", tmp_path)
    assert "dimension 'M' of the result type is bound nowhere" in text


def test_result_dims_are_checked_at_the_call() -> None:
    prog = tfir.compile_source("fn main(x: f32[M, N]) -> f32[M, M] {\n    return x;\n}\n", "r.tf", target="eager")
    assert prog.main(np.ones((2, 2), np.float32)).shape == (2, 2)
    with pytest.raises(tfir.CompileError, match=r"returns f32\[2, 3\] but its signature declares f32\[2, 2\]"):
        prog.main(np.ones((2, 3), np.float32))


def test_use_of_an_unknown_dialect_is_an_error(tmp_path: Path, capsys) -> None:
    path = tmp_path / "u.tf"
    path.write_text("use nosuch;\n" + MAIN)
    assert main(["check", str(path)]) == 1
    assert f"{path}:1:1: error: unknown dialect 'nosuch'" in capsys.readouterr().err


@pytest.mark.parametrize("expr", ["sum(s, axis=0)", "max(s, axis=-1)", "softmax(s)", "mean(s, [0])"])
def test_a_rank_0_tensor_has_no_axis(expr: str, tmp_path: Path) -> None:
    assert "out of range for a tensor of rank 0" in _error(f"fn main(s: f32[]) {{\n    return {expr};\n}}\n",
                                                           tmp_path)


def test_random_inputs_too_large_are_an_error(tmp_path: Path, capsys) -> None:
    path = tmp_path / "big.tf"
    path.write_text("fn main(x: f32[100000000000]) {\n    return x;\n}\n")
    assert main(["run", str(path)]) == 1
    assert "would get 100000000000 random values" in capsys.readouterr().err


def test_out_of_memory_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    path = tmp_path / "m.tf"
    path.write_text(MAIN)
    monkeypatch.setattr(tfir.Function, "specialize", lambda *a: (_ for _ in ()).throw(MemoryError("no room")))
    assert main(["run", str(path)]) == 1
    assert capsys.readouterr().err == "error: out of memory: no room\n"
