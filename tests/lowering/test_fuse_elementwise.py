"""fuse-elementwise: FileCheck goldens of what fuses into what, numerical
checks (through the reference interpreter, tests/support/linalg_ref.py) that
fusion leaves every result bit-identical, and its cost rule on real programs
(issue 6): each transcendental of the source is computed once after fusion,
and a multi-use producer is only cloned when it is a few cheap ops."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects.builtin import FileLineColLoc, ModuleOp
from xdsl.utils.arg_spec import parse_pipeline

import tfir
from tests.support.common import CONFORMANCE as CONFORMANCE_ROOT
from tests.support.common import ROOT
from tests.support.linalg_testing import (
    apply,
    check_contract,
    filecheck,
    lower,
    parse,
    print_ir,
    run_main,
    tf_module,
    ttype,
)
from tfir.dialects.dtypes import from_numpy
from tfir.dialects.registry import TType
from tfir.dialects.tf import broadcast_shapes
from tfir.frontend.driver import build_entry
from tfir.lowering.fuse_elementwise import FuseElementwise
from tfir.pipeline import run_pipeline

F32 = np.dtype(np.float32)


def fused(module):  # noqa: ANN001, ANN201
    apply(module, "fuse-elementwise")
    check_contract(module)
    return module


def generics(module) -> list:  # noqa: ANN001
    return [op for op in module.walk() if op.name == "linalg.generic"]


def assert_identical(got: list[np.ndarray], want: list[np.ndarray]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)  # NaN == NaN here


def inputs_for(module, seed: int = 0) -> list[np.ndarray]:  # noqa: ANN001
    rng = np.random.default_rng(seed)
    fn = module.ops.first
    out = []
    for arg in fn.body.block.args:
        shape = arg.type.get_shape()
        out.append((rng.standard_normal(shape) * 2).astype(np.float32))
    return out


def check_preserves(text: str) -> object:
    """Lowers `text`, fuses, and checks the results did not change; returns the fused module."""
    module = lower(text)
    args = inputs_for(module)
    before = run_main(module, *args)
    fused(module)
    assert_identical(run_main(module, *args), before)
    return module


T = "tensor<4x5xf32>"
EXPR = tf_module([T, "tensor<5xf32>", "tensor<4x1xf32>"], [
    f"%0 = tf.mul %a0, %a1 : ({T}, tensor<5xf32>) -> {T}",
    f"%1 = tf.add %0, %a2 : ({T}, tensor<4x1xf32>) -> {T}",
    f"%2 = tf.tanh %1 : ({T}) -> {T}",
    f"%3 = tf.sigmoid %a0 : ({T}) -> {T}",
    f"%4 = tf.mul %2, %3 : ({T}, {T}) -> {T}",
], [("%4", T)])


def test_expression_becomes_one_generic() -> None:
    module = check_preserves(EXPR)
    filecheck(print_ir(module), """
// CHECK:          func.func @main(%[[A:.*]]: tensor<4x5xf32>, %[[B:.*]]: tensor<5xf32>, %[[C:.*]]: tensor<4x1xf32>)
// CHECK-NEXT:       %[[E:.*]] = tensor.empty() : tensor<4x5xf32>
// CHECK-NEXT:       %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[A]], %[[B]], %[[C]] : tensor<4x5xf32>, tensor<5xf32>, tensor<4x1xf32>) outs(%[[E]] : tensor<4x5xf32>) {
// CHECK-NEXT:       ^{{.*}}(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[Z:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:         %[[M:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT:         %[[S:.*]] = arith.addf %[[M]], %[[Z]] : f32
// CHECK-NEXT:         %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:         %[[NEG:.*]] = arith.negf %[[X]] : f32
// CHECK-NEXT:         %[[EXP:.*]] = math.exp %[[NEG]] : f32
// CHECK-NEXT:         %[[DEN:.*]] = arith.addf %[[ONE]], %[[EXP]] : f32
// CHECK-NEXT:         %[[SIG:.*]] = arith.divf %[[ONE]], %[[DEN]] : f32
// CHECK-NEXT:         %[[T:.*]] = math.tanh %[[S]] : f32
// CHECK-NEXT:         %[[P:.*]] = arith.mulf %[[T]], %[[SIG]] : f32
// CHECK-NEXT:         linalg.yield %[[P]] : f32
// CHECK-NEXT:       } -> tensor<4x5xf32>
// CHECK-NEXT:       func.return %[[R]] : tensor<4x5xf32>
// CHECK-NOT:      linalg.generic
""")


def test_fused_ops_keep_their_locations() -> None:
    module = check_preserves(EXPR)
    (op,) = generics(module)
    assert isinstance(op.location, FileLineColLoc) and op.location.line.data == 6
    lines = {inner.name: inner.location.line.data for inner in op.body.block.ops}
    assert lines["math.tanh"] == 4 and lines["math.exp"] == 5 and lines["arith.addf"] in (3, 5)


def test_disabled_leaves_ir_unchanged() -> None:
    module = lower(EXPR)
    before = print_ir(module)
    (spec,) = parse_pipeline("fuse-elementwise{enabled=false}")
    pass_ = FuseElementwise.from_pass_spec(spec)
    assert pass_.enabled is False
    pass_.apply(None, module)  # type: ignore[arg-type]
    assert print_ir(module) == before
    assert len(generics(module)) == 5


def test_softmax_fuses_into_reductions() -> None:
    t, k = "tensor<4x6xf32>", "tensor<4x1xf32>"
    module = check_preserves(tf_module([t], [
        f"%0 = tf.max %a0 {{axes = array<i64: 1>, keepdims = true}} : ({t}) -> {k}",
        f"%1 = tf.sub %a0, %0 : ({t}, {k}) -> {t}",
        f"%2 = tf.exp %1 : ({t}) -> {t}",
        f"%3 = tf.sum %2 {{axes = array<i64: 1>, keepdims = true}} : ({t}) -> {k}",
        f"%4 = tf.div %2, %3 : ({t}, {k}) -> {t}",
    ], [("%4", t)]))
    # max | exp(x - max) | sum(e) | e / sum: the exp has two users, so it is
    # computed once into its own buffer (never recomputed); the cheap `x - max`
    # is fused into it.
    filecheck(print_ir(module), """
// CHECK:      linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:        arith.maximumf
// CHECK:      %[[E:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:        arith.subf
// CHECK-NEXT:   math.exp
// CHECK-NEXT:   linalg.yield
// CHECK:      linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[E]]
// CHECK-NOT:    math.exp
// CHECK:        arith.addf
// CHECK:      linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[E]]
// CHECK-NOT:    math.exp
// CHECK:        arith.divf
// CHECK-NOT:  linalg.generic
""")


def test_producer_with_other_use_is_left_alone() -> None:
    module = check_preserves(tf_module([T], [
        f"%0 = tf.exp %a0 : ({T}) -> {T}",
        f"%1 = tf.mul %0, %0 : ({T}, {T}) -> {T}",
        f"%2 = tf.neg %1 : ({T}) -> {T}",
    ], [("%2", T), ("%0", T)]))
    # exp is returned, so it stays; mul fuses into neg.
    filecheck(print_ir(module), """
// CHECK:      %[[EXP:.*]] = linalg.generic
// CHECK:        math.exp
// CHECK:      linalg.generic {{.*}} ins(%[[EXP]] : tensor<4x5xf32>)
// CHECK-NEXT: ^{{.*}}(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:   %[[SQ:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK-NEXT:   arith.negf %[[SQ]] : f32
// CHECK-NOT:  linalg.generic
""")


def test_producer_read_twice_is_inlined_once() -> None:
    module = check_preserves(tf_module([T], [
        f"%0 = tf.exp %a0 : ({T}) -> {T}",
        f"%1 = tf.mul %0, %0 : ({T}, {T}) -> {T}",
    ], [("%1", T)]))
    (op,) = generics(module)
    assert [o.name for o in op.body.block.ops] == ["math.exp", "arith.mulf", "linalg.yield"]
    assert len(op.inputs) == 1


def test_producer_feeding_a_matmul_is_left_alone() -> None:
    module = check_preserves(tf_module(["tensor<4x5xf32>", "tensor<5x3xf32>"], [
        "%0 = tf.relu %a0 : (tensor<4x5xf32>) -> tensor<4x5xf32>",
        "%1 = tf.matmul %0, %a1 : (tensor<4x5xf32>, tensor<5x3xf32>) -> tensor<4x3xf32>",
        "%2 = tf.exp %1 : (tensor<4x3xf32>) -> tensor<4x3xf32>",
        "%3 = tf.neg %2 : (tensor<4x3xf32>) -> tensor<4x3xf32>",
    ], [("%3", "tensor<4x3xf32>")]))
    assert len(generics(module)) == 2


def test_broadcast_producer_into_reduction_over_its_broadcast_dim() -> None:
    # sum over axis 0 of broadcast_to(b): the broadcast generic cannot be
    # inlined (no input would span the reduced loop), so it stays.
    module = check_preserves(tf_module(["tensor<5xf32>"], [
        "%0 = tf.broadcast_to %a0 : (tensor<5xf32>) -> tensor<4x5xf32>",
        "%1 = tf.sum %0 {axes = array<i64: 0>, keepdims = false} : (tensor<4x5xf32>) -> tensor<5xf32>",
    ], [("%1", "tensor<5xf32>")]))
    assert len(generics(module)) == 2


def test_broadcast_producer_into_elementwise() -> None:
    module = check_preserves(tf_module([T, "tensor<5xf32>"], [
        "%0 = tf.exp %a1 : (tensor<5xf32>) -> tensor<5xf32>",
        f"%1 = tf.add %a0, %0 : ({T}, tensor<5xf32>) -> {T}",
    ], [("%1", T)]))
    filecheck(print_ir(module), """
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>]
// CHECK:        math.exp
// CHECK-NEXT:   arith.addf
// CHECK-NOT:  linalg.generic
""")


def test_iota_and_reversed_slice_fuse() -> None:
    module = lower(tf_module(["tensor<4x5xf32>"], [
        "%0 = tf.iota : tensor<5xi32>",
        "%1 = tf.cast %0 : (tensor<5xi32>) -> tensor<5xf32>",
        "%2 = tf.slice %a0 {start = array<i64: 3, 4>, stride = array<i64: -1, -1>} : (tensor<4x5xf32>) -> tensor<4x5xf32>",
        "%3 = tf.add %2, %1 : (tensor<4x5xf32>, tensor<5xf32>) -> tensor<4x5xf32>",
    ], [("%3", "tensor<4x5xf32>")]))
    x = np.arange(20, dtype=np.float32).reshape(4, 5)
    want = x[::-1, ::-1] + np.arange(5, dtype=np.float32)
    np.testing.assert_array_equal(run_main(module, x)[0], want)
    fused(module)
    np.testing.assert_array_equal(run_main(module, x)[0], want)
    filecheck(print_ir(module), """
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (((d0 * -1) + 3), ((d1 * -1) + 4))>, affine_map<(d0, d1) -> (d0, d1)>]
// CHECK:        linalg.index 1 : index
// CHECK-NOT:  linalg.generic
""")


PERMUTED = """
builtin.module {
  func.func @main(%x: tensor<3x4xf32>, %y: tensor<4x3xf32>) -> tensor<4x3xf32> {
    %e = tensor.empty() : tensor<4x3xf32> loc("p.tf":1:1)
    %t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1, d0)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<3x4xf32>) outs(%e : tensor<4x3xf32>) {
    ^bb0(%a: f32, %o: f32):
      %n = math.exp %a : f32 loc("p.tf":2:1)
      linalg.yield %n : f32 loc("p.tf":2:1)
    } -> tensor<4x3xf32> loc("p.tf":2:1)
    %e2 = tensor.empty() : tensor<4x3xf32> loc("p.tf":3:1)
    %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%t, %y : tensor<4x3xf32>, tensor<4x3xf32>) outs(%e2 : tensor<4x3xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %s = arith.subf %a, %b : f32 loc("p.tf":4:1)
      linalg.yield %s : f32 loc("p.tf":4:1)
    } -> tensor<4x3xf32> loc("p.tf":4:1)
    func.return %r : tensor<4x3xf32> loc("p.tf":5:1)
  } loc("p.tf":1:1)
} loc("p.tf":1:1)
"""


def test_permuted_producer_output_map() -> None:
    module = parse(PERMUTED)
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 4
    y = np.ones((4, 3), np.float32)
    want = run_main(module, x, y)[0]
    np.testing.assert_allclose(want, np.exp(x).T - 1, rtol=1e-6)
    fused(module)
    assert_identical(run_main(module, x, y), [want])
    filecheck(print_ir(module), """
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>]
// CHECK-NOT:  linalg.generic
""")


def test_argmax_consumer() -> None:
    t = "tensor<3x5xf32>"
    check_preserves(tf_module([t], [
        f"%0 = tf.mul %a0, %a0 : ({t}, {t}) -> {t}",
        f"%1 = tf.argmax %0 {{axis = 1 : i64}} : ({t}) -> tensor<3xi64>",
    ], [("%1", "tensor<3xi64>")]))


# Random expressions ----------------------------------------------------------

UNARY = ["neg", "exp", "tanh", "sigmoid", "relu", "abs", "sin", "sign", "floor"]
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "pow"]
ARG_SHAPES = [(2, 3), (3,), (2, 1), ()]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_fusion_preserves_random_programs(data: st.DataObject) -> None:
    values = [(f"%a{i}", s) for i, s in enumerate(ARG_SHAPES)]
    lines: list[str] = []
    for k in range(data.draw(st.integers(1, 8), "length")):
        if data.draw(st.booleans()):
            kind = data.draw(st.sampled_from(UNARY))
            name, shape = data.draw(st.sampled_from(values))
            lines.append(f"%v{k} = tf.{kind} {name} : ({ttype(F32, shape)}) -> {ttype(F32, shape)}")
        else:
            kind = data.draw(st.sampled_from(BINARY))
            (n1, s1), (n2, s2) = data.draw(st.sampled_from(values)), data.draw(st.sampled_from(values))
            shape = broadcast_shapes(s1, s2)
            lines.append(f"%v{k} = tf.{kind} {n1}, {n2} : ({ttype(F32, s1)}, {ttype(F32, s2)}) -> "
                         f"{ttype(F32, shape)}")
        values.append((f"%v{k}", shape))
    last, shape = values[-1]
    if shape and data.draw(st.booleans(), "reduce"):
        kind = data.draw(st.sampled_from(["sum", "max", "mean"]))
        axis = data.draw(st.integers(0, len(shape) - 1))
        out = tuple(d for i, d in enumerate(shape) if i != axis)
        lines.append(f"%red = tf.{kind} {last} {{axes = array<i64: {axis}>, keepdims = false}} : "
                     f"({ttype(F32, shape)}) -> {ttype(F32, out)}")
        last, shape = "%red", out
    results = [(last, ttype(F32, shape))]
    if len(values) > len(ARG_SHAPES) + 1 and data.draw(st.booleans(), "extra result"):
        name, extra = data.draw(st.sampled_from(values[len(ARG_SHAPES):-1]))
        results.append((name, ttype(F32, extra)))
    module = lower(tf_module([ttype(F32, s) for s in ARG_SHAPES], lines, results))
    args = inputs_for(module, seed=data.draw(st.integers(0, 3)))
    before = run_main(module, *args)
    n_before = len(generics(module))
    fused(module)
    assert_identical(run_main(module, *args), before)
    assert len(generics(module)) <= n_before
    if len(results) == 1 and not lines[-1].startswith("%red"):
        assert len(generics(module)) == 1


@pytest.mark.parametrize("enabled", [True, False])
def test_pass_option(enabled: bool) -> None:
    module = lower(EXPR)
    FuseElementwise(enabled=enabled).apply(None, module)  # type: ignore[arg-type]
    module.verify()
    assert len(generics(module)) == (1 if enabled else 5)


def test_body_size_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # A cheap producer with several users is cloned into each, so bodies can
    # grow; fusion stops where a body would pass MAX_BODY_OPS.
    from tfir.lowering import fuse_elementwise

    lines, prev = [], "%a0"
    for k in range(6):
        lines.append(f"%e{k} = tf.neg {prev} : ({T}) -> {T}")
        lines.append(f"%v{k} = tf.add %e{k}, %e{k} : ({T}, {T}) -> {T}")
        lines.append(f"%w{k} = tf.tanh %e{k} : ({T}) -> {T}")
        lines.append(f"%m{k} = tf.mul %v{k}, %w{k} : ({T}, {T}) -> {T}")
        prev = f"%m{k}"
    text = tf_module([T], lines, [(prev, T)])
    assert len(generics(check_preserves(text))) == 1
    monkeypatch.setattr(fuse_elementwise, "MAX_BODY_OPS", 12)
    module = check_preserves(text)
    sizes = [len(op.body.block.ops) for op in generics(module)]
    assert len(sizes) > 1 and max(sizes) <= 12


@pytest.mark.skipif(shutil.which("mlir-opt-22") is None, reason="needs mlir-opt-22 (Debian mlir-22-tools)")
def test_upstream_mlir_opt_accepts_fused_ir() -> None:
    from tests.support.tf_op_cases import MLP

    t, k = "tensor<4x6xf32>", "tensor<4x1xf32>"
    softmax = tf_module([t], [
        f"%0 = tf.max %a0 {{axes = array<i64: 1>, keepdims = true}} : ({t}) -> {k}",
        f"%1 = tf.sub %a0, %0 : ({t}, {k}) -> {t}",
        f"%2 = tf.exp %1 : ({t}) -> {t}",
        f"%3 = tf.argmax %2 {{axis = 1 : i64}} : ({t}) -> tensor<4xi64>",
    ], [("%3", "tensor<4xi64>")])
    iota = tf_module(["tensor<4x5xf32>"], [
        "%0 = tf.iota : tensor<5xi32>",
        "%1 = tf.cast %0 : (tensor<5xi32>) -> tensor<5xf32>",
        "%2 = tf.slice %a0 {start = array<i64: 3, 4>, stride = array<i64: -1, -1>} : (tensor<4x5xf32>) -> tensor<4x5xf32>",
        "%3 = tf.add %2, %1 : (tensor<4x5xf32>, tensor<5xf32>) -> tensor<4x5xf32>",
    ], [("%3", "tensor<4x5xf32>")])
    modules = [print_ir(fused(lower(text))) for text in (EXPR, softmax, iota, MLP)]
    modules.append(print_ir(fused(parse(PERMUTED))))
    proc = subprocess.run(["mlir-opt-22", "--split-input-file", "--verify-each"],
                          input="\n// -----\n".join(modules), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[:4000]


def test_consumer_reading_another_consumer() -> None:
    # x feeds both the comparison and the select, and the select also reads
    # the comparison: fusing x into the comparison first must not leave the
    # select reading the replaced comparison.
    b = "tensor<4x5xi1>"
    module = check_preserves(tf_module([T, T], [
        f"%0 = tf.neg %a0 : ({T}) -> {T}",
        f"%1 = tf.greater %0, %a1 : ({T}, {T}) -> {b}",
        f"%2 = tf.select %1, %0, %a1 : ({b}, {T}, {T}) -> {T}",
    ], [("%2", T)]))
    assert len(generics(module)) == 1


# Cost on real programs: nothing expensive is recomputed ------------------------

CONFORMANCE = CONFORMANCE_ROOT / "programs"
BENCH = ROOT / "benchmarks" / "programs"


def fused_ir(path: Path, entry: str, shapes: dict[str, tuple[int, ...]],
             disable: tuple[str, ...] = ()) -> ModuleOp:
    prog = tfir.compile_file(path)
    types = {n: TType(from_numpy(np.dtype(np.float32)) or "", s) for n, s in shapes.items()}
    module = build_entry(prog.frontend, entry, types, {})
    return run_pipeline(module, "numpy", disable=disable, stop_after="fuse-elementwise")


def math_ops(module: ModuleOp) -> Counter[str]:
    return Counter(op.name for op in module.walk() if op.name.startswith("math."))




def test_softmax_exp_computed_once() -> None:
    module = fused_ir(BENCH / "softmax.tf", "main", {"x": (8, 16)})
    assert math_ops(module) == Counter({"math.exp": 1})


def test_layernorm_sqrt_once_and_centering_fused() -> None:
    module = fused_ir(BENCH / "layernorm.tf", "main", {"x": (8, 16), "gamma": (16,), "beta": (16,)})
    counts = math_ops(module)
    assert set(counts.values()) == {1}, counts
    # `x - mean` (one subtraction) is cheap: fused into its two users, not stored.
    ops = [op for op in module.walk() if op.name == "linalg.generic"]
    assert sum(any(o.name == "arith.subf" for o in g.body.walk()) for g in ops) == 2


@pytest.mark.skipif(not (CONFORMANCE / "redundancy.tf").exists(), reason="no conformance programs")
def test_redundancy_tanh_computed_once() -> None:
    module = fused_ir(CONFORMANCE / "redundancy.tf", "main", {"a": (1000,), "b": (1000,)})
    counts = math_ops(module)
    assert counts["math.tanh"] == 1, counts
    assert "math.exp" not in counts  # the dead exp is gone


def test_mlp_example_bias_add_not_repeated() -> None:
    shapes = {"x": (32, 784), "w1": (784, 128), "b1": (128,), "w2": (128, 10), "b2": (10,)}
    module = fused_ir(ROOT / "examples" / "mlp.tf", "mlp", shapes)
    assert math_ops(module) == Counter({"math.exp": 1})
    adds = [op for g in module.walk() if g.name == "linalg.generic"
            for op in g.body.walk() if op.name == "arith.addf"]
    # dense's `+ b` twice, sum's combiner once; `logits + b2` is one add (cheap)
    # fused into max and exp(. - max) at most: never into the division as well.
    assert len(adds) <= 5


def test_ops100_each_unary_once() -> None:
    module = fused_ir(BENCH / "ops100.tf", "main", {"x": (64,), "y": (64,)})
    counts = math_ops(module)
    # 20 blocks: 5 tanh, 5 sin, 5 cos, 5 sigmoid (one exp each).
    assert counts == Counter({"math.tanh": 5, "math.sin": 5, "math.cos": 5, "math.exp": 5}), counts


def test_without_fusion_nothing_is_recomputed_either() -> None:
    fused = fused_ir(BENCH / "softmax.tf", "main", {"x": (8, 16)})
    plain = fused_ir(BENCH / "softmax.tf", "main", {"x": (8, 16)}, disable=("fuse-elementwise",))
    assert math_ops(fused) == math_ops(plain)
    assert len(generics(fused)) < len(generics(plain))


def test_nothing_fuses_into_a_batched_matmul() -> None:
    # softmax(s) @ v: the division stays an elementwise op (run in parallel,
    # row by row) and the batched matmul reads its result, as BLAS would.
    module = fused_ir(BENCH / "attention.tf", "main", {"q": (2, 8, 4), "k": (2, 8, 4), "v": (2, 8, 4)})
    contractions = [g for g in module.walk() if g.name == "linalg.generic"
                    and any(it.data.value == "reduction" for it in g.iterator_types)
                    and {"arith.mulf", "arith.addf"} <= {o.name for o in g.body.walk()}]
    assert len(contractions) == 2  # q @ k^T and softmax @ v
    for g in contractions:
        assert [o.name for o in g.body.block.ops] == ["arith.mulf", "arith.addf", "linalg.yield"]
    assert math_ops(module) == Counter({"math.exp": 1})
