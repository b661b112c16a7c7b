"""Differential test: random programs (tests/support/random_programs.py) through the
`tf` stage and `convert-tf-to-linalg`, run in the reference interpreter
(tests/support/linalg_ref.py), equal NumPy; `fuse-elementwise` then changes no
result bit."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

from tests.support.linalg_ref import run
from tests.support.linalg_testing import apply, check_contract
from tests.support.random_programs import RandomProgram, assert_same, programs
from tfir.api import compile_source
from tfir.pipeline import PIPELINE


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(p=programs())
def test_linalg_stage_matches_numpy(p: RandomProgram) -> None:
    fn = compile_source(p.source, filename="random.tf", target="eager")["main"]
    arrays, statics = fn.bind_inputs((), p.inputs)
    module = fn.specialize(arrays, statics).tf_module.clone()
    tensors = [arrays[q.name] for q in fn.params if q.name in arrays]
    for step in PIPELINE:
        if step.stage == "tf":
            apply(module, step.pass_name)
    apply(module, "convert-tf-to-linalg")
    check_contract(module)
    with np.errstate(all="ignore"):
        got = run(module, "main", *tensors)
    assert_same(got[0] if len(got) == 1 else tuple(got), p.expected, p.source)
    apply(module, "fuse-elementwise")
    check_contract(module)
    with np.errstate(all="ignore"):
        fused = run(module, "main", *tensors)
    for g, f in zip(got, fused, strict=True):
        np.testing.assert_array_equal(f, g, err_msg=p.source)
