"""inline-calls: calls inlined with their locations, private functions erased,
recursion rejected."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import func
from xdsl.utils.exceptions import PassFailedException

from tests.support.tf_stage import assert_same_results, body_ops, parse, run_passes, with_locations
from tfir.pipeline import make_context, pass_class
from tfir.testing.differential import tf_module

CALLS = """
builtin.module {
  func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
    %0 = func.call @f(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("m.tf":10:13)
    %1 = func.call @f(%0, %a) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("m.tf":11:13)
    %2, %3 = func.call @pair(%1) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) loc("m.tf":12:13)
    func.return %2, %3 : tensor<4xf32>, tensor<4xf32> loc("m.tf":13:5)
  } loc("m.tf":9:1)
  func.func private @f(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
    %0 = func.call @g(%x) : (tensor<4xf32>) -> tensor<4xf32> loc("m.tf":2:12)
    %1 = tf.mul %0, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("m.tf":2:12)
    func.return %1 : tensor<4xf32> loc("m.tf":2:5)
  } loc("m.tf":1:1)
  func.func private @g(%x: tensor<4xf32>) -> tensor<4xf32> {
    %0 = tf.exp %x : (tensor<4xf32>) -> tensor<4xf32> loc("m.tf":5:12)
    func.return %0 : tensor<4xf32> loc("m.tf":5:5)
  } loc("m.tf":4:1)
  func.func private @pair(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
    %0 = tf.neg %x : (tensor<4xf32>) -> tensor<4xf32> loc("m.tf":7:12)
    func.return %x, %0 : tensor<4xf32>, tensor<4xf32> loc("m.tf":7:5)
  } loc("m.tf":6:1)
  func.func private @unused(%x: tensor<4xf32>) -> tensor<4xf32> {
    func.return %x : tensor<4xf32>
  }
}
"""


def test_inline_calls_flattens_chains_and_erases_private_functions() -> None:
    before = parse(CALLS)
    after = run_passes(parse(CALLS), ["inline-calls"])
    assert [f.sym_name.data for f in after.ops] == ["main"]
    assert body_ops(after) == ["tf.exp", "tf.mul", "tf.exp", "tf.mul", "tf.neg", "func.return"]
    assert_same_results(before, after)


def test_inlined_ops_keep_their_own_locations() -> None:
    text = with_locations(run_passes(parse(CALLS), ["inline-calls"]))
    assert text.count('tf.exp') == 2 and text.count('loc("m.tf":5:12)') == 2
    assert text.count('loc("m.tf":2:12)') == 2  # the two tf.mul
    assert 'tf.neg %' in text and 'loc("m.tf":7:12)' in text
    assert 'func.return' in text and 'loc("m.tf":13:5)' in text
    assert "func.call" not in text


def test_inline_calls_keeps_called_entries_and_declarations() -> None:
    module = parse("""
builtin.module {
  func.func @main(%a: tensor<f32>) -> tensor<f32> {
    %0 = func.call @other(%a) : (tensor<f32>) -> tensor<f32>
    %1 = func.call @ext(%0) : (tensor<f32>) -> tensor<f32>
    func.return %1 : tensor<f32>
  }
  func.func @other(%x: tensor<f32>) -> tensor<f32> {
    %0 = tf.sin %x : (tensor<f32>) -> tensor<f32>
    func.return %0 : tensor<f32>
  }
  func.func private @ext(tensor<f32>) -> tensor<f32>
}
""")
    run_passes(module, ["inline-calls"])
    assert [f.sym_name.data for f in module.ops] == ["main", "other", "ext"]
    assert body_ops(module) == ["tf.sin", "func.call", "func.return"]


def test_inline_calls_rejects_recursion() -> None:
    module = parse("""
builtin.module {
  func.func @main(%a: tensor<f32>) -> tensor<f32> {
    %0 = func.call @f(%a) : (tensor<f32>) -> tensor<f32>
    func.return %0 : tensor<f32>
  }
  func.func private @f(%x: tensor<f32>) -> tensor<f32> {
    %0 = func.call @f(%x) : (tensor<f32>) -> tensor<f32>
    func.return %0 : tensor<f32>
  }
}
""")
    with pytest.raises(PassFailedException, match="recursive calls f -> f"):
        run_passes(module, ["inline-calls"])


# -- issue 13 ----------------------------------------------------------------------
# `inline-calls` walks call chains with a loop: a chain of a thousand
# functions inlines (it raised RecursionError), cycles still fail the pass.


def test_a_chain_of_a_thousand_functions_inlines() -> None:
    chain = "".join(f"fn c{i}(a) {{ return c{i + 1}(a) + 1.0; }}\n" for i in range(1000))
    source = chain + "fn c1000(a) { return a; }\nfn main(x: f32[2]) {\n    return c0(x);\n}\n"
    module, _ = tf_module(source, "main", {"x": np.zeros(2, np.float32)})
    pass_class("inline-calls")().apply(make_context(), module)
    module.verify()
    fns = [op for op in module.ops if isinstance(op, func.FuncOp)]
    assert [f.sym_name.data for f in fns] == ["main"]
    assert not any(isinstance(op, func.CallOp) for op in module.walk())
    assert sum(op.name == "tf.add" for op in module.walk()) == 1000


def test_a_cycle_fails_the_pass() -> None:
    from xdsl.parser import Parser
    from xdsl.utils.exceptions import PassFailedException

    text = """builtin.module {
  func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {
    %0 = func.call @f(%x) : (tensor<2xf32>) -> tensor<2xf32>
    func.return %0 : tensor<2xf32>
  }
  func.func private @f(%a: tensor<2xf32>) -> tensor<2xf32> {
    %0 = func.call @g(%a) : (tensor<2xf32>) -> tensor<2xf32>
    func.return %0 : tensor<2xf32>
  }
  func.func private @g(%a: tensor<2xf32>) -> tensor<2xf32> {
    %0 = func.call @f(%a) : (tensor<2xf32>) -> tensor<2xf32>
    func.return %0 : tensor<2xf32>
  }
}"""
    module = Parser(make_context(), text).parse_module()
    with pytest.raises(PassFailedException, match="recursive calls f -> g -> f"):
        pass_class("inline-calls")().apply(make_context(), module)
