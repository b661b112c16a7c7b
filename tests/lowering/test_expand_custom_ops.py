"""expand-custom-ops: custom ops of user dialects decomposed into `tf` ops
(nested decompositions, several signatures, results checked against the
shape rule) or marked for their linalg or target lowering; a target with no
lowering, a decomposition into itself and a TfBuilder error are reported at
the `.tf` call."""

from __future__ import annotations

import numpy as np
import pytest

import tfir
from tests.support.plugin_testing import mylib_loaded
from tests.support.tdemo import build_module, identity, norm_twice, where
from tfir.dialects.registry import TType
from tfir.errors import CompileError
from tfir.pipeline import run_pipeline
from tfir.plugin import Dialect, same_as

_mylib = pytest.fixture(autouse=True, scope="module")(mylib_loaded)


def test_no_lowering_for_the_target_names_op_target_and_lowerings() -> None:
    src = "use tdemo;\nfn f(x: f32[4]) {\n  return tdemo.numpy_only(x) * 2.0;\n}\n"
    with pytest.raises(CompileError) as info:
        run_pipeline(build_module(src, {"x": TType("f32", (4,))}), "triton")
    assert where(info.value) == (3, 10, "custom op 'tdemo.numpy_only' has no lowering for target "
                                        "'triton'; it has: a numpy implementation")
    run_pipeline(build_module(src, {"x": TType("f32", (4,))}), "numpy", stop_after="expand-custom-ops")


def test_op_without_lowering() -> None:
    src = "use tdemo;\nfn f(x: f32[4]) {\n  return tdemo.nothing(x);\n}\n"
    prog = tfir.compile_source(src, "t.tf", target="eager")
    np.testing.assert_array_equal(prog.f(np.ones(4, np.float32)), np.ones(4))
    with pytest.raises(CompileError, match="'tdemo.nothing' has no lowering for target 'numpy'; it has: none"):
        tfir.compile_source(src, "t.tf", target="numpy").f(np.ones(4, np.float32))


def test_decomposition_result_mismatch_is_reported_at_the_call() -> None:
    src = "use tdemo;\nfn f(x: f32[4]) {\n  return tdemo.bad_decomposition(x);\n}\n"
    with pytest.raises(CompileError) as info:
        run_pipeline(build_module(src, {"x": TType("f32", (4,))}), "numpy")
    assert where(info.value)[:2] == (3, 10)
    assert "decomposition of 'tdemo.bad_decomposition' gives tensor<f32> for result 0" in where(info.value)[2]


def test_multi_result_and_typed_attributes() -> None:
    x = np.arange(12, dtype=np.float32).reshape(3, 4) - 5
    src = ("use tdemo;\nfn f(x: f32[3, 4]) {\n  let lo, hi = tdemo.row_range(x);\n"
           "  return tdemo.scaled_cast(hi - lo, dtype=f64, scale=0.5, axes=[0, 1]);\n}\n")
    prog = tfir.compile_source(src, "t.tf", target="eager")
    np.testing.assert_array_equal(prog.f(x), np.full(3, 1.5, np.float64))
    module = build_module(src, {"x": TType("f32", (3, 4))})
    text = str(module)
    assert "tdemo.scaled_cast %0 {dtype = f64, scale = 5.000000e-01 : f64, axes = array<i64: 0, 1>}" in text
    run_pipeline(module, "numpy", stop_after="convert-tf-to-linalg")
    from tests.support.linalg_ref import run

    np.testing.assert_array_equal(run(module, "f", x)[0], np.full(3, 1.5, np.float64))


def test_nested_decomposition_and_two_signatures() -> None:
    src = ("use tdemo;\nuse mylib;\nfn g(v) { return mylib.cumsum(v); }\n"
           "fn f(x: f32[2, 3], w: f32[3]) {\n"
           "  return tdemo.norm_twice(x, w, eps=0.5) + g(x) + g(w);\n}\n")
    types = {"x": TType("f32", (2, 3)), "w": TType("f32", (3,))}
    x = np.arange(6, dtype=np.float32).reshape(2, 3) - 2
    w = np.array([1.0, 2.0, -1.0], np.float32)
    prog = tfir.compile_source(src, "t.tf", target="eager")
    want = norm_twice(x, w, eps=0.5) + np.cumsum(x, axis=-1) + np.cumsum(w)
    np.testing.assert_allclose(prog.f(x, w), want, rtol=1e-6)
    module = run_pipeline(build_module(src, types), "numpy", stop_after="convert-tf-to-linalg")
    decls = {op.sym_name.data: str(op.function_type) for op in module.ops if op.sym_name.data != "f"}
    assert decls == {"mylib_cumsum": "(tensor<2x3xf32>) -> tensor<2x3xf32>",
                     "mylib_cumsum_1": "(tensor<3xf32>) -> tensor<3xf32>"}
    assert not any(op.name.startswith(("tf.", "tdemo.")) for op in module.walk())


def test_decomposition_into_itself_is_reported() -> None:
    src = "use tdemo;\nfn f(x: f32[4]) {\n  return tdemo.loops(x);\n}\n"
    with pytest.raises(CompileError) as info:
        run_pipeline(build_module(src, {"x": TType("f32", (4,))}), "numpy")
    assert where(info.value) == (3, 10, "the decomposition of 'tdemo.loops' expands into itself")


def test_tf_builder_errors_are_reported_at_the_call() -> None:
    bad = Dialect("tbuild")
    op = bad.op("ident", shape=same_as("x"))(identity)
    op.decompose(lambda b, x: b.matmull(x, x))
    src = "use tbuild;\nfn f(x: f32[4]) {\n  return tbuild.ident(x);\n}\n"
    with pytest.raises(CompileError) as info:
        run_pipeline(build_module(src, {"x": TType("f32", (4,))}), "numpy")
    assert where(info.value) == (3, 10, "in the decomposition of 'tbuild.ident': no primitive "
                                        "'matmull'; did you mean 'matmul'?")
