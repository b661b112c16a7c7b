"""Loops, branches and tensor indexing on every target: eager, numpy and
triton (in Triton's interpreter, in a subprocess) agree with the NumPy
references of tests/support/control_programs.py, and an index out of range
raises `tfir.ExecutionError` naming the op's place, the index and the size,
everywhere. The Triton kernels also compile to PTX for sm_90 (no GPU needed)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tfir
from tests.support.control_programs import PROGRAMS, check

DRIVER = Path(__file__).resolve().parents[1] / "support" / "control_triton_driver.py"
NAMES = [p.name for p in PROGRAMS]


@pytest.mark.parametrize("target", ["eager", "numpy"])
@pytest.mark.parametrize("program", PROGRAMS, ids=NAMES)
def test_target_matches_the_reference(program, target: str) -> None:
    prog = tfir.compile_source(program.source, f"{program.name}.tf", target=target, cache=False)
    assert check(program, prog.main) is None


def _driver(mode: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    if mode == "interpret":
        env["TRITON_INTERPRET"] = "1"
    proc = subprocess.run([sys.executable, str(DRIVER), mode], env=env, capture_output=True, text=True,
                          timeout=900)
    results = {}
    for line in proc.stdout.splitlines():
        status, _, rest = line.partition(" ")
        name, _, reason = rest.partition(": ")
        results[name] = status if status == "OK" else reason
    assert results, proc.stderr[-3000:]
    return results


needs_triton = pytest.mark.skipif(importlib.util.find_spec("triton") is None, reason="Triton is not installed")


@pytest.fixture(scope="module")
def interpreted() -> dict[str, str]:
    return _driver("interpret")


@pytest.fixture(scope="module")
def compiled() -> dict[str, str]:
    return _driver("ptx")


@needs_triton
@pytest.mark.parametrize("name", NAMES)
def test_triton_interpreter_matches_the_reference(interpreted: dict[str, str], name: str) -> None:
    assert interpreted.get(name) == "OK", interpreted.get(name)


@needs_triton
@pytest.mark.parametrize("name", NAMES)
def test_triton_kernels_compile_to_ptx(compiled: dict[str, str], name: str) -> None:
    assert compiled.get(name) == "OK", compiled.get(name)
