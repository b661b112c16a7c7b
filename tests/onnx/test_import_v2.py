"""Importing the ONNX ops that need `.tf` version 2: control flow (`If`, `Loop`,
`Scan` as `if`, `for`, `while`), and the cases of the gathering, scattering,
pooling and padding ops that ONNX's node tests do not cover; results equal to
ONNX Runtime's, and index errors where ONNX Runtime has them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from graphs import check_against_ort, model, ort_run, tensor  # noqa: E402
from onnx import TensorProto as T  # noqa: E402
from onnx import helper, numpy_helper  # noqa: E402
from onnx.backend.test.loader import load_model_tests  # noqa: E402

import tfir  # noqa: E402
from tfir.onnx import OnnxError  # noqa: E402

F = T.FLOAT


def body(nodes: list[Any], inputs: list[Any], outputs: list[Any], inits: tuple[Any, ...] = ()) -> Any:
    return helper.make_graph(nodes, "body", inputs, outputs, list(inits))


def const(name: str, value: Any, dtype: Any = np.float32) -> Any:
    return numpy_helper.from_array(np.asarray(value, dtype), name)


def rnn_loop(trip: int | None) -> onnx.ModelProto:
    """h = tanh(x[i] @ w + h) for i < trip, each h stacked (a scan output)."""
    b = body([helper.make_node("Gather", ["x", "i"], ["row"], axis=0),
              helper.make_node("MatMul", ["row", "w"], ["xw"]),
              helper.make_node("Add", ["xw", "h_in"], ["pre"]),
              helper.make_node("Tanh", ["pre"], ["h_out"]),
              helper.make_node("Identity", ["cond_in"], ["cond_out"]),
              helper.make_node("Identity", ["h_out"], ["h_scan"])],
             [tensor("i", T.INT64, []), tensor("cond_in", T.BOOL, []), tensor("h_in", F, [3])],
             [tensor("cond_out", T.BOOL, []), tensor("h_out", F, [3]), tensor("h_scan", F, [3])])
    inputs = [tensor("x", F, [5, 3]), tensor("w", F, [3, 3]), tensor("h0", F, [3])]
    inits = [const("trip", trip, np.int64)] if trip is not None else []
    if trip is None:
        inputs.append(tensor("trip", T.INT64, []))
    loop = helper.make_node("Loop", ["trip", "", "h0"], ["h", "hs"], body=b)
    return model([loop], inputs, [tensor("h", F, [3]), tensor("hs", F, [None, 3])], tuple(inits))


def test_loop_with_a_trip_count_is_a_for_loop() -> None:
    m = rnn_loop(4)
    rng = np.random.default_rng(0)
    feeds = {"x": rng.standard_normal((5, 3)).astype(np.float32),
             "w": rng.standard_normal((3, 3)).astype(np.float32), "h0": np.zeros(3, np.float32)}
    check_against_ort(m, feeds)
    source = tfir.from_onnx(m).source
    assert "for step in range(4) {" in source and "scatter(hs, step, " in source


def test_loop_trip_count_from_an_input_specializes() -> None:
    m = rnn_loop(None)
    rng = np.random.default_rng(1)
    feeds = {"x": rng.standard_normal((5, 3)).astype(np.float32),
             "w": rng.standard_normal((3, 3)).astype(np.float32), "h0": np.ones(3, np.float32)}
    prog = tfir.from_onnx(m)
    for trip in (2, 5):
        want = ort_run(m, {**feeds, "trip": np.array(trip, np.int64)})
        got = prog(**feeds, trip=np.array(trip, np.int64))
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert prog.static_inputs == ["trip"]


def newton_loop() -> onnx.ModelProto:
    """x = (x + a / x) / 2 while max |x * x - a| > 1e-4 (the body computes the condition)."""
    b = body([helper.make_node("Div", ["a", "x_in"], ["q"]),
              helper.make_node("Add", ["x_in", "q"], ["s"]),
              helper.make_node("Mul", ["s", "half"], ["x_out"]),
              helper.make_node("Mul", ["x_out", "x_out"], ["sq"]),
              helper.make_node("Sub", ["sq", "a"], ["err"]),
              helper.make_node("Abs", ["err"], ["abs_err"]),
              helper.make_node("ReduceMax", ["abs_err"], ["worst"], keepdims=0),
              helper.make_node("Greater", ["worst", "tol"], ["cond_out"]),
              helper.make_node("Add", ["n_in", "one"], ["n_out"])],
             [tensor("i", T.INT64, []), tensor("cond_in", T.BOOL, []), tensor("x_in", F, [4]),
              tensor("n_in", T.INT32, [])],
             [tensor("cond_out", T.BOOL, []), tensor("x_out", F, [4]), tensor("n_out", T.INT32, [])],
             (const("half", 0.5), const("tol", 1e-4), const("one", 1, np.int32)))
    loop = helper.make_node("Loop", ["max", "go", "a", "zero"], ["x", "n"], body=b)
    return model([loop], [tensor("a", F, [4]), tensor("go", T.BOOL, [])],
                 [tensor("x", F, [4]), tensor("n", T.INT32, [])],
                 (const("max", 30, np.int64), const("zero", 0, np.int32)))


def test_loop_with_a_computed_condition_is_a_while_loop() -> None:
    m = newton_loop()
    a = np.array([2.0, 9.0, 0.25, 100.0], np.float32)
    for go in (True, False):
        check_against_ort(m, {"a": a, "go": np.array(go)})
    source = tfir.from_onnx(m).source
    assert "while logical_and(Loop_0_cond, Loop_0_iteration < 30) {" in source


def test_loop_that_may_stop_early_cannot_stack() -> None:
    b = body([helper.make_node("Identity", ["x_in"], ["x_out"]), helper.make_node("Identity", ["x_in"], ["y"]),
              helper.make_node("ReduceSum", ["x_in"], ["s"], keepdims=0),
              helper.make_node("Less", ["s", "lim"], ["cond_out"])],
             [tensor("i", T.INT64, []), tensor("c", T.BOOL, []), tensor("x_in", F, [2])],
             [tensor("cond_out", T.BOOL, []), tensor("x_out", F, [2]), tensor("y", F, [2])],
             (const("lim", 3.0),))
    m = model([helper.make_node("Loop", ["n", "", "x"], ["xf", "ys"], body=b, name="lp")],
              [tensor("x", F, [2])], [tensor("xf", F, [2]), tensor("ys", F, [None, 2])],
              (const("n", 4, np.int64),))
    with pytest.raises(OnnxError, match=r"node 'lp' \(Loop\): .*cannot have scan outputs"):
        tfir.from_onnx(m)


def test_loop_carried_value_that_changes_shape_is_named() -> None:
    b = body([helper.make_node("Concat", ["x_in", "x_in"], ["x_out"], axis=0)],
             [tensor("i", T.INT64, []), tensor("c", T.BOOL, []), tensor("x_in", F, [None])],
             [tensor("c", T.BOOL, []), tensor("x_out", F, [None])])
    m = model([helper.make_node("Loop", ["n", "", "x"], ["y"], body=b, name="grow")],
              [tensor("x", F, [2])], [tensor("y", F, [None])], (const("n", 2, np.int64),))
    with pytest.raises(OnnxError, match=r"node 'grow' \(Loop\): carried value 0 \('x_in'\) is f32\[2\] before"):
        tfir.from_onnx(m)


def if_model() -> onnx.ModelProto:
    then = body([helper.make_node("Mul", ["x", "x"], ["t"])], [], [tensor("t", F, [3])])
    other = body([helper.make_node("Neg", ["x"], ["e"])], [], [tensor("e", F, [3])])
    return model([helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
                  helper.make_node("Greater", ["s", "zero"], ["c"]),
                  helper.make_node("If", ["c"], ["y"], then_branch=then, else_branch=other)],
                 [tensor("x", F, [3])], [tensor("y", F, [3])], (const("zero", 0.0),))


def test_if_is_an_if() -> None:
    m = if_model()
    for x in ([1.0, 2.0, -0.5], [-1.0, -2.0, 0.5]):
        check_against_ort(m, {"x": np.array(x, np.float32)})
    source = tfir.from_onnx(m).source
    assert "if c {" in source and "} else {" in source


def test_if_on_a_constant_condition_is_inlined() -> None:
    m = if_model()
    m.graph.node[1].CopyFrom(helper.make_node("Constant", [], ["c"], value=const("v", True, np.bool_)))
    source = tfir.from_onnx(m).source
    assert "if " not in source and "neg(" not in source


def test_scan_with_reversed_input_and_output_axis() -> None:
    b = body([helper.make_node("Add", ["acc_in", "row"], ["acc_out"]),
              helper.make_node("Mul", ["acc_out", "two"], ["y"])],
             [tensor("acc_in", F, [2]), tensor("row", F, [2])],
             [tensor("acc_out", F, [2]), tensor("y", F, [2])], (const("two", 2.0),))
    scan = helper.make_node("Scan", ["acc0", "x"], ["acc", "ys"], body=b, num_scan_inputs=1,
                            scan_input_axes=[1], scan_input_directions=[1], scan_output_axes=[1],
                            scan_output_directions=[0])
    m = model([scan], [tensor("acc0", F, [2]), tensor("x", F, [2, 4])],
              [tensor("acc", F, [2]), tensor("ys", F, [2, 4])])
    rng = np.random.default_rng(2)
    check_against_ort(m, {"acc0": np.ones(2, np.float32), "x": rng.standard_normal((2, 4)).astype(np.float32)})


@pytest.mark.parametrize("name", ["test_if", "test_loop11", "test_scan9_sum", "test_scan9_multi_state"])
def test_older_control_flow_node_tests_converted_to_opset_13(name: str) -> None:
    """ONNX's node tests of If, Loop and Scan are opset 9 to 11, which the importer
    refuses; converted to opset 13 (same semantics) they run."""
    case = next(c for c in load_model_tests(kind="node") if c.name == name)
    m = onnx.version_converter.convert_version(case.model, 13)
    if name == "test_loop11":  # its body slices at a position computed from the iteration
        with pytest.raises(OnnxError, match="starts .* must be a constant"):
            tfir.from_onnx(m)(*case.data_sets[0][0])
        return
    for target in ("eager", "numpy"):
        prog = tfir.from_onnx(m, target=target)
        for inputs, outputs in case.data_sets:
            got = prog(*inputs)
            got = got if isinstance(got, tuple) else (got,)
            for g, w in zip(got, outputs, strict=True):
                np.testing.assert_allclose(g, w, rtol=1e-6)


# -- indexing cases the node tests do not cover ---------------------------------------


def test_gather_out_of_range_is_an_error_as_in_onnx_runtime() -> None:
    m = model([helper.make_node("Gather", ["x", "i"], ["y"], axis=1)],
              [tensor("x", F, [2, 5]), tensor("i", T.INT64, [3])], [tensor("y", F, [2, 3])])
    x = np.arange(10, dtype=np.float32).reshape(2, 5)
    check_against_ort(m, {"x": x, "i": np.array([-5, 4, -1])})
    with pytest.raises(Exception, match="out of data bounds"):
        ort_run(m, {"x": x, "i": np.array([0, 5, 1])})
    for target in ("eager", "numpy"):
        with pytest.raises(tfir.ExecutionError, match="take: index 5 is out of range for axis 1 of size 5"):
            tfir.from_onnx(m, target=target)(x, np.array([0, 5, 1]))


def scatter_elements(reduction: str) -> onnx.ModelProto:
    return model([helper.make_node("ScatterElements", ["x", "i", "u"], ["y"], axis=1, reduction=reduction)],
                 [tensor("x", F, [3, 4]), tensor("i", T.INT64, [2, 3]), tensor("u", F, [2, 3])],
                 [tensor("y", F, [3, 4])])


@pytest.mark.parametrize("reduction", ["none", "add"])
def test_scatter_elements_negative_duplicate_and_out_of_range(reduction: str) -> None:
    rng = np.random.default_rng(3)
    x, u = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((2, 3)).astype(np.float32)
    idx = np.array([[0, -1, 2], [-4, 1, 3]]) if reduction == "none" else np.array([[0, -1, 3], [3, 3, -4]])
    check_against_ort(scatter_elements(reduction), {"x": x, "i": idx, "u": u})
    bad = np.array([[0, 1, 2], [4, 1, 3]])
    with pytest.raises(tfir.ExecutionError, match="index 4 is out of range"):
        tfir.from_onnx(scatter_elements(reduction))(x, bad, u)


def test_scatter_nd_and_gather_nd_with_batch_dims() -> None:
    rng = np.random.default_rng(4)
    data = rng.standard_normal((2, 3, 4)).astype(np.float32)
    m = model([helper.make_node("ScatterND", ["x", "i", "u"], ["y"], reduction="add")],
              [tensor("x", F, [2, 3, 4]), tensor("i", T.INT64, [3, 2]), tensor("u", F, [3, 4])],
              [tensor("y", F, [2, 3, 4])])
    check_against_ort(m, {"x": data, "i": np.array([[0, 1], [-1, -1], [0, 1]]),
                          "u": rng.standard_normal((3, 4)).astype(np.float32)})
    m = model([helper.make_node("GatherND", ["x", "i"], ["y"], batch_dims=1)],
              [tensor("x", F, [2, 3, 4]), tensor("i", T.INT64, [2, 2, 1])], [tensor("y", F, [2, 2, 4])])
    check_against_ort(m, {"x": data, "i": np.array([[[2], [0]], [[-1], [1]]])})


def test_one_hot_negative_depth_indices_and_axis() -> None:
    m = model([helper.make_node("OneHot", ["i", "depth", "values"], ["y"], axis=0)],
              [tensor("i", T.INT64, [4])], [tensor("y", F, [5, 4])],
              (const("depth", 5, np.int64), const("values", [-1.0, 3.0])))
    check_against_ort(m, {"i": np.array([0, -1, 7, -6], np.int64)})


def test_loss_label_out_of_range_is_an_error() -> None:
    m = model([helper.make_node("SoftmaxCrossEntropyLoss", ["s", "l"], ["loss"], reduction="sum")],
              [tensor("s", F, [3, 4]), tensor("l", T.INT64, [3])], [tensor("loss", F, [])])
    s = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    check_against_ort(m, {"s": s, "l": np.array([0, 3, 1])})
    for labels in ([0, -1, 1], [0, 4, 1]):
        with pytest.raises(tfir.ExecutionError, match="out of range"):
            tfir.from_onnx(m)(s, np.array(labels))


@pytest.mark.parametrize(("mode", "pads"), [("constant", [1, -1, 0, 2]), ("edge", [2, 1, 1, 3]),
                                            ("reflect", [2, 0, 1, 2]), ("wrap", [1, 2, 3, 0])])
def test_pad_modes_and_negative_pads(mode: str, pads: list[int]) -> None:
    m = model([helper.make_node("Pad", ["x", "p"], ["y"], mode=mode)],
              [tensor("x", F, [3, 4])], [tensor("y", F, None)], (const("p", pads, np.int64),))
    check_against_ort(m, {"x": np.arange(12, dtype=np.float32).reshape(3, 4)})


@pytest.mark.parametrize("attrs", [
    {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
    {"kernel_shape": [2, 3], "strides": [2, 1], "pads": [0, 1, 1, 0], "ceil_mode": 1},
    {"kernel_shape": [3, 3], "dilations": [2, 1], "pads": [2, 1, 1, 0]},
    {"kernel_shape": [2, 3], "strides": [2, 1], "auto_pad": "SAME_LOWER"},
], ids=["builtin", "asymmetric-ceil", "dilated", "same-lower"])
@pytest.mark.parametrize("op", ["MaxPool", "AveragePool", "AveragePool-counted"])
def test_pooling_variants(op: str, attrs: dict[str, Any]) -> None:
    extra = {"count_include_pad": 1} if op.endswith("counted") else {}
    node = helper.make_node(op.split("-")[0], ["x"], ["y"], **attrs, **extra)
    if "dilations" in attrs and op.startswith("Average"):
        pytest.skip("ONNX Runtime's AveragePool has no dilations")
    m = model([node], [tensor("x", F, [1, 2, 7, 6])], [tensor("y", F, None)], opset=19)
    check_against_ort(m, {"x": np.random.default_rng(6).standard_normal((1, 2, 7, 6)).astype(np.float32)})
