"""`batch-loop-accumulations`: a sum over a loop of matmuls of per-iteration
values (a weight gradient of a reverse loop, `gw += x_t^T dz_t`) becomes one
matmul of their tapes after the loop, and a sum of a value stacked anyway one
sum after it; the results equal eager's (its FileCheck file:
tests/filecheck/batch-loop-accumulations.mlir)."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import scf

import tfir
from tfir.dialects import tf
from tfir.dialects.registry import TType
from tfir.frontend.driver import build_entry
from tfir.pipeline import run_pipeline

RNN = """
fn main(xs: f32[6, 3, 4], h0: f32[3, 5], w: f32[4, 5], u: f32[5, 5], b: f32[5]) -> (f32[4, 5], f32[5, 5], f32[5]) {
    let h = h0;
    let loss = full([], 0.0);
    for t in range(6) {
        let h = tanh(xs[t] @ w + h @ u + b);
        let loss = loss + sum(h * h);
    }
    let gw, gu, gb = gradients(loss, [w, u, b]);
    return gw, gu, gb;
}"""

TYPES = {"xs": ("f32", (6, 3, 4)), "h0": ("f32", (3, 5)), "w": ("f32", (4, 5)), "u": ("f32", (5, 5)),
         "b": ("f32", (5,))}


def lowered(source: str, stop: str, types: dict[str, tuple[str, tuple[int, ...]]]):
    prog = tfir.compile_source(source, filename="prog.tf", target="eager")
    module = build_entry(prog.frontend, prog.entries[-1], {k: TType(*v) for k, v in types.items()}, {})
    run_pipeline(module, "numpy", stop_after=stop)
    return module


def loops(module) -> list[scf.ForOp]:  # noqa: ANN001
    return [op for op in module.walk() if isinstance(op, scf.ForOp)]


def inputs(types: dict[str, tuple[str, tuple[int, ...]]], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype(np.float32) * 0.5 for _, shape in types.values()]


def assert_equal_to_eager(source: str, args: list[np.ndarray], **options: object) -> None:
    want = tfir.compile_source(source, filename="prog.tf", target="eager").main(*args)
    got = tfir.compile_source(source, filename="prog.tf", target="numpy", **options).main(*args)
    for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,),
                    strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_weight_gradients_of_a_reverse_loop_become_matmuls_after_it() -> None:
    before = lowered(RNN, "cse", TYPES)
    after = lowered(RNN, "batch-loop-accumulations", TYPES)
    reverse_before, reverse_after = loops(before)[-1], loops(after)[-1]
    # gw, gu and gb were carried (3 accumulators); now only the tape of dz_t is
    assert len(reverse_after.results) == len(reverse_before.results) - 3 + 1
    inside = [op for op in reverse_after.body.block.ops]
    assert sum(isinstance(op, tf.MatmulOp) for op in inside) == 1  # dh = dz @ u^T only
    assert not any(isinstance(op, tf.SumOp) for op in inside)
    outside = list(reverse_after.parent_block().ops)
    tail = outside[outside.index(reverse_after):]
    assert sum(isinstance(op, tf.MatmulOp) for op in tail) == 2  # xs^T dZ, H^T dZ
    assert sum(isinstance(op, tf.SumOp) for op in tail) == 1


def test_batched_gradients_equal_eager() -> None:
    assert_equal_to_eager(RNN, inputs(TYPES))


def test_without_the_pass_the_gradients_are_the_same() -> None:
    args = inputs(TYPES, seed=3)
    on = tfir.compile_source(RNN, filename="prog.tf", target="numpy").main(*args)
    off = tfir.compile_source(RNN, filename="prog.tf", target="numpy",
                              disable=("batch-loop-accumulations",)).main(*args)
    for a, b in zip(on, off, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)  # the same terms, summed in another order


FORWARD = """
fn main(xs: f32[5, 3, 4], ys: f32[5, 3, 2], a0: f32[4, 2]) -> f32[4, 2] {
    let acc = a0;
    let s = zeros([3, 2]);
    for t in range(5) {
        let s = tanh(s + ys[t]);
        let acc = acc + transpose(xs[t]) @ s;
    }
    return acc;
}"""


def test_rows_of_a_tensor_are_not_taped() -> None:
    types = {"xs": ("f32", (5, 3, 4)), "ys": ("f32", (5, 3, 2)), "a0": ("f32", (4, 2))}
    module = lowered(FORWARD, "batch-loop-accumulations", types)
    (loop,) = loops(module)
    # s is taped, xs[t] is a row of xs: s and its tape carried, no accumulator
    assert sorted(list(r.type.get_shape()) for r in loop.results) == [[3, 2], [5, 3, 2]]
    after = list(loop.parent_block().ops)
    assert any(isinstance(op, tf.AddOp) for op in after[after.index(loop):])  # a0 + the batched matmul
    assert_equal_to_eager(FORWARD, inputs(types))


@pytest.mark.parametrize("acc,body,why", [
    ("f32[4]", "let s = tanh(s + xs[t]); let acc = acc + sum(s, axis=0);", "a sum alone"),
    ("f32[4, 4]", "let acc = acc * 0.5 + transpose(xs[t]) @ xs[t];", "the body reads the accumulator"),
    ("f32[3, 4]", "let acc = acc + exp(xs[t]) @ a1;", "an invariant factor"),
])
def test_kept_accumulations(acc: str, body: str, why: str) -> None:
    source = f"""
fn main(xs: f32[5, 3, 4], a0: {acc}, a1: f32[4, 4]) -> {acc} {{
    let acc = a0;
    let s = zeros([3, 4]);
    for t in range(5) {{
        {body}
    }}
    return acc;
}}"""
    shape = tuple(int(d) for d in acc[4:-1].split(", "))
    types = {"xs": ("f32", (5, 3, 4)), "a0": ("f32", shape), "a1": ("f32", (4, 4))}
    before, after = lowered(source, "cse", types), lowered(source, "batch-loop-accumulations", types)
    assert str(before) == str(after), why
    assert_equal_to_eager(source, inputs(types))


def test_a_loop_from_one_without_a_row_index_is_kept() -> None:
    source = """
fn main(a: f32[3, 4], a0: f32[4, 4]) -> f32[4, 4] {
    let acc = a0;
    let m = a;
    for t in range(1, 4) {
        let m = tanh(m);
        let acc = acc + transpose(m) @ m;
    }
    return acc;
}"""
    types = {"a": ("f32", (3, 4)), "a0": ("f32", (4, 4))}
    before, after = lowered(source, "cse", types), lowered(source, "batch-loop-accumulations", types)
    assert str(before) == str(after)
    assert_equal_to_eager(source, inputs(types))


def test_a_reverse_loop_inside_a_training_loop() -> None:
    source = """
fn loss(xs, h0, w, u) {
    let h = h0;
    let l = full([], 0.0);
    for t in range(dim(xs, 0)) {
        let h = tanh(xs[t] @ w + h @ u);
        let l = l + mean(h * h);
    }
    return l;
}
fn main(xs: f32[4, 3, 2], h0: f32[3, 5], w: f32[2, 5], u: f32[5, 5]) -> (f32[2, 5], f32[5, 5]) {
    for step in range(3) {
        let gw, gu = gradients(loss(xs, h0, w, u), [w, u]);
        let w = w - 0.1 * gw;
        let u = u - 0.1 * gu;
    }
    return w, u;
}"""
    types = {"xs": ("f32", (4, 3, 2)), "h0": ("f32", (3, 5)), "w": ("f32", (2, 5)), "u": ("f32", (5, 5))}
    module = lowered(source, "batch-loop-accumulations", types)
    outer = loops(module)[0]
    inner = [op for op in outer.body.block.ops if isinstance(op, scf.ForOp)]
    assert len(inner) == 2  # forward and reverse, still inside the training loop
    assert_equal_to_eager(source, inputs(types))
