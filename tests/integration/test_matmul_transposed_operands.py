"""A transposed operand of a 2-D matmul (the two products of a matmul's
gradient) is read through a permuted map, not copied: the numpy target calls
`np.matmul` on a transposed view."""

from __future__ import annotations

import numpy as np

import tfir

SRC = """
fn f(a: f32[5, 3], b: f32[5, 4], c: f32[4, 3]) -> (f32[3, 4], f32[5, 4], f32[3, 3]) {
    return transpose(a) @ b, a @ transpose(c), transpose(a) @ transpose(transpose(a));
}
"""


def test_transposed_operands_are_views() -> None:
    prog = tfir.compile_source(SRC, "<t>", target="numpy")
    rng = np.random.default_rng(0)
    a, b, c = (rng.normal(size=s).astype(np.float32) for s in ((5, 3), (5, 4), (4, 3)))
    got = prog.f(a, b, c)
    for g, w in zip(got, (a.T @ b, a @ c.T, a.T @ a), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    arrays, statics = prog.f.bind_inputs((a, b, c), {})
    source = prog.f.specialize(arrays, statics).source
    assert "np.matmul(a.transpose(1, 0), b" in source
    assert "np.matmul(a, c.transpose(1, 0)" in source
    assert "copyto" not in source
