"""What the frontend makes of v2 programs: loops and branches as `scf` ops
with explicit carried values, compile-time conditions resolved, dimension
expressions and compile-time arithmetic folded, tensor indices as checked
takes."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import scf

import tfir
from tfir.dialects import tf
from tfir.dialects.registry import TType
from tfir.frontend.driver import build_entry


def tf_module(source: str, **types: tuple[str, tuple[int, ...]]):
    prog = tfir.compile_source(source, filename="prog.tf", target="eager")
    name = prog.entries[-1]
    return build_entry(prog.frontend, name, {k: TType(*v) for k, v in types.items()}, {})


def ops_named(module, cls) -> list:
    return [op for op in module.walk() if isinstance(op, cls)]


def test_for_carries_exactly_the_names_it_rebinds() -> None:
    module = tf_module("""
fn main(x: f32[4], y: f32[4]) -> (f32[4], f32[4]) {
    let a = x;
    let b = y;
    for i in range(5) {
        let tmp = a * 2.0;
        let a = tmp + b;
    }
    return a, b;
}""", x=("f32", (4,)), y=("f32", (4,)))
    (loop,) = ops_named(module, scf.ForOp)
    assert [r.name_hint for r in loop.results] == ["a"]
    assert [v.name_hint for v in loop.iter_args] == ["x"]
    # static trip count: constant index bounds
    assert [v.owner.value.value.data for v in (loop.lb, loop.ub, loop.step)] == [0, 5, 1]
    (from_index,) = ops_named(module, tf.FromIndexOp)
    assert from_index.input is loop.body.block.args[0]


def test_negative_step_counts_from_zero_to_the_trip_count() -> None:
    module = tf_module("""
fn main(x: f32[4]) -> f32[4] {
    let y = x;
    for t in range(10, 1, -3) {
        let y = y + cast(t, f32);
    }
    return y;
}""", x=("f32", (4,)))
    (loop,) = ops_named(module, scf.ForOp)
    assert [v.owner.value.value.data for v in (loop.lb, loop.ub, loop.step)] == [0, 3, 1]
    got = tfir.compile_source("""
fn main(x: f32[4]) -> f32[4] {
    let y = x;
    for t in range(10, 1, -3) {
        let y = y * 10.0 + cast(t, f32);
    }
    return y;
}""", target="numpy").main(np.zeros(4, np.float32))
    np.testing.assert_array_equal(got, np.full(4, 10 * 100 + 7 * 10 + 4, np.float32))


def test_while_condition_region_reads_the_carried_values() -> None:
    module = tf_module("""
fn main(x: f32[3]) -> (f32[3], i32) {
    let y = x;
    let n = full([], 0);
    while logical_and(max(y) < 100.0, n < 20) {
        let y = y * 2.0;
        let n = n + 1;
    }
    return y, n;
}""", x=("f32", (3,)))
    (loop,) = ops_named(module, scf.WhileOp)
    cond = loop.before_region.block.last_op
    assert isinstance(cond, scf.ConditionOp)
    assert list(cond.args) == list(loop.before_region.block.args)
    assert [r.name_hint for r in loop.results] == ["y", "n"]


def test_compile_time_if_is_inline_and_may_change_a_type() -> None:
    source = """
fn pick(x, flat: bool) {
    let y = x;
    if flat {
        let y = reshape(x, [-1]);
    } else {
        let y = x * 2.0;
    }
    return y;
}
fn main(x: f32[2, 3]) -> (f32[6], f32[2, 3]) {
    return pick(x, true), pick(x, false);
}"""
    module = tf_module(source, x=("f32", (2, 3)))
    assert not ops_named(module, scf.IfOp)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    a, b = tfir.compile_source(source, target="numpy").main(x)
    np.testing.assert_array_equal(a, x.reshape(-1))
    np.testing.assert_array_equal(b, x * 2)


def test_runtime_if_yields_from_both_branches() -> None:
    module = tf_module("""
fn main(x: f32[3]) -> f32[3] {
    let y = x;
    if sum(x) > 0.0 {
        let y = -y;
    }
    return y;
}""", x=("f32", (3,)))
    (branch,) = ops_named(module, scf.IfOp)
    assert len(branch.results) == 1
    assert isinstance(branch.false_region.block.last_op, scf.YieldOp)
    assert branch.false_region.block.last_op.operands[0].name_hint == "x"


def test_dimension_values_fold_and_take_the_other_dtype() -> None:
    source = """
fn main(x: f32[B, D]) -> (f32[B, D], i64, f32[D // 2, 2]) {
    let scaled = x * rsqrt(dim(x, -1)) + (B * D - 1) % 5;
    let n = full([], dim(x, 0) * 10, i64);
    return scaled, n, reshape(x[0], [D // 2, 2]);
}"""
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    for target in ("eager", "numpy"):
        scaled, n, r = tfir.compile_source(source, target=target).main(x)
        np.testing.assert_allclose(scaled, x / 2 + 7 % 5)
        assert n.dtype == np.int64 and int(n) == 20
        np.testing.assert_array_equal(r, x[0].reshape(2, 2))


def test_symbolic_result_types_match_the_spelling_of_expressions() -> None:
    # checked with B, T, D symbolic: `B * T` from the reshape is the result's `B * T`
    tfir.compile_source("""
fn main(x: f32[B, T, D], w: f32[D, 4 * D]) -> (f32[B * T, D], f32[B, T, 4 * D]) {
    return reshape(x, [B * T, -1]), x @ w;
}""", target="eager")


def test_static_int_parameters_bind_dimension_expressions() -> None:
    source = """
fn split(x, heads: int) -> f32[2, heads, 3, 8 // heads] {
    return transpose(reshape(x, [dim(x, 0), dim(x, 1), heads, dim(x, -1) // heads]), perm=[0, 2, 1, 3]);
}
fn main(x: f32[2, 3, 8]) -> f32[2, 4, 3, 2] {
    return split(x, 4);
}"""
    x = np.arange(48, dtype=np.float32).reshape(2, 3, 8)
    got = tfir.compile_source(source, target="numpy").main(x)
    np.testing.assert_array_equal(got, x.reshape(2, 3, 4, 2).transpose(0, 2, 1, 3))


@pytest.mark.parametrize(("index", "want"), [
    ("x[i]", lambda x, i, j, k: x[i]),
    ("x[:, j]", lambda x, i, j, k: x[:, j]),
    ("x[k, 1:]", lambda x, i, j, k: x[k, 1:]),
    ("x[i, None, ::-1]", lambda x, i, j, k: x[i, None, ::-1]),
    ("x[None, :, k]", lambda x, i, j, k: x[None, :, k]),
    ("x[-1, k]", lambda x, i, j, k: x[-1, k]),
])
def test_indexing_with_tensors_as_numpy(index: str, want) -> None:
    source = f"fn main(x: f32[4, 5], i: i32[2, 3], j: i64[2], k: i32) {{\n    return {index};\n}}\n"
    x = np.arange(20, dtype=np.float32).reshape(4, 5)
    i, j, k = np.array([[0, -1, 2], [3, 3, -4]], np.int32), np.array([4, -5], np.int64), np.array(-2, np.int32)
    for target in ("eager", "numpy"):
        got = tfir.compile_source(source, target=target).main(x, i, j, k)
        np.testing.assert_array_equal(got, want(x, i, j, int(k)))


def test_every_tensor_index_is_checked_before_it_is_used() -> None:
    module = tf_module("fn main(x: f32[4, 5], i: i32[3], k: i32) {\n    return x[k, i];\n}\n",
                       x=("f32", (4, 5)), i=("i32", (3,)), k=("i32", ()))
    takes = ops_named(module, tf.TakeOp)
    assert len(takes) == 2
    for take in takes:
        check = take.indices.owner
        assert isinstance(check, tf.CheckIndexOp)
        assert check.size_value == take.input.type.get_shape()[take.axis_value]
