"""Building small ONNX models and checking tfir's import of them against ONNX
Runtime (importable by name from the tests beside this file)."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

import tfir


def model(nodes: list[Any], inputs: list[Any], outputs: list[Any], inits: tuple[Any, ...] = (),
          opset: int = 18, name: str = "g") -> onnx.ModelProto:
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 10
    return m


def tensor(name: str, elem: int, shape: list[Any]) -> Any:
    return helper.make_tensor_value_info(name, elem, shape)


def ort_run(m: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    return ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)


def check_against_ort(m: onnx.ModelProto, feeds: dict[str, np.ndarray], targets: tuple[str, ...] = ("eager", "numpy")) -> None:
    want = ort_run(m, feeds)
    for target in targets:
        got = tfir.from_onnx(m, target=target).run(feeds)
        for w, (name, g) in zip(want, got.items(), strict=True):
            assert g.dtype == w.dtype and g.shape == w.shape, (target, name, g.dtype, w.dtype, g.shape, w.shape)
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=f"{target}: {name}")
