"""ONNX's own backend node tests (`onnx.backend.test.BackendTest`) on tfir's
numpy and eager targets: every test that `node_cases.skip_reason` does not
skip must pass, and every test in `EXPECTED_ERRORS` must be a clear OnnxError.

The cases are generated in memory by the onnx package (no download, no files).
"""

from __future__ import annotations

import unittest
from typing import Any

import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from node_cases import EXPECTED_ERRORS, skip_reason, unknown_ops  # noqa: E402
from onnx.backend.test import BackendTest  # noqa: E402
from onnx.backend.test.loader import load_model_tests  # noqa: E402

from tfir.onnx.backend import TfirBackend, TfirEagerBackend  # noqa: E402
from tfir.onnx.model import OnnxError  # noqa: E402

CASES = {c.name: c for c in load_model_tests(kind="node")}


def _expect_error(backend: type[TfirBackend], case: Any, why: str) -> Any:
    def test(self: unittest.TestCase) -> None:
        with self.assertRaises(OnnxError, msg=why):
            rep = backend.prepare(case.model, "CPU")
            for inputs, _ in case.data_sets:  # a program specialized on input values imports here
                rep.run([onnx.numpy_helper.to_array(i) if isinstance(i, onnx.TensorProto) else i
                         for i in inputs])
    return test


def node_tests(backend: type[TfirBackend]) -> type[unittest.TestCase]:
    """The node tests of BackendTest on `backend` (CPU only), with tfir's skips applied."""
    cls = BackendTest(backend, __name__).test_cases["OnnxBackendNodeModelTest"]
    for attr in list(vars(cls)):
        if not attr.startswith("test_"):
            continue
        if attr.endswith("_cuda"):
            delattr(cls, attr)
            continue
        name = attr.removesuffix("_cpu")
        case = CASES[name]
        reason = skip_reason(case)
        if reason is not None:
            setattr(cls, attr, unittest.skip(reason)(getattr(cls, attr)))
        elif name in EXPECTED_ERRORS:
            setattr(cls, attr, _expect_error(backend, case, EXPECTED_ERRORS[name]))
    return cls


TestOnnxNodeNumpy = node_tests(TfirBackend)
TestOnnxNodeEager = node_tests(TfirEagerBackend)


def test_every_op_is_classified() -> None:
    """Each op of the node tests is supported, pending a v2 builtin, or unsupported with a reason."""
    assert unknown_ops(list(CASES.values())) == set()


def test_expected_errors_are_node_tests() -> None:
    assert set(EXPECTED_ERRORS) <= set(CASES)


def test_pass_count_goal() -> None:
    """At least 500 node tests run (neither skipped nor expected errors)."""
    run = [n for n, c in CASES.items() if skip_reason(c) is None and n not in EXPECTED_ERRORS]
    assert len(run) >= 500, len(run)
