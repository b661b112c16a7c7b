"""Differential test: random programs on the eager reference equal NumPy."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

import tfir
from tests.support.random_programs import RandomProgram, assert_same, programs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(programs())
def test_eager_matches_numpy(p: RandomProgram) -> None:
    prog = tfir.compile_source(p.source, filename="random.tf", target="eager")
    with np.errstate(all="ignore"):
        got = prog.main(**p.inputs)
    assert_same(got, p.expected, p.source)
