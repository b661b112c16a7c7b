"""Differential test: random programs through the whole pipeline and the NumPy
backend equal NumPy (threads on and off; with and without fusion, so that a
failure points at the backend or at the fusion)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings

import tfir
from tests.support.random_programs import RandomProgram, assert_same, programs


@pytest.mark.parametrize("fuse", [False, True], ids=["unfused", "fused"])
@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(p=programs())
def test_numpy_backend_matches_numpy(fuse: bool, p: RandomProgram) -> None:
    disable = () if fuse else ("fuse-elementwise",)
    for threads in (True, False):
        prog = tfir.compile_source(p.source, filename="random.tf", target="numpy", cache=False,
                                   disable=disable, backend_options={"threads": threads})
        with np.errstate(all="ignore"):
            got = prog.main(**p.inputs)
        assert_same(got, p.expected, p.source)
