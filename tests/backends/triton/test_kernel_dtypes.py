"""The Triton kernels of every dtype path (issue 13): Triton's math functions
take fp32 and fp64 only (sqrt_rn fp32 only), so f16 is computed in f32 and
rounded back; max/min reductions propagate NaN and arg-reductions take the
first NaN, as NumPy; integer powers have a helper. Checked on the generated
text here, and run under the interpreter in tests/integration."""

from __future__ import annotations

import pytest

import tfir

pytest.importorskip("triton")


def _code(source: str) -> str:
    prog = tfir.compile_source(source, "k.tf", target="numpy", cache=False)
    from tfir.api import Function  # noqa: F401 - the same program, Triton's code
    from tfir.inspect.trace import generate_code, trace

    return generate_code(trace(prog, "main", "triton"))


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "rsqrt", "tanh", "sin", "cos", "floor", "ceil", "erf"])
def test_f16_math_is_computed_in_f32(op: str) -> None:
    code = _code(f"fn main(x: f16[8]) -> f16[8] {{\n    return {op}(abs(x) + 1.0);\n}}\n")
    assert ".to(tl.float32)).to(tl.float16)" in code


def test_f64_sqrt_is_not_sqrt_rn() -> None:
    code = _code("fn main(x: f64[8]) -> f64[8] {\n    return sqrt(abs(x));\n}\n")
    assert "tl.sqrt(" in code and "sqrt_rn" not in code
    code = _code("fn main(x: f32[8]) -> f32[8] {\n    return sqrt(abs(x));\n}\n")
    assert "tl.sqrt_rn(" in code


def test_float_reductions_follow_numpy_on_nan() -> None:
    code = _code("fn main(x: f32[4, 6]) -> (f32[4], f32[4], i64[4], i64[4]) {\n"
                 "    return max(x, axis=1), min(x, axis=1), argmax(x, axis=1), argmin(x, axis=1);\n}\n")
    for helper in ("_nanmax", "_nanmin", "_argmax", "_argmin"):
        assert f"def {helper}(" in code
    assert "tl.max(v" not in code


def test_integer_reductions_keep_triton_s() -> None:
    code = _code("fn main(x: i32[4, 6]) -> (i32[4], i64[4]) {\n    return max(x, axis=1), argmax(x, axis=1);\n}\n")
    assert "_nanmax" not in code and "tl.max(" in code and "tl.argmax(" in code


def test_integer_powers_and_nan_splats() -> None:
    code = _code("fn main(a: i32[8], b: i32[8], x: f32[8], y: f32[8]) -> (i32[8], f32[8]) {\n"
                 "    return a ** abs(b), floordiv(x, y);\n}\n")
    assert "def _ipow(" in code and "(INF - INF)" in code  # the NaN of floordiv(x, 0.0), a literal
