"""Loop bodies that combine kinds of ops (reductions into carried values,
row groups, matmul epilogues, scatters into tapes, scans, gathers, ...):
numpy and triton (in Triton's interpreter, in a subprocess) give the eager
target's values. A kernel of a loop body must store what a later iteration
or the code after the loop reads, though nothing after it in the body does
(`loss = loss + sum(d)` lost its store on triton)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.loop_body_parts import combinations, differences

DRIVER = Path(__file__).resolve().parents[1] / "support" / "loop_parts_triton_driver.py"
COMBINATIONS = combinations()
NAMES = [c.name for c in COMBINATIONS]


@pytest.mark.parametrize("combination", COMBINATIONS, ids=NAMES)
def test_numpy_matches_eager(combination) -> None:
    assert differences(combination, "numpy") is None


@pytest.fixture(scope="module")
def interpreted() -> dict[str, str]:
    env = {**os.environ, "TFIR_CACHE": "0"}
    proc = subprocess.run([sys.executable, str(DRIVER)], env=env, capture_output=True, text=True, timeout=900)
    results = {}
    for line in proc.stdout.splitlines():
        status, _, rest = line.partition(" ")
        name, _, reason = rest.partition(": ")
        results[name] = status if status == "OK" else reason
    assert results, proc.stderr[-3000:]
    return results


@pytest.mark.skipif(importlib.util.find_spec("triton") is None, reason="Triton is not installed")
@pytest.mark.parametrize("name", NAMES)
def test_triton_matches_eager(interpreted: dict[str, str], name: str) -> None:
    assert interpreted.get(name) == "OK", interpreted.get(name)

