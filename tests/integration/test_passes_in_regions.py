"""The tf-level passes work inside the bodies of loops and branches:
`inline-calls` inlines a call in a loop body, `canonicalize-tf` and
`fold-constants` simplify there, `cse` merges equal ops of one body, `dce`
drops a body's dead ops (but never an index check, nor a loop holding one)."""

from __future__ import annotations

from xdsl.dialects import func, scf

import tfir
from tfir.dialects import tf
from tfir.dialects.registry import TType
from tfir.frontend.driver import build_entry
from tfir.pipeline import run_pipeline

SOURCE = """
fn step(v, k) {
    return v * k;
}
fn main(x: f32[4], i: i32) -> f32[4] {
    let acc = x;
    for t in range(3) {
        let dead = exp(acc);
        let two = 1.0 + 1.0;
        let a = step(acc, 3.0) * 1.0;
        let b = step(acc, 3.0) * 1.0;
        let acc = tanh(a + b + two);
    }
    let unused = zeros([4]);
    for t in range(2) {
        let unused = unused + x[i];
    }
    return acc;
}
"""


def lowered(stop: str):
    prog = tfir.compile_source(SOURCE, filename="prog.tf", target="eager")
    module = build_entry(prog.frontend, "main", {"x": TType("f32", (4,)), "i": TType("i32", ())}, {})
    run_pipeline(module, "numpy", stop_after=stop)
    return module


def body_ops(module) -> list[str]:
    loop = next(op for op in module.walk() if isinstance(op, scf.ForOp))
    return [op.name for op in loop.body.block.ops]


def test_inline_calls_in_a_loop_body() -> None:
    module = lowered("inline-calls")
    assert not [op for op in module.walk() if isinstance(op, func.CallOp)]
    assert len([op for op in module.ops if isinstance(op, func.FuncOp)]) == 1


def test_canonicalize_and_fold_in_a_loop_body() -> None:
    ops = body_ops(lowered("fold-constants"))
    assert ops.count("tf.mul") == 2  # `* 1.0` gone, the two `* 3.0` left
    module = lowered("fold-constants")
    loop = next(op for op in module.walk() if isinstance(op, scf.ForOp))
    adds = [op for op in loop.body.block.ops if isinstance(op, tf.AddOp)]
    assert not any(isinstance(op.lhs.owner, tf.ConstantOp) and isinstance(op.rhs.owner, tf.ConstantOp)
                   for op in adds)  # 1.0 + 1.0 folded


def test_cse_and_dce_in_a_loop_body() -> None:
    module = lowered("dce")
    ops = body_ops(module)
    assert ops.count("tf.mul") == 1  # the two equal `step(acc, 3.0)` are one
    assert "tf.exp" not in ops  # dead
    loops = [op for op in module.walk() if isinstance(op, scf.ForOp)]
    # the second loop's result is unused, but its index check must still run
    assert len(loops) == 2
    assert any(isinstance(op, tf.CheckIndexOp) for op in loops[1].walk())
