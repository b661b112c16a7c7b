"""The builtins of language version 2 on the eager and numpy targets against
independent NumPy references (tests/support/v2_programs.py), for shapes drawn
from several seeds, with broadcasting and NaN / inf / -0.0 inputs; and the
form of the generated NumPy code (scans are `np.cumsum`, a convolution is
one `np.matmul` on gathered columns)."""

from __future__ import annotations

import re

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


def test_convolution_is_one_matmul_per_kernel_offset_on_views() -> None:
    """Stride 1: each kernel offset multiplies its weights by a strided view of the
    padded input (no columns), per image in row groups; results equal eager."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((8, 16, 32, 32)).astype(np.float32), rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    src = ("fn main(x: f32[8, 16, 32, 32], w: f32[16, 16, 3, 3]) -> f32[8, 16, 30, 30] {\n"
           "    return conv2d(x, w);\n}\n")
    code = _code(src, x=x, w=w)
    entry = code[code.index("def main("):]
    entry = entry[:entry.index("def _main_numpy(")] if "def _main_numpy(" in entry else entry
    assert entry.count("np.matmul(") == 9 and "einsum" not in entry
    # a block of images' products (30 rows of 32 each), allocated once per worker
    assert re.search(r"_tile = np\.empty\(\(\d, 16, 960\), dtype=np\.float32\)", entry)
    assert "np.empty((8, 144" not in entry and "np.empty((16, 9" not in entry  # no columns
    got = tfir.compile_source(src, target="numpy", cache=False).main(x, w)
    want = tfir.compile_source(src, target="eager").main(x, w)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_strided_convolution_is_one_matmul_on_columns() -> None:
    x, w = np.ones((2, 8, 12, 12), np.float32), np.ones((16, 8, 3, 3), np.float32)
    code = _code("fn main(x: f32[2, 8, 12, 12], w: f32[16, 8, 3, 3]) -> f32[2, 16, 5, 5] {\n"
                 "    return conv2d(x, w, stride=2);\n}\n", x=x, w=w)
    assert code.count("np.matmul(") == 1
    assert "einsum" not in code


def test_pooling_reads_the_input_in_place() -> None:
    """Max pooling is one fused loop of `np.maximum` over strided views (no copy of the windows)."""
    x = np.ones((2, 4, 16, 16), np.float32)
    code = _code("fn main(x: f32[2, 4, 16, 16]) -> f32[2, 4, 8, 8] {\n    return max_pool2d(x, 2);\n}\n", x=x)
    assert code.count("np.maximum(") == 3 and "1:16:2]" in code and "np.copyto" not in code
