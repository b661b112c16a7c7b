"""`hoist-loop-invariants`: computations of a loop body that depend on no
carried value or loop variable move before the loop; index checks (which have
an effect) and what uses them stay (its FileCheck file:
tests/filecheck/hoist-loop-invariants.mlir)."""

from __future__ import annotations

from xdsl.dialects import scf

import tfir
from tfir.dialects.registry import TType
from tfir.frontend.driver import build_entry
from tfir.pipeline import run_pipeline


def lowered(source: str, stop: str, **types: tuple[str, tuple[int, ...]]):
    prog = tfir.compile_source(source, filename="prog.tf", target="eager")
    module = build_entry(prog.frontend, prog.entries[-1], {k: TType(*v) for k, v in types.items()}, {})
    run_pipeline(module, "numpy", stop_after=stop)
    return module


def test_hoisting_moves_invariants_out_and_keeps_checks_in() -> None:
    module = lowered("""
fn main(x: f32[4], w: f32[4, 4], i: i32) -> f32[4] {
    let acc = x;
    for k in range(3) {
        let acc = acc @ (w * 2.0) + x[i];
    }
    return acc;
}""", "hoist-loop-invariants", x=("f32", (4,)), w=("f32", (4, 4)), i=("i32", ()))
    (loop,) = [op for op in module.walk() if isinstance(op, scf.ForOp)]
    inside = {op.name for op in loop.body.block.ops}
    assert "tf.mul" not in inside  # w * 2.0 is loop-invariant
    assert {"tf.check_index", "tf.take", "tf.matmul"} <= inside  # the check stays, and what uses it
