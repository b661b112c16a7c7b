"""Deep programs compile, or get a diagnostic: never a RecursionError or a
traceback, from `tfir check` too (issue 13). Generated code writes sums of
thousands of terms; the chains of binary operators and negations are walked
with loops, other nesting in a deep-stack thread up to `MAX_NESTING`."""

from __future__ import annotations

import numpy as np
import pytest

import tfir
from tfir.cli import main
from tfir.frontend.deep import MAX_NESTING


def _program(expr: str, pre: str = "", lets: str = "") -> str:
    return f"{pre}fn g(a) {{ return a * 0.5; }}\n\nfn main(x: f32[2]) {{\n{lets}    let y = {expr};\n    return y;\n}}\n"


CASES = {
    "1,000 nested unary minus": ("-" * 1000 + "x", lambda x: x),
    "1,000-term sum": (" + ".join(["x"] * 1000), lambda x: x * 1000),
    "1,000 nested calls": ("g(" * 1000 + "x" + ")" * 1000, lambda x: x * 0.5 ** 1000),
    "1,000 parentheses": ("(" * 1000 + "x" + ")" * 1000, lambda x: x),
    "x ** x ** ... (300)": (" ** ".join(["abs(x)"] * 300), None),
    "1,000 chained slices": ("x" + "[0:2]" * 1000, lambda x: x),
}


@pytest.mark.parametrize("name", CASES)
def test_deep_expressions_compile_and_run(name: str) -> None:
    expr, want = CASES[name]
    prog = tfir.compile_source(_program(expr), "deep.tf", target="eager")
    x = np.array([0.5, -1.5], np.float32)
    got = prog.main(x)
    if want is not None:
        np.testing.assert_allclose(got, want(x), rtol=1e-5)


def test_a_20000_term_sum_compiles() -> None:
    source = _program(" + ".join(["x"] * 20000))
    prog = tfir.compile_source(source, "sum.tf", target="eager")
    assert prog.entries == ["g", "main"]


def test_a_chain_of_300_functions_compiles() -> None:
    pre = "".join(f"fn c{i}(a) {{ return c{i + 1}(a) + 1.0; }}\n" for i in range(300)) + "fn c300(a) { return a; }\n"
    prog = tfir.compile_source(_program("c0(x)", pre), "chain.tf", target="numpy")
    np.testing.assert_allclose(prog.main(np.zeros(2, np.float32)), [300.0, 300.0])


def test_500_lets_compile_for_numpy() -> None:
    lets = "".join("    let x = x + 1.0;\n" for _ in range(500))
    prog = tfir.compile_source(_program("x", lets=lets), "lets.tf", target="numpy")
    np.testing.assert_allclose(prog.main(np.zeros(2, np.float32)), [500.0, 500.0])


def test_absurd_nesting_is_a_diagnostic(tmp_path, capsys) -> None:
    path = tmp_path / "absurd.tf"
    path.write_text(_program("g(" * (MAX_NESTING + 10) + "x" + ")" * (MAX_NESTING + 10)))
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "absurd.tf:4:" in err and "nested too deeply" in err and "Traceback" not in err


@pytest.mark.parametrize("expr", ["-" * 5000 + "x", " + ".join(["x"] * 5000), "(" * 2000 + "x" + ")" * 2000])
def test_tfir_check_of_deep_programs_prints_ok(expr: str, tmp_path, capsys) -> None:
    path = tmp_path / "deep.tf"
    path.write_text(_program(expr))
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out == "ok\n"


@pytest.mark.parametrize("depth", [64, 65, 1000])
def test_a_deep_list_literal_has_at_most_64_dims(depth: int) -> None:
    """Found by `tfir fuzz --sources` (deep-list-1000): NumPy's IndexError past 64 dims."""
    source = "fn main(x: f32[2]) {\n    let y = " + "[" * depth + "1.0" + "]" * depth + ";\n    return y;\n}\n"
    if depth <= 64:
        assert tfir.compile_source(source, "deep.tf", target="eager").main(np.zeros(2, np.float32)).ndim == depth
        return
    with pytest.raises(tfir.CompileError, match="tensor literal has more than 64 dimensions"):
        tfir.compile_source(source, "deep.tf", target="eager")


@pytest.mark.parametrize("target", ["eager", "numpy"])
def test_the_entry_returns_literals_too(target: str) -> None:
    """Found while checking the deep literals: an entry without result types
    dropped the literals it returned (`return [[1.0]], x;` gave only x)."""
    prog = tfir.compile_source("fn main(x: f32[2]) {\n    return [[1.0]], x, 3, dim(x, 0);\n}\n", "lit.tf",
                               target=target)
    lit, x, three, n = prog.main(np.full(2, 5.0, np.float32))
    np.testing.assert_array_equal(lit, np.ones((1, 1), np.float32))
    np.testing.assert_array_equal(x, [5.0, 5.0])
    assert int(three) == 3 and int(n) == 2


def test_a_default_that_names_no_value_is_a_diagnostic() -> None:
    """Found by `tfir fuzz --sources` (seed 10017709): `k: int = fn` gave an internal error."""
    with pytest.raises(tfir.CompileError, match="undefined name 'fn'"):
        tfir.compile_source("fn run(z: f32[4], k: int = fn) -> f32[4] {\n    return z * k;\n}\n", "d.tf")
