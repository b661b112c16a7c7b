"""The builtins of language version 2 on the eager and numpy targets against
independent NumPy references (tests/support/v2_programs.py), for shapes drawn
from several seeds, with broadcasting and NaN / inf / -0.0 inputs; and the
form of the generated NumPy code (scans are `np.cumsum`, a convolution is
one `np.matmul` on gathered columns)."""

from __future__ import annotations

import numpy as np
import pytest

import tfir
from tests.support.v2_programs import PROGRAMS, check

SEEDS = (0, 1, 2)


@pytest.mark.parametrize("target", ["eager", "numpy"])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_against_numpy(program, seed: int, target: str) -> None:
    inputs = program.inputs(np.random.default_rng(seed))
    got = tfir.compile_source(program.source, f"{program.name}.tf", target=target, cache=False).main(*inputs)
    check(program, got, program.reference(*inputs))


def test_signed_zeros_and_specials_match_numpy_exactly() -> None:
    """Where NumPy gives +-0, +-inf or NaN, so does the numpy target, sign included."""
    program = PROGRAMS[0]
    inputs = program.inputs(np.random.default_rng(0))
    got = tfir.compile_source(program.source, target="numpy", cache=False).main(*inputs)
    for g, w in zip(got, program.reference(*inputs), strict=True):
        if g.dtype.kind == "f":
            special = ~np.isfinite(w) | (w == 0)
            assert np.array_equal(g[special], w[special], equal_nan=True)
            assert np.array_equal(np.signbit(g[special]), np.signbit(w[special]))



def _code(text: str, **inputs: np.ndarray) -> str:
    fn = tfir.compile_source(text, target="numpy", cache=False).main
    arrays, statics = fn.bind_inputs((), inputs)
    return fn.specialize(arrays, statics).source


def test_scans_run_as_numpy_cumsum() -> None:
    code = _code("fn main(x: f32[64, 300]) -> (f32[64, 300], f32[64, 300]) {\n"
                 "    return cumsum(x * 2.0, 1), cumprod(x, 0);\n}\n", x=np.ones((64, 300), np.float32))
    assert "np.cumsum(" in code and "np.cumprod(" in code
    assert "for k" not in code  # no loop over the scanned axis


def test_convolution_is_one_matmul_on_columns() -> None:
    x, w = np.ones((2, 8, 12, 12), np.float32), np.ones((16, 8, 3, 3), np.float32)
    code = _code("fn main(x: f32[2, 8, 12, 12], w: f32[16, 8, 3, 3]) -> f32[2, 16, 10, 10] {\n"
                 "    return conv2d(x, w);\n}\n", x=x, w=w)
    assert code.count("np.matmul(") == 1
    assert "einsum" not in code


def test_pooling_reads_the_input_in_place() -> None:
    """Max pooling is one fused loop of `np.maximum` over strided views (no copy of the windows)."""
    x = np.ones((2, 4, 16, 16), np.float32)
    code = _code("fn main(x: f32[2, 4, 16, 16]) -> f32[2, 4, 8, 8] {\n    return max_pool2d(x, 2);\n}\n", x=x)
    assert code.count("np.maximum(") == 3 and "1:16:2]" in code and "np.copyto" not in code
