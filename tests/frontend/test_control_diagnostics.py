"""Every error of the v2 control flow, dimension expressions and tensor
indexing is a diagnostic at the place the spec names (line and column
asserted), with the source line and a caret, never a traceback."""

from __future__ import annotations

import numpy as np
import pytest

import tfir


def lines(*rows: str) -> str:
    return "\n".join(rows) + "\n"


CASES = [
    # (source, line, column, words the message holds)
    pytest.param(lines("fn main(x: f32[4]) -> f32[4] {", "    let h = x;", "    for t in range(3) {",
                       "        let h = concat([h, h], axis=0);", "    }", "    return h;", "}"),
                 4, 9, ("f32[4]", "f32[8]", "carried"), id="carried-type-change"),
    pytest.param(lines("fn main(x: f32[3]) -> f32[3] {", "    let y = x;", "    for t in range(3) {",
                       "        let y = y * 2.0;", "        return y;", "    }", "    return y;", "}"),
                 5, 9, ("return",), id="return-in-a-loop"),
    pytest.param(lines("fn main(x: f32[3], n: i32) -> f32[3] {", "    let y = x;", "    for t in range(n) {",
                       "        let y = y * 2.0;", "    }", "    return y;", "}"),
                 3, 20, ("compile-time",), id="range-bound-not-constant"),
    pytest.param(lines("fn main(x: f32[3]) -> f32[3] {", "    let y = x;", "    for t in range(0, 10, 0) {",
                       "        let y = y + 1.0;", "    }", "    return y;", "}"),
                 3, 27, ("step", "zero"), id="range-step-zero"),
    pytest.param(lines("fn main(x: f32[3]) -> f32[3] {", "    for t in range(1, 2, 3, 4) {", "    }",
                       "    return x;", "}"),
                 2, 14, ("1 to 3 arguments",), id="range-arity"),
    pytest.param(lines("fn main(x: f32[3, 4]) -> f32[4] {", "    let y = x;", "    if sum(x) > 0.0 {",
                       "        let y = sum(x, axis=0);", "    } else {", "        let y = sum(x, axis=1);", "    }",
                       "    return y;", "}"),
                 3, 5, ("branches", "f32[4]", "f32[3]"), id="if-branch-types"),
    pytest.param(lines("fn main(x: f32[3, 4]) -> f32[3, 4] {", "    let y = x;", "    if sum(x) > 0.0 {",
                       "        let y = sum(x, axis=0);", "    }", "    return y;", "}"),
                 3, 5, ("not taken", "f32[4]", "f32[3, 4]"), id="if-without-else-type"),
    pytest.param(lines("fn main(x: f32[2 * N]) -> f32[2 * N] {", "    return x;", "}"),
                 1, 16, ("'N'", "bound nowhere"), id="dim-only-in-expression"),
    pytest.param(lines("fn main(x: f32[N]) -> f32[M] {", "    return x;", "}"),
                 1, 27, ("'M'", "bound nowhere"), id="result-dim-bound-nowhere"),
    pytest.param(lines("fn main(x: f32[N], y: f32[N / 2]) -> f32[N] {", "    return x;", "}"),
                 1, 27, ("operator '/'",), id="dim-expression-operator"),
    pytest.param(lines("fn main(x: f32[3]) -> f32[3] {", "    let y = x;", "    while y < 10.0 {",
                       "        let y = y * 2.0;", "    }", "    return y;", "}"),
                 3, 11, ("bool scalar",), id="while-vector-condition"),
    pytest.param(lines("fn main(x: f32[3]) -> f32[3] {", "    if x {", "    }", "    return x;", "}"),
                 2, 8, ("bool scalar",), id="if-float-condition"),
    pytest.param(lines("fn main(x: f32[3]) -> f32[3] {", "    for t in range(3) {", "        let z = x * 2.0;",
                       "    }", "    return z;", "}"),
                 5, 12, ("undefined name 'z'",), id="name-local-to-a-loop"),
    pytest.param(lines("fn main(x: f32[3], c: bool[]) -> f32[3] {", "    if c {", "        let z = x;", "    }",
                       "    return z;", "}"),
                 5, 12, ("undefined name 'z'",), id="name-local-to-a-branch"),
    pytest.param(lines("fn main(x: f32[3]) -> f32[3] {", "    for t in range(3) {", "    }", "    return x * t;", "}"),
                 4, 16, ("undefined name 't'",), id="loop-variable-local"),
    pytest.param(lines("fn main(x: f32[3]) -> f32[3] {", "    let n = 0;", "    for t in range(3) {",
                       "        let n = n + 1;", "    }", "    return x;", "}"),
                 4, 9, ("compile-time value", "full"), id="compile-time-value-carried"),
    pytest.param(lines("fn main(x: f32[4, 5], i: i32[2], j: i32[2]) -> f32[2] {", "    return x[i, j];", "}"),
                 2, 17, ("at most one",), id="two-index-tensors"),
    pytest.param(lines("fn main(x: f32[4], m: bool[4]) -> f32[4] {", "    return x[m];", "}"),
                 2, 14, ("boolean masks",), id="bool-mask-index"),
    pytest.param(lines("fn main(x: f32[4], i: f32) -> f32 {", "    return x[i];", "}"),
                 2, 14, ("i32 or i64",), id="float-index"),
    pytest.param(lines("fn main(x: f32[N]) -> f32[N] {", "    return x * (N / 2);", "}"),
                 2, 17, ("'/' between compile-time integers",), id="int-division-of-dims"),
    pytest.param(lines("fn main(x: f32[4]) -> f32[4] {", "    return x * (1 / 2);", "}"),
                 2, 17, ("'//'",), id="int-division-of-literals"),
    pytest.param(lines("fn main(x: f32[4, 3]) -> f32 {", "    return dim(x, 2) * 1.0;", "}"),
                 2, 19, ("axis 2",), id="dim-axis-out-of-range"),
    pytest.param(lines("fn main(x: f32[4], i: i32[2]) -> f32[4] {",
                       "    return scatter(x, i, ones([3]));", "}"),
                 2, 26, ("updates of shape [2]",), id="scatter-updates-shape"),
    pytest.param(lines("fn main(x: f32[4], i: f32[2]) -> f32[2] {", "    return take(x, i);", "}"),
                 2, 20, ("integer indices",), id="take-float-indices"),
    pytest.param(lines("fn main(logits: f32[4, 3], labels: f32[4]) -> f32 {",
                       "    return cross_entropy(logits, labels);", "}"),
                 2, 12, ("integer indices",), id="cross-entropy-float-labels"),
]


@pytest.mark.parametrize(("source", "line", "column", "words"), CASES)
def test_error_place_and_message(source: str, line: int, column: int, words: tuple[str, ...]) -> None:
    with pytest.raises(tfir.CompileError) as info:
        tfir.compile_source(source, filename="prog.tf", target="eager")
    first = info.value.diagnostics[0]
    text = str(info.value)
    assert (first.line, first.column) == (line, column), text
    for word in words:
        assert word in text, text
    assert text.startswith(f"prog.tf:{line}:{column}: error: ")
    assert text.splitlines()[1] == "    " + source.splitlines()[line - 1]
    assert text.splitlines()[2].index("^") == 4 + column - 1
    assert "Traceback" not in text


def test_errors_in_a_loop_body_are_each_reported_once() -> None:
    source = lines("fn main(x: f32[3]) -> f32[3] {", "    let y = x;", "    for t in range(3) {",
                   "        let a = y + nope;", "        let b = a * 2.0;", "        let y = y @ 2.0;", "    }",
                   "    return y;", "}")
    with pytest.raises(tfir.CompileError) as info:
        tfir.compile_source(source, target="eager")
    assert [(d.line, d.column) for d in info.value.diagnostics] == [(4, 21), (6, 17)]


def test_dimension_expression_mismatch_at_call_names_parameter_and_sizes() -> None:
    source = lines("fn main(x: f32[B, T], pairs: f32[B, 2 * T]) -> f32[B, T] {",
                   "    return x + sum(reshape(pairs, [B, T, 2]), axis=-1);", "}")
    prog = tfir.compile_source(source, target="numpy")
    with pytest.raises(tfir.InputError, match=r"'pairs'.*2 \* T = 6.*axis 1.*\(2, 7\)"):
        prog.main(np.zeros((2, 3), np.float32), np.zeros((2, 7), np.float32))


def test_result_dims_are_checked_at_specialization() -> None:
    source = lines("fn main(x: f32[N], y: f32[M]) -> (f32[M], f32[M]) {", "    return x * 2.0, y;", "}")
    prog = tfir.compile_source(source, target="eager")
    x = np.ones(4, np.float32)
    np.testing.assert_array_equal(prog.main(x, x)[0], x * 2)
    with pytest.raises(tfir.CompileError, match=r"f32\[4\].*f32\[5\]"):
        prog.main(x, np.ones(5, np.float32))
