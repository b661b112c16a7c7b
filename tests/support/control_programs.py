"""Programs with loops, branches and tensor indexing, each with inputs and a
NumPy reference or the run-time error it must raise: the differential tests
run them on every target (tests/integration/test_control_differential.py,
and its Triton driver tests/support/control_triton_driver.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

F32, I32, I64 = np.float32, np.int32, np.int64


@dataclass(frozen=True)
class ControlProgram:
    name: str
    source: str
    inputs: Callable[[np.random.Generator], dict[str, np.ndarray]]
    reference: Callable[..., tuple[np.ndarray, ...]] | None = None
    error_line: int | None = None  # the line an ExecutionError names
    error_words: tuple[str, ...] = ()


def _n(r: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (r.standard_normal(shape) * scale).astype(F32)


def _scan_ref(xs, h0, w, u):
    h, hs = h0.astype(np.float64), np.zeros((len(xs),) + h0.shape)
    for t in range(len(xs)):
        h = np.tanh(xs[t] @ w.astype(np.float64) + h @ u)
        hs[t] = h
    return hs.astype(F32), h.astype(F32)


def _branchy_ref(x, k):
    acc = x.copy()
    count = np.array(0, I32)
    for i in range(5):
        if acc.sum() > 0:
            acc = acc * F32(0.5) - F32(1)
            count = count + 1
        else:
            acc = acc + F32(i)
    return acc, count


def _while_ref(a):
    x, n = a.copy(), 0
    while np.max(x) > 1 and n < 30:
        x, n = np.where(x > 1, x * F32(0.5), x), n + 1
    return x, np.array(n, I32)


def _swap_ref(a, b):
    x, y = a, b
    for _ in range(4):
        x, y = y + F32(1), x
    return x, y


def _gather_ref(table, ids, scores, choice):
    return (table[ids], np.take_along_axis(scores, choice, axis=1))


def _dyn_ref(x, pos):
    acc = np.array(0, F32)
    for t in range(len(pos)):
        acc = acc + x[pos[t]]
    return (acc,)


def _sort_ref(v):
    return (np.sort(v),)


PROGRAMS = [
    ControlProgram("scan", """
fn main(xs: f32[5, 2, 3], h0: f32[2, 4], w: f32[3, 4], u: f32[4, 4]) -> (f32[5, 2, 4], f32[2, 4]) {
    let h = h0;
    let hs = zeros([5, 2, 4]);
    for t in range(5) {
        let h = tanh(xs[t] @ w + h @ u);
        let hs = scatter(hs, t, h);
    }
    return hs, h;
}""", lambda r: {"xs": _n(r, 5, 2, 3), "h0": _n(r, 2, 4), "w": _n(r, 3, 4, scale=0.5),
                 "u": _n(r, 4, 4, scale=0.4)}, _scan_ref),
    ControlProgram("branchy", """
fn main(x: f32[6], k: f32) -> (f32[6], i32) {
    let acc = x;
    let count = full([], 0);
    for i in range(5) {
        if sum(acc) > 0.0 {
            let acc = acc * 0.5 - 1.0;
            let count = count + 1;
        } else {
            let acc = acc + cast(i, f32);
        }
    }
    return acc, count;
}""", lambda r: {"x": _n(r, 6) + F32(1), "k": np.array(1, F32)}, _branchy_ref),
    ControlProgram("halving", """
fn main(a: f32[7]) -> (f32[7], i32) {
    let x = a;
    let n = full([], 0);
    while logical_and(max(x) > 1.0, n < 30) {
        let x = where(x > 1.0, x * 0.5, x);
        let n = n + 1;
    }
    return x, n;
}""", lambda r: {"a": np.abs(_n(r, 7, scale=20.0))}, _while_ref),
    ControlProgram("swap", """
fn main(a: f32[3], b: f32[3]) -> (f32[3], f32[3]) {
    let x = a;
    let y = b;
    for k in range(4) {
        let t = x;
        let x = y + 1.0;
        let y = t;
    }
    return x, y;
}""", lambda r: {"a": _n(r, 3), "b": _n(r, 3)}, _swap_ref),
    ControlProgram("gathers", """
fn main(table: f32[7, 4], ids: i32[2, 3], scores: f32[3, 5], choice: i64[3, 1]) -> (f32[2, 3, 4], f32[3, 1]) {
    return table[ids], take_along_axis(scores, choice, axis=1);
}""", lambda r: {"table": _n(r, 7, 4), "ids": np.array([[0, -1, 3], [6, -7, 2]], I32),
                 "scores": _n(r, 3, 5), "choice": np.array([[4], [-5], [0]], I64)}, _gather_ref),
    ControlProgram("segment_sum", """
fn main(x: f32[4], idx: i32[6], upd: f32[6]) -> (f32[4], f32[4]) {
    return scatter_add(x, idx, upd), x + 0.0;
}""", lambda r: {"x": _n(r, 4), "idx": np.array([0, 3, 3, -1, 1, 0], I32), "upd": _n(r, 6)},
        lambda x, idx, upd: (_add_at(x, idx, upd), x)),
    ControlProgram("dynamic_index", """
fn main(x: f32[5], pos: i32[3]) -> f32 {
    let acc = full([], 0.0);
    for t in range(3) {
        let acc = acc + x[pos[t]];
    }
    return acc;
}""", lambda r: {"x": _n(r, 5), "pos": np.array([4, -5, 2], I32)}, _dyn_ref),
    ControlProgram("bubble_sort", """
fn main(v: f32[6]) -> f32[6] {
    let s = v;
    for i in range(6) {
        for j in range(5) {
            let a = s[j];
            let b = s[j + 1];
            let s = scatter(s, j, minimum(a, b));
            let s = scatter(s, j + 1, maximum(a, b));
        }
    }
    return s;
}""", lambda r: {"v": _n(r, 6)}, _sort_ref),
    ControlProgram("take_out_of_range", """
fn main(x: f32[5, 3], idx: i32[4]) -> f32[4, 3] {
    return take(x, idx) * 2.0;
}""", lambda r: {"x": _n(r, 5, 3), "idx": np.array([1, 1000, 0, 2], I32)},
        error_line=3, error_words=("1000", "size 5")),
    ControlProgram("negative_out_of_range", """
fn main(x: f32[5], i: i32) -> f32 {
    return x[i];
}""", lambda r: {"x": _n(r, 5), "i": np.array(-6, I32)}, error_line=3, error_words=("-6", "size 5")),
    ControlProgram("scatter_in_a_loop_out_of_range", """
fn main(x: f32[4], idx: i32[3]) -> f32[4] {
    let y = x;
    for t in range(3) {
        let y = scatter(y, idx[t], 1.0);
    }
    return y;
}""", lambda r: {"x": _n(r, 4), "idx": np.array([0, 3, 4], I32)}, error_line=5, error_words=("4", "size 4")),
    ControlProgram("label_out_of_range", """
fn main(logits: f32[3, 4], labels: i32[3]) -> f32 {
    return cross_entropy(logits, labels);
}""", lambda r: {"logits": _n(r, 3, 4), "labels": np.array([0, -1, 2], I32)},
        error_line=3, error_words=("-1", "[0, 4)")),
    # NumPy refuses integers to negative integer powers; every target checks the exponent.
    ControlProgram("integer_power_negative_exponent", """
fn main(x: i32[3], y: i32[3]) -> i32[3] {
    return x ** y;
}""", lambda r: {"x": np.array([2, 3, 4], I32), "y": np.array([1, -1, 2], I32)},
        error_line=3, error_words=("integer power: exponent -1",)),
    # Literal indices and exponents out of range: still a run-time error (fold-constants
    # leaves the check to run; it raised inside the pass before).
    ControlProgram("literal_index_out_of_range", """
fn main(x: f32[5]) -> f32[2] {
    return take(x, [1, 7]);
}""", lambda r: {"x": _n(r, 5)}, error_line=3, error_words=("index 7", "size 5")),
    ControlProgram("literal_negative_exponent", """
fn main(x: i32[3]) -> i32[3] {
    return x ** -2;
}""", lambda r: {"x": np.array([2, 3, 4], I32)}, error_line=3, error_words=("exponent -2",)),
    ControlProgram("integer_powers", """
fn main(x: i32[4], y: i32[4]) -> (i32[4], i64[4], i32[4]) {
    return x ** y, cast(x, i64) ** 3, y ** 2;
}""", lambda r: {"x": np.array([2, -3, 0, 5], I32), "y": np.array([3, 0, 2, 1], I32)},
        lambda x, y: (x ** y, x.astype(np.int64) ** 3, y ** 2)),
]


def _add_at(x, idx, upd):
    out = x.copy()
    np.add.at(out, idx, upd)
    return out


def by_name() -> dict[str, ControlProgram]:
    return {p.name: p for p in PROGRAMS}


def check(program: ControlProgram, run: Callable[..., object]) -> str | None:
    """Runs `run(**inputs)` against the program's reference or expected error:
    None when it matches, else what is wrong."""
    import tfir

    inputs = program.inputs(np.random.default_rng(0))
    if program.error_line is not None:
        try:
            run(**inputs)
        except tfir.ExecutionError as err:
            text = str(err)
            if f"{program.name}.tf:{program.error_line}:" not in text:
                return f"the error names another place: {text}"
            missing = [w for w in program.error_words if w not in text]
            return f"the error does not say {missing}: {text}" if missing else None
        return "returned without raising tfir.ExecutionError"
    got = run(**inputs)
    got = got if isinstance(got, tuple) else (got,)
    assert program.reference is not None
    want = program.reference(**inputs)
    if len(got) != len(want):
        return f"{len(got)} results, {len(want)} expected"
    for g, w in zip(got, want, strict=True):
        w = np.asarray(w)
        if g.shape != w.shape or g.dtype != w.dtype:
            return f"{g.dtype}{list(g.shape)} instead of {w.dtype}{list(w.shape)}"
        if not np.allclose(g, w, rtol=1e-4, atol=1e-5):
            return f"values differ by up to {np.max(np.abs(g.astype(float) - w.astype(float)))}"
    return None
