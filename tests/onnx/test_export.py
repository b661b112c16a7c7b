"""`tfir.to_onnx`: every v1 conformance program, every v2 one whose ops ONNX
can express (and the programs beside this file) written as ONNX, checked by
onnx.checker, run by ONNX Runtime with results equal to tfir's eager target;
where eager raises `ExecutionError` (an index out of range), ONNX Runtime
raises too."""

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
V2_CASES = conformance_cases("v2")
# v2 cases that cannot be exported, and the clear error that says so.
NOT_EXPORTABLE = {
    "v2_random": "tf.random_uniform.*cannot be expressed in ONNX",
    "v2_random_other_seed": "tf.random_uniform.*cannot be expressed in ONNX",
}


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


def export(path: Path, entry: str, inputs: dict[str, Any], tmp_path: Path) -> Any:
    """An ONNX Runtime session of the exported entry (the model checked first)."""
    out = tmp_path / "model.onnx"
    model = to_onnx(path, entry, out, inputs=inputs)
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
    assert model.opset_import[0].version >= 17
    return ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])


def check_round_trip(path: Path, entry: str, inputs: dict[str, Any], tmp_path: Path) -> None:
    expected = tfir.compile_file(path, target="eager")[entry](**inputs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    session = export(path, entry, inputs, tmp_path)
    feeds = {i.name: np.asarray(inputs[i.name]) for i in session.get_inputs()}
    got = session.run(None, feeds)
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g.dtype == e.dtype and g.shape == e.shape, (i, g.dtype, e.dtype, g.shape, e.shape)
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6, err_msg=f"result {i}")


def check_both_raise(path: Path, entry: str, inputs: dict[str, Any], tmp_path: Path) -> None:
    """An index out of range: tfir raises ExecutionError, and ONNX Runtime's own check raises."""
    with pytest.raises(tfir.ExecutionError):
        tfir.compile_file(path, target="eager")[entry](**inputs)
    session = export(path, entry, inputs, tmp_path)
    with pytest.raises(Exception, match="out of data bounds|Out of range"):  # InvalidArgument or Fail
        session.run(None, {i.name: np.asarray(inputs[i.name]) for i in session.get_inputs()})


@pytest.mark.skipif(not CASES, reason="../shared/conformance is not here")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_conformance_round_trip(case: Any, tmp_path: Path) -> None:
    inputs = case.inputs(np.random.default_rng(case.seed))
    check_round_trip(CONFORMANCE / "programs" / case.file, case.entry, inputs, tmp_path)


@pytest.mark.skipif(not V2_CASES, reason="../shared/conformance/v2 is not here")
@pytest.mark.parametrize("case", V2_CASES, ids=lambda c: c.name)
def test_v2_conformance_round_trip(case: Any, tmp_path: Path) -> None:
    path = CONFORMANCE / "v2" / "programs" / case.file
    if case.raises not in (None, "ExecutionError"):
        pytest.skip(f"the case expects {case.raises} from the compiler, not a result")
    try:
        tfir.compile_file(path, target="eager")
    except tfir.CompileError as err:
        pytest.skip(f"this tfir does not compile it: {str(err).splitlines()[0]}")
    inputs = case.inputs(np.random.default_rng(case.seed))
    if case.name in NOT_EXPORTABLE:
        with pytest.raises(OnnxError, match=NOT_EXPORTABLE[case.name]):
            to_onnx(path, case.entry, inputs=inputs)
    elif case.raises == "ExecutionError":
        check_both_raise(path, case.entry, inputs, tmp_path)
    else:
        check_round_trip(path, case.entry, inputs, tmp_path)


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_program_round_trip(path: Path, tmp_path: Path) -> None:
    check_round_trip(path, "main", random_inputs(path, "main", np.random.default_rng(1)), tmp_path)


@pytest.mark.parametrize(("source", "inputs"), [
    ("fn f(x: f32[5, 3], i: i32[2]) -> f32[2, 3] { return take(x, i, axis=0); }", {"i": [1, 5]}),
    ("fn f(x: f32[5, 3], i: i32[2]) -> f32[2, 3] { return x[i]; }", {"i": [-6, 0]}),
    ("fn f(x: f32[5], i: i32[2]) -> f32[5] { return scatter_add(x, i, ones([2])); }", {"i": [0, 7]}),
    ("fn f(x: f32[3, 4], i: i64[3, 1]) -> f32[3, 1] { return take_along_axis(x, i, axis=1); }",
     {"i": [[0], [4], [1]]}),
    ("fn f(x: f32[3, 4], l: i32[3]) -> f32 { return cross_entropy(x, l); }", {"l": [0, -1, 2]}),
    ("fn f(x: f32[3, 4], l: i32[3]) -> f32 { return cross_entropy(x, l); }", {"l": [0, 4, 2]}),
    ("fn f(x: f32[4], i: i32[3]) -> f32 { let s = full([], 0.0); for t in range(3) { let s = s + x[i[t]]; } "
     "return s; }", {"i": [0, 1, 4]}),
], ids=["take", "index-negative", "scatter_add", "take_along_axis", "label-negative", "label-high", "in-loop"])
def test_out_of_range_indices_raise_in_both(source: str, inputs: dict[str, Any], tmp_path: Path) -> None:
    """tfir's index checks have no ONNX op: the exported model relies on ONNX Runtime's
    checks of Gather, GatherElements and ScatterElements, which reject the same indices
    (a negative label first made out of range)."""
    path = tmp_path / "f.tf"
    path.write_text(source + "\n")
    fn = tfir.compile_file(path, target="eager")["f"].fn
    arrays = {}
    for p in fn.params:
        dtype = {"f32": np.float32, "i32": np.int32, "i64": np.int64}[p.type.dtype]
        value = inputs.get(p.name)
        arrays[p.name] = (np.asarray(value, dtype) if value is not None
                          else np.random.default_rng(0).standard_normal(p.type.dims).astype(dtype))
    check_both_raise(path, "f", arrays, tmp_path)


def test_random_numbers_are_a_clear_error() -> None:
    src = "fn f(s: i32) -> f32[3] { return random_uniform(s, [3]); }"
    with pytest.raises(OnnxError, match="tf.random_uniform.*cannot be expressed in ONNX"):
        to_onnx(src, "f", inputs={"s": np.array(1, np.int32)})


def test_control_flow_is_onnx_control_flow(tmp_path: Path) -> None:
    """Loops and branches stay loops and branches (never unrolled): one Loop per `for`
    and `while`, one If per runtime `if`, whatever the trip count."""
    path = Path(__file__).parent / "programs" / "v2_control.tf"
    model = to_onnx(path, "main", dims={})
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("Loop") == 3 and ops.count("If") == 1, ops
    src = "fn f(x: f32[4]) -> f32[4] { let y = x; for i in range(100000) { let y = y * 0.5 + x; } return y; }"
    model = to_onnx(src, "f")
    loops = [n for n in model.graph.node if n.op_type == "Loop"]
    assert len(loops) == 1 and len(model.graph.node) < 10


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
