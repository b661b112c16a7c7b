"""numpy-gather-views (stage `schedule`, target numpy): a gather of one row
that nothing writes while it is read is marked `tfir.view` and read in
place; the results stay eager's where the row's buffer changes, the row is
returned, or it is not contiguous."""

from __future__ import annotations

import numpy as np
import pytest

import tfir
from tests.support.stages import PROGRAMS, ir_after_each_pass
from tfir.testing.differential import run_on


def test_the_rnn_step_reads_its_input_row_in_place() -> None:
    ir = ir_after_each_pass(PROGRAMS / "rnn.tf", "numpy", T=8, B=4, D=3, H=5)
    assert "tfir.view" not in ir["numpy-split-contractions"]
    assert "along = false, tfir.view}" in ir["numpy-gather-views"]
    rng = np.random.default_rng(0)
    shapes = {"xs": (8, 4, 3), "h0": (4, 5), "w": (3, 5), "u": (5, 5), "b": (5,)}
    arrays = {k: rng.standard_normal(v).astype(np.float32) for k, v in shapes.items()}
    fn = tfir.compile_file(PROGRAMS / "rnn.tf", target="numpy", cache=False)["main"]
    source = fn.specialize(arrays, {}).source
    assert source is not None and "np.take(" not in source and "% 8, ...]" in source


CASES = {
    # the loop writes the table it reads rows of: every read must see the row as it is then
    "written in the loop": ("""
fn main(s: f32[4, 3], h: f32[3]) -> f32[4, 3] {
    let acc = s;
    for t in range(4) {
        let row = acc[t];
        let acc = scatter_add(acc, (t + 1) % 4, row * 2.0 + h);
    }
    return acc;
}""", {"s": (4, 3), "h": (3,)}),
    # the row itself is a result: the caller's array must not alias the input
    "returned": ("fn main(s: f32[4, 3], i: i32[]) -> f32[3] { return take(s, i); }", {"s": (4, 3), "i": -2}),
    # a column is not contiguous: copied
    "axis 1": ("""
fn main(s: f32[3, 4], h: f32[3]) -> f32[3] {
    let acc = h;
    for t in range(4) {
        let acc = acc * 0.5 + s[:, t];
    }
    return acc;
}""", {"s": (3, 4), "h": (3,)}),
    # random program 21000973 (numpy-stress): a row of a vector is 0-d, and must stay an array
    "0-d row": ("""
fn main(x: f32[1], i: i64) -> f32[] {
    let t = random_uniform(695, [3]);
    let r = take(t, i, axis=0) + 5.0;
    return atan2(r, elu(r)) + x[0];
}""", {"x": (1,), "i": 1}),
    # read in place, then the same rows after the loop
    "read in a loop": ("""
fn main(s: f32[5, 2, 3], h: f32[2, 3]) -> (f32[2, 3], f32[5, 2, 3]) {
    let acc = h;
    for t in range(5) {
        let acc = tanh(acc + s[4 - t]) * s[t];
    }
    return acc, s * 2.0;
}""", {"s": (5, 2, 3), "h": (2, 3)}),
}


@pytest.mark.parametrize("name", CASES)
def test_results_equal_eager(name: str) -> None:
    source, shapes = CASES[name]
    rng = np.random.default_rng(3)
    types = {"i": np.int64 if "i: i64" in source else np.int32}
    args = {k: np.array(v, types.get(k, np.int32)) if isinstance(v, int) else rng.standard_normal(v).astype(np.float32)
            for k, v in shapes.items()}
    want = run_on("eager", source, "main", {k: v.copy() for k, v in args.items()})
    for target in ("numpy", "numpy-stress"):  # numpy-stress: C kernels even on tiny arrays
        got = run_on(target, source, "main", args)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    got = tfir.compile_source(source, target="numpy", cache=False)["main"](**args)
    if name == "returned":
        assert not np.shares_memory(got, args["s"])
