"""The graph optimizations on every conformance program: the `tf` IR the
frontend builds for each case gives bit-identical eager results (NaNs aside)
before and after the `tf` stage's graph optimizations, which leave one
function per entry and no calls."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import func

from tests.support.common import CONFORMANCE, conformance_cases
from tests.support.tf_stage import assert_same, run_stage
from tfir.api import compile_file
from tfir.backends.eager import compile_module

SUITE = CONFORMANCE


CASES = conformance_cases()


@pytest.mark.skipif(not CASES, reason="../shared/conformance is not here")
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_graph_opts_preserve_conformance_results(case) -> None:  # noqa: ANN001 - a cases.py Case
    fn = compile_file(SUITE / "programs" / case.file, target="eager")[case.entry]
    arrays, statics = fn.bind_inputs((), case.inputs(np.random.default_rng(case.seed)))
    before = fn.specialize(arrays, statics).tf_module
    after = run_stage(before.clone())
    assert [f.sym_name.data for f in after.ops if isinstance(f, func.FuncOp)] == [case.entry]
    assert not any(isinstance(op, func.CallOp) for op in after.walk())
    tensors = [arrays[p.name] for p in fn.params if p.name in arrays]
    want = compile_module(before, case.entry)(*tensors)
    got = compile_module(after, case.entry)(*tensors)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert_same(np.asarray(g), np.asarray(w))
