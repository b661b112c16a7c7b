"""The passes on programs with loops and branches (hoisting: test_hoist_loop_invariants.py):
dropping index checks a loop variable cannot fail, fusing within a block
only, and bufferization's carried buffers (updated in place, no copy per
iteration where none is needed; copies through temporaries where values
swap)."""

from __future__ import annotations

import numpy as np
from xdsl.dialects import memref, scf
from xdsl.dialects.linalg.ops import GenericOp

import tfir
from tfir.dialects import linalgx, tf
from tfir.dialects.registry import TType
from tfir.frontend.driver import build_entry
from tfir.pipeline import run_pipeline


def lowered(source: str, stop: str, target: str = "numpy", **types: tuple[str, tuple[int, ...]]):
    prog = tfir.compile_source(source, filename="prog.tf", target="eager")
    module = build_entry(prog.frontend, prog.entries[-1], {k: TType(*v) for k, v in types.items()}, {})
    run_pipeline(module, target, stop_after=stop)
    return module


def in_loops(module, cls) -> list:
    return [op for loop in module.walk() if isinstance(loop, scf.ForOp | scf.WhileOp)
            for op in loop.walk() if isinstance(op, cls)]


RNN = """
fn main(xs: f32[6, 2, 3], h0: f32[2, 4], w: f32[3, 4], u: f32[4, 4]) -> (f32[6, 2, 4], f32[2, 4]) {
    let h = h0;
    let hs = zeros([6, 2, 4]);
    for t in range(6) {
        let h = tanh(xs[t] @ w + h @ u);
        let hs = scatter(hs, t, h);
    }
    return hs, h;
}"""
RNN_TYPES = {"xs": ("f32", (6, 2, 3)), "h0": ("f32", (2, 4)), "w": ("f32", (3, 4)), "u": ("f32", (4, 4))}


def test_checks_of_the_loop_variable_in_range_are_dropped() -> None:
    module = lowered(RNN, "canonicalize-tf", **RNN_TYPES)
    assert not [op for op in module.walk() if isinstance(op, tf.CheckIndexOp)]
    module = lowered(RNN.replace("range(6)", "range(7)").replace("zeros([6", "zeros([6"), "canonicalize-tf",
                     **RNN_TYPES)
    # t == 6 would be out of range for xs: those checks stay
    assert len([op for op in module.walk() if isinstance(op, tf.CheckIndexOp)]) == 2


def test_fusion_stays_within_a_block() -> None:
    module = lowered("""
fn main(x: f32[8]) -> f32[8] {
    let e = exp(x);
    let acc = x;
    for k in range(3) {
        let acc = tanh(acc * 2.0 + e);
    }
    return acc;
}""", "fuse-elementwise", x=("f32", (8,)))
    (loop,) = [op for op in module.walk() if isinstance(op, scf.ForOp)]
    body_generics = [op for op in loop.body.block.ops if isinstance(op, GenericOp)]
    assert len(body_generics) == 1  # mul, add, tanh fused in the body
    names = {o.name for o in body_generics[0].body.walk()}
    assert "math.exp" not in names  # exp stays outside, computed once


def test_rnn_updates_its_carried_buffers_in_place() -> None:
    module = lowered(RNN, "plan-buffers", **RNN_TYPES)
    (loop,) = [op for op in module.walk() if isinstance(op, scf.ForOp)]
    assert not in_loops(module, memref.CopyOp)  # no copy of h or hs per iteration
    assert not in_loops(module, memref.AllocOp)  # buffers of the body are allocated once, before
    (scatter,) = in_loops(module, linalgx.ScatterOp)
    ret = [op for op in module.walk() if op.name == "func.return"][0]
    assert scatter.dest is ret.operands[0]  # hs is scattered into the buffer the function returns
    tanh = [op for op in loop.body.block.ops if isinstance(op, GenericOp)][-1]
    assert tanh.outputs[0] is ret.operands[1]  # the new h is written over the old one


def test_swapping_carried_values_goes_through_temporaries() -> None:
    source = """
fn main(a: f32[3], b: f32[3]) -> (f32[3], f32[3]) {
    let x = a;
    let y = b;
    for k in range(3) {
        let t = x;
        let x = y * 2.0;
        let y = t;
    }
    return x, y;
}"""
    a, b = np.array([1, 2, 3], np.float32), np.array([10, 20, 30], np.float32)
    x, y = a, b
    for _ in range(3):
        x, y = y * 2, x
    for target in ("numpy", "triton") if _triton_interpreting() else ("numpy",):
        got = tfir.compile_source(source, target=target).main(a, b)
        np.testing.assert_array_equal(got[0], x)
        np.testing.assert_array_equal(got[1], y)


def test_if_results_get_one_buffer_both_branches_write() -> None:
    module = lowered("""
fn main(x: f32[4]) -> f32[4] {
    let y = x;
    if sum(x) > 0.0 {
        let y = exp(x);
    } else {
        let y = -x;
    }
    return y;
}""", "bufferize", x=("f32", (4,)))
    (branch,) = [op for op in module.walk() if isinstance(op, scf.IfOp)]
    outs = [op.outputs[0] for region in branch.regions for op in region.block.ops if isinstance(op, GenericOp)]
    assert len(outs) == 2 and outs[0] is outs[1]  # both branches produce straight into the result buffer
    assert not list(branch.results)


def test_a_small_elementwise_loop_is_one_kernel_on_the_device() -> None:
    module = lowered("""
fn main(x: f32[4]) -> (f32[4], i32) {
    let acc = zeros([4]);
    let n = full([], 0);
    for i in range(1000) {
        let acc = acc * 0.999 + x;
        let n = n + 1;
    }
    return acc, n;
}""", "convert-loops-to-device", "triton", x=("f32", (4,)))
    entry = [op for op in module.ops if op.name == "func.func"][0]
    assert not [op for op in entry.walk() if isinstance(op, scf.ForOp)]  # no host loop left
    loops = [op for op in module.walk() if isinstance(op, scf.ForOp)]
    assert len(loops) == 1 and loops[0].parent_op().name == "device.kernel"


def test_a_loop_with_a_gather_stays_on_the_host_around_launches() -> None:
    module = lowered(RNN, "convert-loops-to-device", "triton", **RNN_TYPES)
    entry = [op for op in module.ops if op.name == "func.func"][0]
    (loop,) = [op for op in entry.walk() if isinstance(op, scf.ForOp)]
    launches = [op.name for op in loop.body.block.ops if op.name.startswith("device.")]
    assert launches.count("device.launch") >= 3


def _triton_interpreting() -> bool:
    import os
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")
