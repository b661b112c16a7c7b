"""Every user error is `file:line:col: error:` + source line + caret, at the
place the spec names, and never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tfir

CASES = [
    # (source, line, column, words in the message)
    ("fn main(x: f32[3]) -> f32[3] {\n    return x * 2 $ 3;\n}\n", 2, 18, "unexpected character"),
    ("fn main(x: f32[3]) -> f32[3] {\n    let y = x\n    return y;\n}\n", 3, 5, "expected ';'"),
    ("fn main(a: f32[3, 4], b: f32[5]) -> f32[3, 4] {\n    return a + b;\n}\n", 2, 12, "[3, 4] and [5]"),
    ("fn main(a: f32[4], b: i32[4]) -> f32[4] {\n    return a + b;\n}\n", 2, 12, "f32 and i32"),
    # An operator's error is at its left operand, wherever its cause (language.md, "Errors").
    ("fn main(a: i32[4]) -> i32[4] {\n    return a * 1.5;\n}\n", 2, 12, "float literal"),
    ("fn main(a: f32[4], b: f32[4]) -> f32[4] {\n    return (a > b) + 1.0;\n}\n", 2, 12, "float literal"),
    ("fn main(a: f32[4], b: f32[4]) -> f32[4] {\n    return a - ((a > b) + 1.0);\n}\n", 2, 17, "float literal"),
    ("fn main(a: i32[4]) -> i32[4] {\n    return a / a;\n}\n", 2, 12, "floordiv"),
    ("fn main(x: f32[3, 4]) -> f32[4] {\n    return x[3];\n}\n", 2, 14, "out of range"),
    ("fn main(x: f32[3, 4]) -> f32[3] {\n    return sum(x, axis=2);\n}\n", 2, 24, "axis 2"),
    ("fn main(x: f32[3, 4], k: i32) -> f32[4] {\n    return sum(x, axis=k);\n}\n", 2, 24, "static"),
    ("fn main(x: f32[3, 4]) -> f32[4] {\n    return sum(x, axes=0);\n}\n", 2, 19, "did you mean 'axis'"),
    ("fn main(x: f32[3, 4], weight: f32[4, 2]) -> f32[3, 2] {\n    return x @ wieght;\n}\n", 2, 16,
     "did you mean 'weight'"),
    ("fn main(x: f32[3]) -> f32[3] {\n    return tanhh(x);\n}\n", 2, 12, "did you mean 'tanh'"),
    ("fn main(x: f32[3]) -> f32[3] {\n    return nosuchlib.frob(x);\n}\n", 2, 12, "unknown dialect"),
    ("fn main(x: f32[3, 4]) -> f32[4, 3] {\n    return x * 2.0;\n}\n", 2, 12, "f32[4, 3]"),
    ("fn main(x: f32[3]) -> f32[3] {\n    let y = x + 1.0;\n}\n", 1, 1, "no return"),
    ("fn f(x) {\n    return f(x * 2.0);\n}\nfn main(x: f32[3]) -> f32[3] {\n    return f(x);\n}\n", 2, 12,
     "recurs"),
    ("fn pair(x) {\n    return x, x;\n}\nfn main(x: f32[3]) -> f32[3] {\n    let a, b, c = pair(x);\n"
     "    return a;\n}\n", 5, 5, "3 names"),
    ("fn d(x, w, b) {\n    return x @ w + b;\n}\nfn main(x: f32[2, 3], w: f32[3, 4]) -> f32[2, 4] {\n"
     "    return d(x, w);\n}\n", 5, 12, "missing argument 'b'"),
    ("fn main(x: f32[3, 4]) -> f32[5, 2] {\n    return reshape(x, [5, 2]);\n}\n", 2, 23, "12 elements"),
    ("fn main(x: f32[8, 784], w: f32[100, 10]) -> f32[8, 10] {\n    return x @ w;\n}\n", 2, 12, "784 != 100"),
    ("fn main(x: f32[3]) -> f32[3] {\n    return softmax(x, axis=1);\n}\n", 2, 12, "softmax"),
    ("fn main(c: bool[3]) -> bool[3] {\n    return c + c;\n}\n", 2, 12, "numeric"),
    ("fn main(x: f32[3]) -> f32[3] {\n    return x[0:3:0];\n}\n", 2, 18, "zero"),
    ("fn main(x: f32[3]) {\n    return x, x;\n}\nfn g(x: f32[3]) -> f32[3] {\n    return main(x);\n}\n", 5, 12,
     "returns 2 values"),
]


@pytest.mark.parametrize(("source", "line", "column", "words"), CASES)
def test_error_place_and_message(source: str, line: int, column: int, words: str) -> None:
    with pytest.raises(tfir.CompileError) as info:
        tfir.compile_source(source, filename="prog.tf", target="eager")
    first = info.value.diagnostics[0]
    assert (first.line, first.column) == (line, column), str(info.value)
    assert first.filename == "prog.tf"
    text = str(info.value)
    assert words in text
    assert text.startswith(f"prog.tf:{line}:{column}: error: ")
    src_line = source.splitlines()[line - 1]
    caret_line = text.splitlines()[2]
    assert text.splitlines()[1] == "    " + src_line
    assert caret_line.index("^") == 4 + column - 1


def test_several_independent_errors_in_one_run() -> None:
    source = "fn main(x: f32[3]) -> f32[3] {\n    let a = x + undefined1;\n    let b = x @ 2.0;\n" \
             "    let c = undefined2;\n    return x;\n}\n"
    with pytest.raises(tfir.CompileError) as info:
        tfir.compile_source(source, target="eager")
    lines = [d.line for d in info.value.diagnostics]
    assert lines == [2, 3, 4]


def test_one_mistake_gives_one_diagnostic() -> None:
    source = "fn main(x: f32[3]) -> f32[3] {\n    let a = x + nope;\n    let b = a * 2.0;\n    return b;\n}\n"
    with pytest.raises(tfir.CompileError) as info:
        tfir.compile_source(source, target="eager")
    assert len(info.value.diagnostics) == 1


def test_cli_prints_only_the_diagnostic(tmp_path) -> None:
    bad = tmp_path / "bad.tf"
    bad.write_text("fn main(x: f32[3]) -> f32[3] {\n    return x +;\n}\n")
    proc = subprocess.run([sys.executable, "-m", "tfir.cli", "run", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith(f"{bad}:2:15: error: ")
    assert "Traceback" not in proc.stderr


def test_import_errors(tmp_path) -> None:
    (tmp_path / "a.tf").write_text('import "b.tf";\nfn main(x: f32[3]) -> f32[3] {\n    return g(x);\n}\n')
    (tmp_path / "b.tf").write_text('import "a.tf";\nfn g(x) {\n    return x;\n}\n')
    with pytest.raises(tfir.CompileError, match="cycle"):
        tfir.compile_file(tmp_path / "a.tf", target="eager")
    (tmp_path / "c.tf").write_text('import "missing.tf";\nfn main(x: f32[3]) -> f32[3] {\n    return x;\n}\n')
    with pytest.raises(tfir.CompileError, match="cannot import") as info:
        tfir.compile_file(tmp_path / "c.tf", target="eager")
    assert (info.value.diagnostics[0].line, info.value.diagnostics[0].column) == (1, 1)
