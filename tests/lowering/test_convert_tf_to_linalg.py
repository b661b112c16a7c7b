"""`convert-tf-to-linalg` of negative-step slices (issue 13): the elements
are taken in increasing order with `tensor.extract_slice`, then a generic
reverses them; no generic reads the whole operand, so every loop has one
size and upstream MLIR's verifier holds."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import tensor
from xdsl.dialects.linalg.ops import GenericOp

from tfir.pipeline import make_context, pass_class
from tfir.testing import linalg_interp
from tfir.testing.differential import tf_module


def _lower(source: str, inputs: dict[str, np.ndarray]):
    module, tensors = tf_module(source, "main", inputs)
    pass_class("convert-tf-to-linalg")().apply(make_context(), module)
    module.verify()
    return module, tensors


@pytest.mark.parametrize(("index", "shape"), [
    ("[-2, -1::-1]", (2, 1)), ("[0, 0::-2]", (3, 8, 4)), ("[1:, ::-2, :]", (3, 8, 4)),
    ("[::-1, 1:3]", (4, 5)), ("[3:0:-2]", (5,)), ("[::-3, ::-1, 0]", (7, 2, 3)),
])
def test_negative_steps_lower_to_extract_slice_and_a_reversing_generic(index: str, shape: tuple) -> None:
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    module, tensors = _lower(f"fn main(x: f32[{', '.join(map(str, shape))}]) {{\n    return x{index};\n}}\n",
                             {"x": x})
    for g in [op for op in module.walk() if isinstance(op, GenericOp)]:
        # it reads the extracted elements only (its input has its output's shape), reversed
        assert all(isinstance(v.owner, tensor.ExtractSliceOp) or v.type == g.outputs[0].type
                   for v in g.inputs)
        assert all(v.type.get_shape() == g.outputs[0].type.get_shape() for v in g.inputs)
    want = eval(f"x{index}")  # the same basic indexing in NumPy
    got = linalg_interp.run(module, "main", *tensors)[0]
    np.testing.assert_array_equal(np.asarray(got).reshape(want.shape), want)
