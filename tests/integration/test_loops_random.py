"""Random programs with loops and branches (tests/support/random_loops.py):
the eager and numpy targets equal NumPy running the same loop."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

import tfir
from tests.support.random_loops import LoopProgram, loop_programs


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(p=loop_programs())
def test_loops_match_numpy(p: LoopProgram) -> None:
    for target in ("eager", "numpy"):
        prog = tfir.compile_source(p.source, filename="random.tf", target=target, cache=False)
        with np.errstate(all="ignore"):
            got = prog.main(**p.inputs)
        want = p.expected[0]
        assert got.dtype == want.dtype and got.shape == want.shape, p.source
        if want.dtype.kind == "f":
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=p.source)
        else:
            np.testing.assert_array_equal(got, want, err_msg=p.source)
