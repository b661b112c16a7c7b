"""The differential tester and the source fuzzer on a small budget (about a
minute): random programs on eager vs numpy (also with small thresholds),
triton (interpreter) and mlir, gradients of random programs, fuzzed sources through the frontend; no failure. `tfir fuzz` runs the long
campaigns (docs/testing.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tfir.backends import eager
from tfir.frontend.parser import parse
from tfir.testing import generate, mlir_exec
from tfir.testing.campaign import CampaignSpec, run_campaign
from tfir.testing.differential import run_on
from tfir.testing.fuzz import STRATEGIES, FuzzCase, fuzz_source
from tfir.testing.gradcheck import finite_difference_failure, gradient_case
from tfir.testing.printer import print_source
from tfir.testing.source_check import check_source


def _check(spec: CampaignSpec) -> None:
    result = run_campaign(spec)
    assert result.cases == spec.count
    assert not result.failures, result.summary()


def test_random_programs_on_numpy() -> None:
    _check(CampaignSpec("programs", ("numpy",), seed=100, count=60, jobs=2, timeout=120))


def test_random_programs_on_numpy_with_small_thresholds() -> None:
    """Tile loops, threads and C kernels on every program (tfir.testing.stress)."""
    _check(CampaignSpec("programs", ("numpy-stress",), seed=150, count=30, jobs=2, timeout=120))


def test_gradients_of_random_programs() -> None:
    """Eager's gradients against finite differences; numpy's against eager's."""
    _check(CampaignSpec("gradients", ("numpy", "numpy-stress"), seed=170, count=12, jobs=2, timeout=120))


def test_gradient_checker_sees_a_wrong_gradient() -> None:
    case = gradient_case(2)  # the "loss" form, the one finite differences check
    assert case is not None and case.form == "loss"
    grads = run_on("eager", case.source, case.entry, case.inputs)
    assert finite_difference_failure(case, grads, 3) is None
    assert finite_difference_failure(case, [g * 1.001 + 1e-4 for g in grads], 3) is not None


def test_random_programs_on_triton() -> None:
    pytest.importorskip("triton")
    _check(CampaignSpec("programs", ("triton",), seed=200, count=8, jobs=2, timeout=300,
                        options={"max_statements": 6, "max_dim": 4}))


@pytest.mark.skipif(not mlir_exec.available(), reason="mlir-opt-22 / mlir-runner-22 not installed")
def test_random_programs_on_mlir() -> None:
    _check(CampaignSpec("programs", ("mlir",), seed=300, count=12, jobs=2, timeout=120))


@pytest.mark.parametrize("strategy", [s for s in STRATEGIES if s != "deep"])
def test_fuzzed_sources(strategy: str) -> None:
    _check(CampaignSpec("sources", ("numpy",), seed=400, count=40, jobs=2, timeout=120,
                        options={"strategy": strategy}))


def test_generated_programs_print_back_the_same() -> None:
    """The reducer's printer writes what the parser reads."""
    for seed in range(30):
        source = generate(seed).source
        assert print_source(parse(print_source(parse(source, "a.tf")), "b.tf")) == print_source(parse(source, "a.tf"))


def test_cases_are_reproducible_by_seed() -> None:
    assert generate(7).source == generate(7).source
    assert fuzz_source(9).source == fuzz_source(9).source


def test_a_source_that_loops_forever_is_not_a_hang(tmp_path: Path) -> None:
    """Seed 30000110 of the source fuzzer: a mutation left a `while` whose
    condition never changes. The program's own non-termination (as in
    TensorFlow) is bounded on eager and skipped, not reported as a hang."""
    case = FuzzCase("fn main(p: i32[5, 5]) -> i32[5, 5] {\n    let n = full([], 0);\n"
                    "    while n < 2 {\n        let b = n + 1;\n    }\n    return p;\n}\n", "any", "mutation")
    ran, failures = check_source(case, tmp_path)
    assert failures == [] and ran == ["frontend", "eager"]


def test_eager_while_limit_stops_an_endless_loop() -> None:
    source = "fn main(p: i32[2]) -> i32[2] {\n    let n = full([], 0);\n    while n < 2 {\n        let p = p + 1;\n    }\n    return p;\n}\n"
    with eager.while_limit(50), pytest.raises(eager.LoopLimitExceeded, match="more than 50 iterations"):
        run_on("eager", source, "main", {"p": np.zeros(2, np.int32)})
