"""`tfir.from_onnx` and `tfir import-onnx`: the `.tf` they write, and results
equal to ONNX Runtime's for the ops whose ONNX semantics differ from `.tf`'s
(integer Div, Slice bounds, Reshape's 0 and -1, Gemm's attributes, ...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from graphs import check_against_ort, model, ort_run, tensor  # noqa: E402
from onnx import TensorProto as T  # noqa: E402
from onnx import helper, numpy_helper  # noqa: E402

import tfir  # noqa: E402
from tfir.cli import main as cli_main  # noqa: E402
from tfir.onnx import OnnxError  # noqa: E402


def test_source_is_readable() -> None:
    w = numpy_helper.from_array(np.arange(8, dtype=np.float32).reshape(4, 2), "fc.weight")
    m = model([helper.make_node("MatMul", ["input:0", "fc.weight"], ["/fc/MatMul_output_0"], name="/fc/MatMul"),
               helper.make_node("Relu", ["/fc/MatMul_output_0"], ["out"], name="/act/Relu")],
              [tensor("input:0", T.FLOAT, ["batch", 4])], [tensor("out", T.FLOAT, ["batch", 2])], [w])
    src = tfir.onnx.import_source(m).source
    assert "fn g(\n    input_0: f32[batch, 4]\n) -> f32[batch, 2] {" in src
    assert "let fc_MatMul_output_0 = input_0 @ fc_weight;  # onnx: /fc/MatMul (MatMul)" in src
    assert "let out = relu(fc_MatMul_output_0);  # onnx: /act/Relu (Relu)" in src
    assert "let fc_weight = [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]];  # onnx: initializer 'fc.weight'" in src
    prog = tfir.from_onnx(m)
    for batch in (1, 3):  # the symbolic dim is bound per call
        x = np.random.default_rng(batch).standard_normal((batch, 4)).astype(np.float32)
        np.testing.assert_allclose(prog(x), np.maximum(x @ numpy_helper.to_array(w), 0), rtol=1e-6)


def test_initializers_as_parameters() -> None:
    w = numpy_helper.from_array(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), "w")
    m = model([helper.make_node("Gemm", ["x", "w"], ["y"], transB=1, alpha=0.5)],
              [tensor("x", T.FLOAT, [2, 4])], [tensor("y", T.FLOAT, [2, 3])], [w])
    prog = tfir.from_onnx(m, initializers="parameters")
    assert "    w: f32[3, 4]" in prog.source and set(prog.weights) == {"w"}
    x = np.ones((2, 4), np.float32)
    np.testing.assert_allclose(prog(x), ort_run(m, {"x": x})[0], rtol=1e-6)


@pytest.mark.parametrize("elem, dtype", [(T.INT32, np.int32), (T.INT64, np.int64)])
def test_integer_div_truncates_and_mod_follows_the_divisor(elem: int, dtype: Any) -> None:
    m = model([helper.make_node("Div", ["a", "b"], ["q"]), helper.make_node("Mod", ["a", "b"], ["r"]),
               helper.make_node("Mod", ["a", "b"], ["f"], fmod=1)],
              [tensor("a", elem, [8]), tensor("b", elem, [8])],
              [tensor("q", elem, [8]), tensor("r", elem, [8]), tensor("f", elem, [8])])
    a = np.array([7, -7, 7, -7, 0, 9, -9, 1], dtype)
    b = np.array([2, 2, -2, -2, 3, 3, -4, -5], dtype)
    check_against_ort(m, {"a": a, "b": b})


def test_float_pow_with_integer_exponent_and_cast() -> None:
    m = model([helper.make_node("Pow", ["x", "e"], ["p"]), helper.make_node("Cast", ["p"], ["c"], to=T.INT64)],
              [tensor("x", T.FLOAT, [5]), tensor("e", T.INT64, [5])], [tensor("c", T.INT64, [5])])
    check_against_ort(m, {"x": np.array([1.5, -2.0, 3.0, 0.5, 2.0], np.float32),
                          "e": np.array([2, 3, 1, 0, 4], np.int64)})


def test_slice_reshape_gemm_and_friends() -> None:
    def c(name: str, values: list[int]) -> Any:
        return numpy_helper.from_array(np.array(values, np.int64), name)
    nodes = [
        helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["s"]),
        helper.make_node("Reshape", ["x", "shape"], ["r"]),
        helper.make_node("Flatten", ["x"], ["f"], axis=-1),
        helper.make_node("Unsqueeze", ["v", "uax"], ["u"]),
        helper.make_node("Expand", ["v", "eshape"], ["e"]),
        helper.make_node("ReduceSum", ["x", "rax"], ["rs"], keepdims=0),
        helper.make_node("ArgMax", ["x"], ["am"], axis=1, select_last_index=1),
        helper.make_node("Gemm", ["a", "b", "v"], ["g"], transA=1, transB=1, alpha=2.0, beta=0.5),
        helper.make_node("LayerNormalization", ["x", "ln_s", "ln_b"], ["ln"], axis=-2, epsilon=1e-3),
    ]
    inits = [c("st", [-1, 10]), c("en", [-100, 0]), c("ax", [0, 2]), c("sp", [-2, -1]),
             c("shape", [0, -1]), c("uax", [0, -1]), c("eshape", [2, 1, 4]), c("rax", [-1, 0]),
             numpy_helper.from_array(np.full((3, 4), 1.5, np.float32), "ln_s"),
             numpy_helper.from_array(np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4), "ln_b")]
    m = model(nodes, [tensor("x", T.FLOAT, [5, 3, 4]), tensor("v", T.FLOAT, [4]), tensor("a", T.FLOAT, [6, 2]),
                      tensor("b", T.FLOAT, [4, 6])],
              [tensor(n, T.INT64 if n == "am" else T.FLOAT, None) for n in ("s", "r", "f", "u", "e", "rs", "am", "g", "ln")],
              inits)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3, 4)).astype(np.float32)
    x[0, 0] = x[0, 2]  # a tie: select_last_index picks the last
    check_against_ort(m, {"x": x, "v": rng.standard_normal(4).astype(np.float32),
                          "a": rng.standard_normal((6, 2)).astype(np.float32),
                          "b": rng.standard_normal((4, 6)).astype(np.float32)})


def test_shape_input_specializes_on_its_value() -> None:
    m = model([helper.make_node("Reshape", ["x", "shape"], ["y"])],
              [tensor("x", T.FLOAT, [2, 6]), tensor("shape", T.INT64, [2])], [tensor("y", T.FLOAT, None)])
    prog = tfir.from_onnx(m)
    x = np.arange(12, dtype=np.float32).reshape(2, 6)
    assert prog(x, np.array([3, 4])).shape == (3, 4)
    assert prog(x, np.array([-1, 2])).shape == (6, 2)
    assert prog.static_inputs == ["shape"] and "reshape(x, [-1, 2])" in prog.source


def test_unsupported_op_names_the_node() -> None:
    m = model([helper.make_node("NonZero", ["x"], ["i"], name="nz")],
              [tensor("x", T.FLOAT, [5])], [tensor("i", T.INT64, None)])
    with pytest.raises(OnnxError, match=r"node 'nz' \(NonZero\): not supported: .*static"):
        tfir.from_onnx(m)


def test_inexpressible_case_of_a_supported_op_names_the_node() -> None:
    m = model([helper.make_node("ScatterElements", ["x", "i", "u"], ["y"], name="se", reduction="mul")],
              [tensor("x", T.FLOAT, [5]), tensor("i", T.INT64, [2]), tensor("u", T.FLOAT, [2])],
              [tensor("y", T.FLOAT, [5])])
    with pytest.raises(OnnxError, match=r"node 'se' \(ScatterElements\): reduction='mul' is not supported"):
        tfir.from_onnx(m)
    m = model([helper.make_node("Conv", ["x", "w"], ["y"], name="c3")],
              [tensor("x", T.FLOAT, [1, 1, 4, 4, 4]), tensor("w", T.FLOAT, [1, 1, 2, 2, 2])],
              [tensor("y", T.FLOAT, None)])
    with pytest.raises(OnnxError, match=r"node 'c3' \(Conv\): convolution over 3 spatial axes"):
        tfir.from_onnx(m)


def test_unsupported_attribute_and_dtype_are_named() -> None:
    m = model([helper.make_node("Gelu", ["x"], ["y"], name="g1", approximate="cubic")],
              [tensor("x", T.FLOAT, [3])], [tensor("y", T.FLOAT, [3])], opset=20)
    with pytest.raises(OnnxError, match="node 'g1' \\(Gelu\\): approximate='cubic' is not supported"):
        tfir.from_onnx(m)
    m = model([helper.make_node("Relu", ["x"], ["y"])], [tensor("x", T.UINT8, [3])], [tensor("y", T.UINT8, [3])])
    with pytest.raises(OnnxError, match="graph input 'x' has type UINT8"):
        tfir.from_onnx(m)
    m = model([helper.make_node("MaxPool", ["x"], ["y", "i"], name="mp", kernel_shape=[2])],
              [tensor("x", T.FLOAT, [1, 1, 4])], [tensor("y", T.FLOAT, None), tensor("i", T.INT64, None)])
    with pytest.raises(OnnxError, match=r"node 'mp' \(MaxPool\): the Indices output is not supported"):
        tfir.from_onnx(m)


def test_old_opset_is_refused() -> None:
    m = model([helper.make_node("Relu", ["x"], ["y"])], [tensor("x", T.FLOAT, [3])], [tensor("y", T.FLOAT, [3])],
              opset=11)
    with pytest.raises(OnnxError, match="opset 11; tfir imports opset 13 and later"):
        tfir.from_onnx(m)


def test_constants_with_nan_inf_and_wide_types() -> None:
    vals = {
        "f": np.array([np.nan, np.inf, -np.inf, -0.0, 1e-30], np.float32),
        "d": np.array([0.1, 1e300, -2.5, 3.0, np.pi], np.float64),
        "i": np.array([2**40, -(2**40), 0, 1, -1], np.int64),
        "h": np.array([0.1, 65504.0, -1.5, 0.0, 3.0], np.float16),
    }
    elems = {"f": T.FLOAT, "d": T.DOUBLE, "i": T.INT64, "h": T.FLOAT16}
    nodes = [helper.make_node("Identity", [f"c_{k}"], [k]) for k in vals]
    m = model(nodes, [], [tensor(k, elems[k], [5]) for k in vals],
              [numpy_helper.from_array(v, f"c_{k}") for k, v in vals.items()])
    for target in ("eager", "numpy"):
        got = tfir.from_onnx(m, target=target).run({})
        for k, v in vals.items():
            assert got[k].dtype == v.dtype
            np.testing.assert_array_equal(got[k], v)
            finite = ~np.isnan(v)  # NaN has no sign to keep
            assert np.array_equal(np.signbit(got[k])[finite], np.signbit(v)[finite])


def test_cli_import_then_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = model([helper.make_node("Softmax", ["x"], ["y"], name="sm")], [tensor("x", T.FLOAT, ["N", 5])],
              [tensor("y", T.FLOAT, ["N", 5])])
    path = tmp_path / "m.onnx"
    onnx.save(m, str(path))
    assert cli_main(["import-onnx", str(path), "-o", str(tmp_path / "m.tf")]) == 0
    text = (tmp_path / "m.tf").read_text()
    assert "let y = softmax(x, axis=-1);  # onnx: sm (Softmax)" in text
    assert cli_main(["run", str(tmp_path / "m.tf"), "--dim", "N=2"]) == 0
    assert cli_main(["export-onnx", str(tmp_path / "m.tf"), "-o", str(tmp_path / "back.onnx"), "--dim", "N=2"]) == 0
    x = np.random.default_rng(0).standard_normal((2, 5)).astype(np.float32)
    np.testing.assert_allclose(ort_run(onnx.load(str(tmp_path / "back.onnx")), {"x": x})[0],
                               ort_run(m, {"x": x})[0], rtol=1e-6)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    assert cli_main(["import-onnx", str(bad)]) == 1
    assert "is not an ONNX model" in capsys.readouterr().err


def test_import_tfir_does_not_import_onnx() -> None:
    import subprocess
    import sys
    code = "import sys, tfir, tfir.cli; tfir.cli.build_parser(); assert 'onnx' not in sys.modules; tfir.from_onnx"
    subprocess.run([sys.executable, "-c", code], check=True)
