"""The `linalg` stage on every conformance program: the frontend's `tf` IR,
after the `tf` stage, lowered by `convert-tf-to-linalg` is in the stage's
form and gives the eager backend's results in the reference interpreter
(tests/support/linalg_ref.py); `fuse-elementwise` then changes no result bit."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.common import CONFORMANCE, conformance_cases
from tests.support.linalg_testing import apply, assert_same, check_contract
from tfir.api import compile_file
from tfir.backends.eager import compile_module
from tfir.pipeline import PIPELINE

SUITE = CONFORMANCE


CASES = conformance_cases()


@pytest.mark.skipif(not CASES, reason="../shared/conformance is not here")
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_linalg_stage_on_conformance(case) -> None:  # noqa: ANN001 - a cases.py Case
    fn = compile_file(SUITE / "programs" / case.file, target="eager")[case.entry]
    arrays, statics = fn.bind_inputs((), case.inputs(np.random.default_rng(case.seed)))
    module = fn.specialize(arrays, statics).tf_module.clone()
    tensors = [arrays[p.name] for p in fn.params if p.name in arrays]
    want = [np.asarray(w) for w in compile_module(module, case.entry)(*tensors)]
    for step in PIPELINE:
        if step.stage == "tf":
            apply(module, step.pass_name)
    apply(module, "convert-tf-to-linalg")
    check_contract(module)
    got = run_main_entry(module, case.entry, tensors)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        close(g, w)
    apply(module, "fuse-elementwise")
    check_contract(module)
    fused = run_main_entry(module, case.entry, tensors)
    for g, f in zip(got, fused, strict=True):
        np.testing.assert_array_equal(f, g)


def run_main_entry(module, entry: str, tensors: list) -> list[np.ndarray]:  # noqa: ANN001
    from tests.support.linalg_ref import run

    return run(module, entry, *tensors)


def close(got: np.ndarray, want: np.ndarray) -> None:
    """As the eager backend within rounding: the lowering may associate sums
    and matmuls differently."""
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype, want.shape, want.dtype)
    if got.dtype.kind == "f":
        tol = 2e-2 if got.dtype == np.float16 else 1e-4
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True)
    else:
        assert_same(got, want)
