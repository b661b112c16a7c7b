"""Differential test: random programs on the eager reference equal NumPy."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

import tfir
from tests.support.random_programs import RandomProgram, programs


def assert_same(got: object, expected: list[np.ndarray], source: str) -> None:
    got_list = list(got) if isinstance(got, tuple) else [got]
    assert len(got_list) == len(expected)
    for g, w in zip(got_list, expected, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype, (source, g.shape, w.shape, g.dtype, w.dtype)
        if w.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=2e-4 if w.dtype == np.float32 else 1e-9, atol=1e-5,
                                       equal_nan=True, err_msg=source)
        else:
            np.testing.assert_array_equal(g, w, err_msg=source)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(programs())
def test_eager_matches_numpy(p: RandomProgram) -> None:
    prog = tfir.compile_source(p.source, filename="random.tf", target="eager")
    with np.errstate(all="ignore"):
        got = prog.main(**p.inputs)
    assert_same(got, p.expected, p.source)
