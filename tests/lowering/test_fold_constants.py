"""fold-constants: constant subgraphs evaluated at compile time (bit-exact with
the eager backend), within a size cap, leaving what NumPy or xDSL's printer
would get wrong."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import builtin

from tests.support.tf_stage import assert_same, assert_same_results, body_ops, parse, run_passes
from tfir.dialects import tf
from tfir.dialects.dtypes import numpy_dtype_of
from tfir.lowering import fold_constants
from tfir.lowering.utils.constants import constant_array, dense_attr
from tfir.pipeline import make_context


def _single(body: str, result: str) -> str:
    return f"""
builtin.module {{
  func.func @main() -> {result} {{
{body}
    func.return %r : {result} loc("k.tf":9:5)
  }}
}}
"""


def _folded_constant(module: builtin.ModuleOp) -> tf.ConstantOp:
    assert body_ops(module) == ["tf.constant", "func.return"]
    const = next(iter(module.ops)).body.block.first_op
    assert isinstance(const, tf.ConstantOp)
    return const


FOLD_CASES = {
    "f32 chain": ("""
    %a = tf.constant {value = dense<[1.0, 2.0, -3.0]> : tensor<3xf32>} : tensor<3xf32>
    %b = tf.constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %m = tf.mul %a, %b : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
    %e = tf.exp %m : (tensor<3xf32>) -> tensor<3xf32>
    %r = tf.sum %e {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32> loc("k.tf":4:9)
""", "tensor<f32>", np.float32(np.exp(np.float32([2, 4, -6]), dtype=np.float32).sum(dtype=np.float32))),
    "f16 div": ("""
    %a = tf.constant {value = dense<[1.0, 2.0]> : tensor<2xf16>} : tensor<2xf16>
    %b = tf.constant {value = dense<3.0> : tensor<f16>} : tensor<f16>
    %r = tf.div %a, %b : (tensor<2xf16>, tensor<f16>) -> tensor<2xf16> loc("k.tf":4:9)
""", "tensor<2xf16>", np.float16([1, 2]) / np.float16(3)),
    "i1 compare": ("""
    %a = tf.constant {value = dense<[1, -2, 3]> : tensor<3xi32>} : tensor<3xi32>
    %b = tf.constant {value = dense<0> : tensor<i32>} : tensor<i32>
    %r = tf.greater %a, %b : (tensor<3xi32>, tensor<i32>) -> tensor<3xi1> loc("k.tf":4:9)
""", "tensor<3xi1>", np.array([True, False, True])),
    "i64 iota": ("""
    %a = tf.iota : tensor<5xi64>
    %b = tf.constant {value = dense<3> : tensor<i64>} : tensor<i64>
    %r = tf.floordiv %a, %b : (tensor<5xi64>, tensor<i64>) -> tensor<5xi64> loc("k.tf":4:9)
""", "tensor<5xi64>", np.arange(5) // 3),
    "f64 matmul transpose": ("""
    %a = tf.constant {value = dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf64>} : tensor<3x2xf64>
    %t = tf.transpose %a {perm = array<i64: 1, 0>} : (tensor<3x2xf64>) -> tensor<2x3xf64>
    %r = tf.matmul %t, %a : (tensor<2x3xf64>, tensor<3x2xf64>) -> tensor<2x2xf64> loc("k.tf":4:9)
""", "tensor<2x2xf64>", np.array([[35.0, 44.0], [44.0, 56.0]])),
    "select of bools": ("""
    %c = tf.constant {value = dense<[true, false]> : tensor<2xi1>} : tensor<2xi1>
    %n = tf.logical_not %c : (tensor<2xi1>) -> tensor<2xi1>
    %r = tf.select %c, %n, %c : (tensor<2xi1>, tensor<2xi1>, tensor<2xi1>) -> tensor<2xi1> loc("k.tf":4:9)
""", "tensor<2xi1>", np.array([False, False])),
}


@pytest.mark.parametrize("case", FOLD_CASES)
def test_fold_constants_evaluates_constant_subgraphs(case: str) -> None:
    body, result, want = FOLD_CASES[case]
    module = run_passes(parse(_single(body, result)), ["fold-constants"])
    const = _folded_constant(module)
    assert const.location == builtin.FileLineColLoc(
        builtin.StringAttr("k.tf"), builtin.IntAttr(4), builtin.IntAttr(9))
    assert_same(constant_array(const.value), np.asarray(want))
    # the folded constant prints and parses back to an equal attribute (i1, f16 included)
    assert _folded_constant(parse(str(module))).value == const.value


def test_folded_splats_print_as_splats_and_match_parsed_constants() -> None:
    module = run_passes(parse(_single("""
    %a = tf.constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %b = tf.constant {value = dense<3.0> : tensor<f32>} : tensor<f32>
    %m = tf.mul %a, %b : (tensor<f32>, tensor<f32>) -> tensor<f32>
    %r = tf.broadcast_to %m : (tensor<f32>) -> tensor<200x3xf32>
""", "tensor<200x3xf32>")), ["fold-constants"])
    const = _folded_constant(module)
    assert "dense<6.000000e+00> : tensor<200x3xf32>" in str(module)
    parsed = parse(_single("""
    %r = tf.constant {value = dense<6.0> : tensor<200x3xf32>} : tensor<200x3xf32>
""", "tensor<200x3xf32>"))
    assert _folded_constant(parsed).value == const.value


def test_fold_constants_respects_the_size_cap_and_leaves_lone_iota() -> None:
    big = _single("""
    %a = tf.constant {value = dense<1.5> : tensor<f32>} : tensor<f32>
    %n = tf.neg %a : (tensor<f32>) -> tensor<f32>
    %r = tf.broadcast_to %n : (tensor<f32>) -> tensor<512x256xf32>
""", "tensor<512x256xf32>")
    module = run_passes(parse(big), ["fold-constants"])
    assert body_ops(module) == ["tf.constant", "tf.broadcast_to", "func.return"]
    assert "dense<-1.500000e+00> : tensor<f32>" in str(module)
    small_cap = fold_constants.FoldConstantsPass(max_elements=2)
    module = parse(_single("""
    %a = tf.iota : tensor<3xi32>
    %r = tf.neg %a : (tensor<3xi32>) -> tensor<3xi32>
""", "tensor<3xi32>"))
    small_cap.apply(make_context(), module)
    assert body_ops(module) == ["tf.iota", "tf.neg", "func.return"]
    module = run_passes(parse(_single("    %r = tf.iota : tensor<3xi32>\n", "tensor<3xi32>")),
                        ["fold-constants"])
    assert body_ops(module) == ["tf.iota", "func.return"]


@pytest.mark.parametrize("body, folded", [
    ("""    %a = tf.constant {value = dense<[1.0, 0.0]> : tensor<2xf32>} : tensor<2xf32>
    %z = tf.constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
    %r = tf.div %a, %z : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
""", False),
    ("""    %a = tf.constant {value = dense<[-0.0, 0.0]> : tensor<2xf32>} : tensor<2xf32>
    %r = tf.neg %a : (tensor<2xf32>) -> tensor<2xf32>
""", False),
    ("""    %a = tf.constant {value = dense<[0.0, 0.0]> : tensor<2xf32>} : tensor<2xf32>
    %r = tf.neg %a : (tensor<2xf32>) -> tensor<2xf32>
""", True),
    ("""    %a = tf.constant {value = dense<[-0.0, 2.0]> : tensor<2xf32>} : tensor<2xf32>
    %r = tf.neg %a : (tensor<2xf32>) -> tensor<2xf32>
""", True),
])
def test_fold_constants_keeps_results_xdsl_would_misprint(body: str, folded: bool) -> None:
    text = _single(body, "tensor<2xf32>")
    after = run_passes(parse(text), ["fold-constants"])
    assert (body_ops(after) == ["tf.constant", "func.return"]) == folded
    assert_same_results(parse(text), after)
    if folded:  # and what was folded survives printing and parsing
        assert_same_results(parse(text), parse(str(after)))


def test_fold_constants_leaves_ops_numpy_rejects() -> None:
    module = run_passes(parse(_single("""
    %a = tf.iota : tensor<3xi32>
    %b = tf.constant {value = dense<-1> : tensor<i32>} : tensor<i32>
    %r = tf.pow %a, %b : (tensor<3xi32>, tensor<i32>) -> tensor<3xi32>
""", "tensor<3xi32>")), ["fold-constants"])
    assert body_ops(module) == ["tf.iota", "tf.constant", "tf.pow", "func.return"]


def test_fold_constants_leaves_ops_on_arguments() -> None:
    module = parse("""
builtin.module {
  func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {
    %a = tf.constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %r = tf.mul %x, %a : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
    func.return %r : tensor<3xf32>
  }
}
""")
    run_passes(module, ["fold-constants"])
    assert body_ops(module) == ["tf.constant", "tf.mul", "func.return"]


def test_dense_attr_round_trips_every_dtype() -> None:
    for dtype, values in [("i1", [True, False]), ("i32", [-(2**31), 7]), ("i64", [2**62, -1]),
                          ("f16", [65504.0, -0.0]), ("f32", [np.nan, -np.inf]), ("f64", [1e-310, 2.0])]:
        typ = builtin.TensorType(_elem(dtype), [2])
        array = np.array(values, dtype=numpy_dtype_of(typ))
        assert_same(constant_array(dense_attr(array, typ)), array)


def _elem(name: str) -> builtin.Attribute:
    return {"i1": builtin.i1, "i32": builtin.i32, "i64": builtin.i64, "f16": builtin.f16,
            "f32": builtin.f32, "f64": builtin.f64}[name]


# --- the whole `tf` stage ----------------------------------------------------------------


