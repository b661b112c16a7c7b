"""`inline-calls` walks call chains with a loop: a chain of a thousand
functions inlines (it raised RecursionError), cycles still fail the pass."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import func

from tfir.pipeline import make_context, pass_class
from tfir.testing.differential import tf_module


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
