"""Differential test of the NumPy backend's scheduling (issue 6) on random
programs: thresholds lowered so that their small shapes are tiled, run
whole, split per worker, fused into row groups and kept between calls,
every result equal to NumPy's, on a first and a second call."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings

import tfir
from tests.support.random_programs import RandomProgram, assert_same, programs
from tfir.backends.numpy import codegen as numpy_codegen
from tfir.lowering import numpy_row_groups, numpy_schedule, numpy_threads

TINY_TILES = {"tile-linalg": {"min_points": 1, "max_tile_bytes": 48}}


@pytest.mark.parametrize("threads", [True, False], ids=["threads", "serial"])
@settings(max_examples=25, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(p=programs())
def test_scheduled_code_matches_numpy(threads: bool, p: RandomProgram) -> None:
    with pytest.MonkeyPatch.context() as mp:
        for module in (numpy_schedule, numpy_row_groups):
            mp.setattr(module, "WHOLE_POINTS", 8)
        mp.setattr(numpy_schedule, "CHUNK_POINTS", 16)
        mp.setattr(numpy_row_groups, "ROW_TILE_BYTES", 32)
        mp.setattr(numpy_codegen, "MIN_KEPT_BYTES", 0)
        mp.setattr(numpy_threads, "MIN_PARALLEL_POINTS", 1)
        prog = tfir.compile_source(p.source, filename="random.tf", target="numpy", cache=False,
                                   pass_options=TINY_TILES,
                                   backend_options=tfir.NumpyOptions(threads=threads, reuse_buffers=True))
        with np.errstate(all="ignore"):
            first = prog.main(**p.inputs)
            second = prog.main(**p.inputs)
    assert_same(first, p.expected, p.source)
    assert_same(second, p.expected, p.source)
