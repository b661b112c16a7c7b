"""The Python API of interface.md: compile, entry functions, inputs, caching."""

from __future__ import annotations

import numpy as np
import pytest

import tfir

SRC = """
fn main(x: f32[B, 3], w: f32[3, H]) -> (f32[B, H], f32) {
    return x @ w, sum(x);
}
fn scaled(x, k: float = 2.0) {
    return x * k;
}
"""


@pytest.fixture(scope="module")
def prog() -> tfir.Program:
    return tfir.compile_source(SRC, filename="api.tf", target="eager")


def test_positional_keyword_and_attribute_access(prog) -> None:
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    w = np.ones((3, 4), np.float32)
    a = prog["main"](x, w)
    b = prog.main(x=x, w=w)
    assert isinstance(a, tuple) and len(a) == 2
    np.testing.assert_array_equal(a[0], x @ w)
    np.testing.assert_array_equal(b[0], a[0])
    assert isinstance(a[1], np.ndarray) and a[1].shape == () and a[1].dtype == np.float32


def test_generic_entry_and_static_parameter(prog) -> None:
    x = np.arange(4, dtype=np.float64)
    np.testing.assert_array_equal(prog.scaled(x), x * 2)
    np.testing.assert_array_equal(prog.scaled(x, k=0.5), x * 0.5)
    assert prog.scaled(x).dtype == np.float64
    assert prog.scaled(np.arange(3, dtype=np.float32)).dtype == np.float32


def test_specialization_is_cached_per_signature(prog) -> None:
    fn = prog["main"]
    fn(np.zeros((2, 3), np.float32), np.zeros((3, 4), np.float32))
    n = len(fn._cache)
    fn(np.ones((2, 3), np.float32), np.ones((3, 4), np.float32))
    assert len(fn._cache) == n
    fn(np.ones((5, 3), np.float32), np.ones((3, 4), np.float32))
    assert len(fn._cache) == n + 1


@pytest.mark.parametrize(("args", "kwargs", "words"), [
    ((np.zeros((2, 3), np.float64), np.zeros((3, 4), np.float32)), {}, "parameter 'x' expects dtype f32"),
    ((np.zeros((2, 3, 1), np.float32), np.zeros((3, 4), np.float32)), {}, "parameter 'x' expects rank 2"),
    ((np.zeros((2, 5), np.float32), np.zeros((3, 4), np.float32)), {}, "parameter 'x' expects size 3"),
    ((np.zeros((2, 3), np.float32),), {}, "missing input 'w'"),
    ((np.zeros((2, 3), np.float32), np.zeros((3, 4), np.float32)), {"v": 1}, "no input 'v'"),
    ((np.zeros((2, 3), np.float32), np.zeros((3, 4), np.float32), 1), {}, "takes 2 inputs"),
    ((np.zeros((2, 3), np.complex64), np.zeros((3, 4), np.float32)), {}, "complex64"),
])
def test_input_errors_name_the_parameter(prog, args, kwargs, words) -> None:
    with pytest.raises(tfir.InputError, match=words.replace("(", r"\(")):
        prog.main(*args, **kwargs)


def test_symbolic_dimension_bound_two_ways() -> None:
    prog = tfir.compile_source("fn f(a: f32[N], b: f32[N]) -> f32[N] { return a + b; }", target="eager")
    with pytest.raises(tfir.InputError, match="dimension N .* 3 by parameter 'a' and 4 by parameter 'b'"):
        prog.f(np.zeros(3, np.float32), np.zeros(4, np.float32))
    assert issubclass(tfir.InputError, ValueError)


def test_compile_error_api() -> None:
    with pytest.raises(tfir.CompileError) as info:
        tfir.compile_source("fn f(x: f32[3]) -> f32[3] { return y; }", filename="e.tf")
    d = info.value.diagnostics[0]
    assert (d.filename, d.line, d.column) == ("e.tf", 1, 36)
    assert "undefined name 'y'" in d.message
    assert isinstance(info.value, Exception)


def test_unknown_entry_and_target(prog) -> None:
    with pytest.raises(KeyError, match="did you mean 'main'"):
        prog["mian"]
    with pytest.raises(AttributeError):
        _ = prog.nope
    with pytest.raises(ValueError, match="unknown target"):
        tfir.compile_source(SRC, target="cuda")


def test_python_scalars_for_rank0_inputs() -> None:
    prog = tfir.compile_source("fn f(x: f32, n: i32) -> f32 { return x * cast(n, f32); }", target="eager")
    out = prog.f(1.5, 2)
    assert out.dtype == np.float32 and out.shape == () and out == 3.0
