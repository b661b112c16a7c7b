"""`elide-tape-inits`: a tape a loop writes every row of (once each, before
any read) starts as `tensor.empty`, not as a zero constant; tapes with an
unwritten row, a read in the body or an accumulating scatter keep their
initial value; the results equal eager's (its FileCheck file:
tests/filecheck/elide-tape-inits.mlir)."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import scf
from xdsl.ir import Operation

import tfir
from tfir.dialects.registry import TType
from tfir.frontend.driver import build_entry
from tfir.pipeline import run_pipeline


def init_ops(source: str, types: dict[str, tuple[str, tuple[int, ...]]]) -> list[str]:
    """The ops that make the initial carried values of the loops, after the pass."""
    prog = tfir.compile_source(source, filename="prog.tf", target="eager")
    module = build_entry(prog.frontend, prog.entries[-1], {k: TType(*v) for k, v in types.items()}, {})
    run_pipeline(module, "numpy", stop_after="elide-tape-inits")
    return [v.owner.name if isinstance(v.owner, Operation) else "argument"
            for op in module.walk() if isinstance(op, scf.ForOp) for v in op.iter_args]


def equal_to_eager(source: str, *args: np.ndarray) -> None:
    want = tfir.compile_source(source, filename="prog.tf", target="eager").main(*args)
    got = tfir.compile_source(source, filename="prog.tf", target="numpy").main(*args)
    np.testing.assert_allclose(got, want, rtol=1e-6)


FORWARD = """
fn main(xs: f32[4, 3]) -> f32[4, 3] {
    let hs = zeros([4, 3]);
    let h = zeros([3]);
    for t in range(4) {
        let h = tanh(h + xs[t]);
        let hs = scatter(hs, t, h);
    }
    return hs;
}"""

REVERSED = FORWARD.replace("range(4)", "range(3, -1, -1)")  # rows 3, 2, 1, 0


@pytest.mark.parametrize("source", [FORWARD, REVERSED], ids=["forward", "reversed"])
def test_a_tape_written_whole_starts_empty(source: str) -> None:
    inits = init_ops(source, {"xs": ("f32", (4, 3))})
    assert "tensor.empty" in inits
    assert inits.count("tensor.empty") == 1  # h's zeros are read: kept
    equal_to_eager(source, np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32))


@pytest.mark.parametrize("edit", [
    ("range(4)", "range(3)"),  # row 3 is never written: its zeros are returned
    ("scatter(hs, t, h)", "scatter(hs, t, h + hs[t])"),  # the body reads the tape
    ("scatter(hs, t, h)", "scatter(hs, floordiv(t, 2), h)"),  # rows written twice, others not at all
    ("let hs = scatter(hs, t, h);", "let hs = scatter(hs, t, h); let h = h + mean(hs);"),  # read after the write
])
def test_tapes_whose_zeros_are_observed_keep_them(edit: tuple[str, str]) -> None:
    source = FORWARD.replace(*edit)
    assert "tensor.empty" not in init_ops(source, {"xs": ("f32", (4, 3))})
    equal_to_eager(source, np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32))


def test_the_tapes_of_a_gradient_start_empty() -> None:
    source = """
fn main(xs: f32[5, 2, 3], w: f32[3, 3]) -> f32[3, 3] {
    let h = zeros([2, 3]);
    let loss = full([], 0.0);
    for t in range(5) {
        let h = tanh(xs[t] + h @ w);
        let loss = loss + sum(h);
    }
    let gw = gradients(loss, [w]);
    return gw;
}"""
    inits = init_ops(source, {"xs": ("f32", (5, 2, 3)), "w": ("f32", (3, 3))})
    assert inits.count("tensor.empty") >= 2  # the forward loop's tape of h, the reverse loop's of dz
    rng = np.random.default_rng(2)
    equal_to_eager(source, rng.normal(size=(5, 2, 3)).astype(np.float32),
                   rng.normal(size=(3, 3)).astype(np.float32) * 0.5)
