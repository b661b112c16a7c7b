"""Inputs from Python as users pass them (tfir/inputs.py), and the hints for the
near-misses of a Python user in `.tf` source."""

from __future__ import annotations

import numpy as np
import pytest

import tfir
from tests.support.common import ROOT

SRC = "fn main(x: i32[3], y: f32[2], z: bool[2], s: f16[1]) -> (i32[3], f32[2], bool[2], f16[1]) {\n" \
      "    return x, y, z, s;\n}\n"
GOOD = ([1, 2, 3], (0.1, 2), [True, False], 1.5)


@pytest.fixture(scope="module")
def main() -> tfir.Function:
    return tfir.compile_source(SRC, target="numpy").main


def test_python_values_take_the_declared_dtype(main) -> None:
    x, y, z, s = main(*GOOD[:3], [GOOD[3]])
    assert (x.dtype, y.dtype, z.dtype, s.dtype) == (np.int32, np.float32, np.bool_, np.float16)
    np.testing.assert_array_equal(x, [1, 2, 3])
    assert y[0] == np.float32(0.1)  # rounded to the nearest f32, as a .tf literal is
    _, _, _, s = main(x=[1, 2, 3], y=[1, 2], z=(True, True), s=[2.0])
    assert s.dtype == np.float16


@pytest.mark.parametrize("arg, value, why", [
    (0, [1.5, 2, 3], "1.5 is not an integer"),
    (0, [2**40, 0, 0], "1099511627776 does not fit in i32"),
    (1, [2**24 + 1, 0], "16777217 is not exact in f32"),
    (2, [1, 0], "numbers are not bools"),
    (3, [1e6], "1000000.0 overflows f16"),
])
def test_inexact_python_values_are_errors_that_say_why(main, arg, value, why) -> None:
    args = [*GOOD[:3], [GOOD[3]]]
    args[arg] = value
    with pytest.raises(tfir.InputError) as err:
        main(*args)
    assert why in str(err.value) and "cannot be converted to" in str(err.value)


def test_ragged_lists_and_strings(main) -> None:
    with pytest.raises(tfir.InputError, match="not an array"):
        main([[1], [2, 3]], *GOOD[1:3], [1.0])
    with pytest.raises(tfir.InputError, match="not an array of numbers"):
        main(["a", "b", "c"], *GOOD[1:3], [1.0])


def test_arrays_keep_their_dtype_unless_cast_inputs() -> None:
    path = ROOT / "examples" / "mlp.tf"
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s) for s in ((32, 784), (784, 128), (128,), (128, 10), (10,))]
    with pytest.raises(tfir.InputError) as err:
        tfir.compile_file(path).mlp(*args)
    assert "got an array of dtype float64: convert it with x.astype(np.float32)" in str(err.value)
    assert "cast_inputs=True" in str(err.value)
    cast = tfir.compile_file(path, cast_inputs=True).mlp
    want = tfir.compile_file(path).mlp(*[a.astype(np.float32) for a in args])
    for _ in range(2):  # the second call takes the fast path of a signature seen before
        out = cast(*args)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, want, rtol=1e-6)
    np.testing.assert_allclose(cast(*[a.astype(np.float32) for a in args]), want, rtol=1e-6)


@pytest.mark.parametrize("body, hint", [
    ("return sum(x, axis=0, keepdims=True);", "undefined name 'True'; .tf spells it 'true'"),
    ("return x ^ 2.0;", "a power is written '**'"),
    ("return np.exp(x);", "unknown dialect 'np'; 'exp' is a builtin: call it without a prefix, as exp(...)"),
    ("return jnp.softmax(x);", "'softmax' is a builtin"),
    ("return x.T;", ".tf has no '.T': write transpose(x)"),
    ("return transpose(x).T;", ".tf has no '.T': write transpose(x)"),
])
def test_near_miss_hints(body: str, hint: str) -> None:
    with pytest.raises(tfir.CompileError) as err:
        tfir.compile_source(f"fn main(x: f32[2, 2]) -> f32[2, 2] {{\n    {body}\n}}\n")
    assert hint in str(err.value)
