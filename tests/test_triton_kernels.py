"""Generated Triton kernels: run under Triton's CPU interpreter against NumPy,
and compiled to PTX for sm_90 with `triton.compile` (no GPU needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from triton_cases import CASES

pytest.importorskip("triton")

DRIVER = Path(__file__).with_name("triton_driver.py")
NAMES = [c.name for c in CASES]


def _run(mode: str, tmp_path: Path, interpret: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env["TRITON_DEFAULT_FP_FUSION"] = "1"
    env["TRITON_CACHE_DIR"] = str(tmp_path / "cache")
    if interpret:
        env["TRITON_INTERPRET"] = "1"
    proc = subprocess.run([sys.executable, str(DRIVER), mode, str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=600)
    results = {}
    for line in proc.stdout.splitlines():
        status, _, rest = line.partition(" ")
        name, _, reason = rest.partition(": ")
        results[name] = "OK" if status == "OK" else reason
    assert results, proc.stderr[-3000:]
    return results


@pytest.fixture(scope="module")
def interpreted(tmp_path_factory) -> dict[str, str]:
    return _run("interpret", tmp_path_factory.mktemp("interp"), interpret=True)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, str]:
    return _run("ptx", tmp_path_factory.mktemp("ptx"), interpret=False)


@pytest.mark.parametrize("name", NAMES)
def test_interpreter_matches_numpy(interpreted: dict[str, str], name: str) -> None:
    assert interpreted.get(name) == "OK", interpreted.get(name)


@pytest.mark.parametrize("name", NAMES)
def test_kernels_compile_to_ptx(compiled: dict[str, str], name: str) -> None:
    assert compiled.get(name) == "OK", compiled.get(name)
