"""The `tf` IR the frontend generates: it verifies, round-trips through
xDSL's printer and parser, carries locations, and matches golden checks."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects.builtin import FileLineColLoc
from xdsl.printer import Printer

import tfir
from tests.support.common import CONFORMANCE_PROGRAMS, EXAMPLES, filecheck, parse_ir
from tfir.cli import random_inputs


def tf_module(path, dims=None):
    prog = tfir.compile_file(path, target="eager")
    name = prog.entries[-1]
    if path.name == "lib_activations.tf":
        pytest.skip("a library of generic functions, no entry")
    fn = prog[name]
    inputs = random_inputs(fn.fn, {}, dims or {"B": 2, "T": 3, "D": 4, "H": 5}, 0)
    arrays, statics = fn.bind_inputs((), inputs)
    return fn.specialize(arrays, statics).tf_module


@pytest.mark.parametrize("path", EXAMPLES + CONFORMANCE_PROGRAMS, ids=lambda p: p.name)
def test_ir_verifies_and_round_trips(path) -> None:
    module = tf_module(path)
    module.verify()
    text = str(module)
    again = parse_ir(text)
    again.verify()
    assert again.is_structurally_equivalent(module)
    assert str(again) == text


@pytest.mark.parametrize("path", EXAMPLES + CONFORMANCE_PROGRAMS, ids=lambda p: p.name)
def test_every_op_has_a_source_location(path) -> None:
    module = tf_module(path)
    for op in module.walk():
        if op is module:
            continue
        assert isinstance(op.location, FileLineColLoc), op.name
        assert op.location.line.data >= 1


def test_golden_mlp() -> None:
    module = tf_module(EXAMPLES[[p.name for p in EXAMPLES].index("mlp.tf")])
    filecheck(str(module), """
CHECK:      func.func @mlp(%x: tensor<32x784xf32>, %w1: tensor<784x128xf32>, %b1: tensor<128xf32>, %w2: tensor<128x10xf32>, %b2: tensor<10xf32>) -> tensor<32x10xf32>
CHECK:        tf.constant {value = dense<5.000000e-02> : tensor<f32>} : tensor<f32>
CHECK-NEXT:   tf.mul %w1, %{{.*}} : (tensor<784x128xf32>, tensor<f32>) -> tensor<784x128xf32>
CHECK-NEXT:   func.call @dense(%x, %{{.*}}, %b1)
CHECK-NEXT:   %h = tf.relu
CHECK:        func.call @softmax
CHECK:      func.func private @dense(%x: tensor<32x784xf32>, %w: tensor<784x128xf32>, %b: tensor<128xf32>) -> tensor<32x128xf32>
CHECK-NEXT:   tf.matmul %x, %w : (tensor<32x784xf32>, tensor<784x128xf32>) -> tensor<32x128xf32>
CHECK-NEXT:   tf.add
CHECK:      func.func private @softmax(%x: tensor<32x10xf32>) -> tensor<32x10xf32>
CHECK-NEXT:   tf.max %x {axes = array<i64: 1>, keepdims = true} : (tensor<32x10xf32>) -> tensor<32x1xf32>
CHECK-NEXT:   tf.sub
CHECK-NEXT:   %e = tf.exp
CHECK-NEXT:   tf.sum %e {axes = array<i64: 1>, keepdims = true}
CHECK-NEXT:   tf.div %e,
""")


def test_golden_slicing_and_literals() -> None:
    src = """fn main(x: f32[5, 6]) -> (f32[3], f32[2, 6], i32[3]) {
    return x[-1, ::2], x[4:1:-2] * (2.0 * 3.0), arange(3) * 2;
}"""
    prog = tfir.compile_source(src, filename="s.tf", target="eager")
    module = prog.main.specialize({"x": np.zeros((5, 6), np.float32)}, {}).tf_module
    filecheck(str(module), """
CHECK: tf.slice %x {start = array<i64: 4, 0>, stride = array<i64: 1, 2>} : (tensor<5x6xf32>) -> tensor<1x3xf32>
CHECK: tf.reshape %{{.*}} : (tensor<1x3xf32>) -> tensor<3xf32>
CHECK: tf.slice %x {start = array<i64: 4, 0>, stride = array<i64: -2, 1>} : (tensor<5x6xf32>) -> tensor<2x6xf32>
CHECK: tf.constant {value = dense<6.000000e+00> : tensor<f32>}
CHECK: tf.iota : tensor<3xi32>
CHECK: tf.constant {value = dense<2> : tensor<i32>}
""")


def test_generic_function_is_specialized_per_signature() -> None:
    src = """fn twice(x) { return x + x; }
fn main(a: f32[3], b: i64[2, 2]) -> (f32[3], i64[2, 2], f32[3]) {
    return twice(a), twice(b), twice(a * 2.0);
}"""
    prog = tfir.compile_source(src, filename="g.tf", target="eager")
    module = prog.main.specialize({"a": np.zeros(3, np.float32), "b": np.zeros((2, 2), np.int64)}, {}).tf_module
    names = [op.sym_name.data for op in module.ops]
    assert names == ["main", "twice", "twice_1"]


def test_printed_ir_uses_source_names() -> None:
    out = str(tf_module(EXAMPLES[[p.name for p in EXAMPLES].index("gru.tf")]))
    for name in ("%z", "%r", "%n", "%x", "%h"):
        assert name in out
    assert Printer  # the printer is xDSL's own
