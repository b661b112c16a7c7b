"""Differential test: random programs through the whole pipeline and the NumPy
backend equal NumPy (threads on and off)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

import tfir
from tests.random_programs import RandomProgram, programs
from tests.test_random_programs_eager import assert_same


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(programs())
def test_numpy_backend_matches_numpy(p: RandomProgram) -> None:
    for threads in (True, False):
        prog = tfir.compile_source(p.source, filename="random.tf", target="numpy", cache=False,
                                   codegen={"threads": threads})
        with np.errstate(all="ignore"):
            got = prog.main(**p.inputs)
        assert_same(got, p.expected, p.source)
