"""`tfir.to_onnx`: every v1 conformance program (and the programs beside this
file) written as ONNX, checked by onnx.checker, run by ONNX Runtime with
results equal to tfir's eager target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from shared_cases import CONFORMANCE, conformance_cases  # noqa: E402

import tfir  # noqa: E402
from tfir.onnx import OnnxError, to_onnx  # noqa: E402

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("*.tf"))
CASES = conformance_cases()


def random_inputs(path: Path, entry: str, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Arrays for an entry's tensor parameters, integer divisors nonzero."""
    fn = tfir.compile_file(path, target="eager")[entry].fn
    out = {}
    for p in fn.params:
        shape = tuple(d if isinstance(d, int) else 3 for d in p.type.dims)
        if p.type.dtype in ("i32", "i64"):
            a = rng.integers(-9, 10, shape)
            out[p.name] = np.where(a == 0, 7, a).astype(np.int32 if p.type.dtype == "i32" else np.int64)
        else:
            out[p.name] = rng.standard_normal(shape).astype({"f16": np.float16, "f32": np.float32,
                                                               "f64": np.float64}[p.type.dtype])
    return out


def check_round_trip(path: Path, entry: str, inputs: dict[str, Any], tmp_path: Path) -> None:
    expected = tfir.compile_file(path, target="eager")[entry](**inputs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    out = tmp_path / "model.onnx"
    model = to_onnx(path, entry, out, inputs=inputs)
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
    assert model.opset_import[0].version >= 17
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    feeds = {i.name: np.asarray(inputs[i.name]) for i in session.get_inputs()}
    got = session.run(None, feeds)
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g.dtype == e.dtype and g.shape == e.shape, (i, g.dtype, e.dtype, g.shape, e.shape)
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6, err_msg=f"result {i}")


@pytest.mark.skipif(not CASES, reason="../shared/conformance is not here")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_conformance_round_trip(case: Any, tmp_path: Path) -> None:
    inputs = case.inputs(np.random.default_rng(case.seed))
    check_round_trip(CONFORMANCE / "programs" / case.file, case.entry, inputs, tmp_path)


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_program_round_trip(path: Path, tmp_path: Path) -> None:
    check_round_trip(path, "main", random_inputs(path, "main", np.random.default_rng(1)), tmp_path)


def test_symbolic_dims_take_the_given_sizes(tmp_path: Path) -> None:
    src = "fn f(x: f32[B, 3]) -> f32[B] { return sum(x * x, axis=1); }"
    model = to_onnx(src, "f", dims={"B": 5})
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [5, 3]


def test_custom_op_is_a_clear_error() -> None:
    from tfir.onnx.exporter import Exporter

    class FakeOp:  # an op of another dialect, as a plugin would add
        name = "mylib.swish"
        operands: list[Any] = []
        results: list[Any] = []
        location = None

    with pytest.raises(OnnxError, match="mylib.swish.*cannot be expressed in ONNX"):
        Exporter(None, lambda op: "")._shape_op(FakeOp(), [], "")
