"""`canonicalize-tf`: `select(c, 1, 0)` of integers is not `c` (1 == True in
Python made the rewrite of boolean selects apply to integers, issue 13)."""

from __future__ import annotations

import numpy as np
import pytest

from tfir.dialects import tf
from tfir.pipeline import make_context, pass_class
from tfir.testing.differential import tf_module


@pytest.mark.parametrize(("values", "dtype", "kept"), [("1, 0", "i32", True), ("0, 1", "i64", True),
                                                        ("1.0, 0.0", "f32", True), ("true, false", "bool", False)])
def test_select_of_constants(values: str, dtype: str, kept: bool) -> None:
    cast = "" if dtype in ("i32", "bool", "f32") else f", {dtype}"
    body = f"where(a > b, {values})" if not cast else f"cast(where(a > b, {values}), {dtype})"
    module, _ = tf_module(f"fn main(a: f32[3], b: f32[3]) {{\n    return {body};\n}}\n", "main",
                          {"a": np.ones(3, np.float32), "b": np.zeros(3, np.float32)})
    pass_class("canonicalize-tf")().apply(make_context(), module)
    module.verify()
    assert any(isinstance(op, tf.SelectOp) for op in module.walk()) == kept
