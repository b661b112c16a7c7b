"""Gradients through `for` loops (a reverse loop over saved values), `if`
(a branch on the same condition), gathers and scatters, against central
finite differences in float64 on the eager target; with the loops' residuals
saved (the default) and recomputed (`recompute`), which must agree; and the
compile-time error for a gradient through a `while` loop."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import tfir
from tests.support.gradcheck import GradCase, check

RECOMPUTE = {"pass_options": {"differentiate": {"recompute": True}}}


def normal(seed: int, *shape: int, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape) * scale


RNN = """
    let h = h0;
    let hs = zeros([4, 2, 3], dtype=f64);
    for t in range(4) {
        let h = tanh(xs[t] @ w + h @ u);
        let hs = scatter(hs, t, h * 1.0);
    }
"""

LOOPS = {
    "rnn states": GradCase("hs", {"xs": normal(0, 4, 2, 3), "h0": normal(1, 2, 3), "w": normal(2, 3, 3, scale=0.5),
                                 "u": normal(3, 3, 3, scale=0.5)}, body=RNN),
    "rnn final state": GradCase("h * h", {"xs": normal(0, 4, 2, 3), "h0": normal(1, 2, 3),
                                          "w": normal(2, 3, 3, scale=0.5), "u": normal(3, 3, 3, scale=0.5)}, body=RNN),
    "strided range": GradCase("acc", {"x": normal(4, 9), "a": normal(5, 1)},
                              body="let acc = full([], 0.0, dtype=f64); "
                                   "for i in range(1, 9, 3) { let acc = acc * a[0] + sin(x[i]) * x[i - 1]; }"),
    "negative step": GradCase("acc", {"x": normal(6, 6)},
                              body="let acc = full([], 1.0, dtype=f64); "
                                   "for i in range(5, -1, -2) { let acc = acc * cos(x[i]) + x[i]; }"),
    "nested loops": GradCase("s", {"x": normal(7, 3), "y": normal(8, 2)},
                             body="let s = full([], 0.5, dtype=f64); for i in range(3) { "
                                  "for j in range(2) { let s = tanh(s * x[i] + y[j]); } let s = s + x[i] * x[i]; }"),
    "if in a loop": GradCase("v", {"x": normal(9, 5), "v0": normal(10, 2)},
                             body="let v = v0; for i in range(5) { if x[i] > 0.0 { let v = v * x[i]; } "
                                  "else { let v = exp(v) + x[i]; } }"),
    "loop in an if": GradCase("v", {"x": normal(11, 3), "c": np.array(1.5)},
                              body="let v = x; if c > 0.0 { for i in range(3) { let v = v * c + sin(v); } }"),
    "zero iterations": GradCase("v * 2.0", {"v0": normal(12, 3)},
                                body="let v = v0; for i in range(0) { let v = v * v; }"),
    "carried int and constant": GradCase("v", {"x": normal(13, 3)},
                                         body="let n = full([], 0); let k = full([3], 1.0, dtype=f64); let v = x; "
                                              "for i in range(4) { let n = n + 1; let k = k * 2.0; "
                                              "let v = v * k + cast(n, f64) * x; }"),
    "unused carry": GradCase("a", {"x": normal(14, 2), "y": normal(15, 2)},
                             body="let a = x; let b = y; for i in range(3) { let a = a * x; let b = b * 2.0; }"),
}


@pytest.mark.parametrize("name", list(LOOPS))
def test_loops(name: str) -> None:
    case = LOOPS[name]
    saved = check(case)
    recomputed = check(case, **RECOMPUTE)
    for a, b in zip(saved, recomputed, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(LOOPS))
def test_loops_second_order(name: str) -> None:
    """Gradients of gradients through the loops (a Hessian-vector product
    against finite differences of the first gradient): the reverse loop and
    the taped forward loop are differentiated like any loop."""
    case = replace(LOOPS[name], order=2, rtol=1e-5, atol=1e-7)
    saved = check(case)
    recomputed = check(case, **RECOMPUTE)
    for a, b in zip(saved, recomputed, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_if_follows_the_branch_taken(seed: int) -> None:
    for c in (1.0, -1.0):
        check(GradCase("y", {"x": normal(seed, 4), "c": np.array(c)},
                       body="let y = x; if c > 0.0 { let y = sin(x) * x; } else { let y = exp(x) - x * x; }"))


INDEXING = {
    "take": GradCase("take(x, idx, axis=1)", {"x": normal(0, 3, 5), "idx": np.array([[4, 0], [-1, 4]], np.int32)}),
    "take repeated": GradCase("x[idx]", {"x": normal(1, 4, 2), "idx": np.array([1, 1, 3, -3], np.int32)}),
    "dynamic index": GradCase("x[i] * x[j]", {"x": normal(2, 5, 2), "i": np.array(3, np.int32),
                                              "j": np.array(-2, np.int32)}),
    "take_along_axis": GradCase("take_along_axis(x, idx, 1)",
                                {"x": normal(3, 3, 4), "idx": np.array([[0, 3], [1, 1], [-1, 2]], np.int64)}),
    "take_along_axis broadcast": GradCase("take_along_axis(x, idx, 0)",
                                          {"x": normal(4, 4, 1), "idx": np.array([[0], [3], [0]], np.int32)}),
    "scatter": GradCase("scatter(x, idx, u, axis=0)", {"x": normal(5, 5, 2), "idx": np.array([4, 0], np.int32),
                                                       "u": normal(6, 2, 2)}),
    "scatter_add": GradCase("scatter_add(x, idx, u)", {"x": normal(7, 4), "idx": np.array([1, 1, -1], np.int32),
                                                     "u": normal(8, 3)}),
    "one_hot": GradCase("one_hot(idx, 4, dtype=f64) * x", {"x": normal(9, 3, 4), "idx": np.array([0, 3, 7], np.int32)}),
    "cross_entropy": GradCase("cross_entropy(x, labels)", {"x": normal(10, 5, 4), "labels": np.array([0, 3, 1, 1, 2], np.int32)}),
}


@pytest.mark.parametrize("name", list(INDEXING))
def test_indexing(name: str) -> None:
    check(INDEXING[name])


def test_gradient_inside_a_loop_trains() -> None:
    """SGD on (w - 3)^2 by a gradient taken inside the loop body."""
    src = """
fn train(w0: f64[2]) -> f64[2] {
    let w = w0;
    for step in range(30) {
        let g = gradients(sum((w - 3.0) ** 2.0), [w]);
        let w = w - 0.1 * g;
    }
    return w;
}
"""
    w = tfir.compile_source(src, "<sgd>", target="eager").train(np.array([0.0, 10.0]))
    np.testing.assert_allclose(w, 3 + np.array([-3.0, 7.0]) * 0.8 ** 30, rtol=1e-12)


def test_a_while_loop_on_the_path_is_an_error_naming_for() -> None:
    src = """fn f(x: f32[3]) -> f32[3] {
    let y = x;
    while max(y) < 10.0 {
        let y = y * 2.0;
    }
    let z = x * 3.0;
    let g = gradients(sum(z) + sum(y), [x]);
    return g;
}
"""
    with pytest.raises(tfir.CompileError) as err:
        tfir.compile_source(src, "<while>")
    diag = err.value.diagnostics[0]
    assert (diag.line, diag.column) == (7, 13) and "for loop" in diag.message and "line 3" in diag.message


def test_a_while_loop_off_the_path_is_fine() -> None:
    src = """fn f(x: f32[3]) -> (f32[3], f32[3]) {
    let y = x;
    while max(y) < 10.0 {
        let y = y * 2.0;
    }
    let g = gradients(sum(x * x), [x]);
    return g, y;
}
"""
    g, y = tfir.compile_source(src, "<while>", target="eager").f(np.array([1.0, 2.0, 3.0], np.float32))
    np.testing.assert_array_equal(g, [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(y, [4.0, 8.0, 12.0])
