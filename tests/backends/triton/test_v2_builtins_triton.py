"""The builtins of language version 2 on the triton target: every program of
tests/support/v2_programs.py run by Triton's CPU interpreter against its
NumPy reference (random numbers bit for bit, and equal to `tl.rand`), and
every kernel they generate compiled to PTX for sm_90 (no GPU needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.v2_programs import PROGRAMS

pytest.importorskip("triton")

DRIVER = Path(__file__).resolve().parents[2] / "support" / "v2_triton_driver.py"


def _run(mode: str, tmp: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env["TFIR_CACHE"] = "0"
    if mode == "interpret":
        env["TRITON_INTERPRET"] = "1"
    return subprocess.Popen([sys.executable, str(DRIVER), mode, str(tmp)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _results(proc: subprocess.Popen) -> dict[str, str]:
    out, err = proc.communicate(timeout=900)
    results = {}
    for line in out.splitlines():
        status, _, rest = line.partition(" ")
        name, _, reason = rest.partition(": ")
        if status in ("OK", "FAIL"):
            results[name] = status if status == "OK" else f"FAIL {reason}"
    assert results, err[-3000:]
    return results


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict[str, str]]:
    procs = {m: _run(m, tmp_path_factory.mktemp(m)) for m in ("interpret", "ptx")}
    return {m: _results(p) for m, p in procs.items()}


@pytest.mark.parametrize("name", [p.name for p in PROGRAMS] + ["tl_rand"])
def test_interpreter_matches_numpy(runs, name: str) -> None:
    assert runs["interpret"].get(name) == "OK", runs["interpret"].get(name)


@pytest.mark.parametrize("name", [p.name for p in PROGRAMS])
def test_every_kernel_compiles_to_ptx(runs, name: str) -> None:
    assert runs["ptx"].get(name) == "OK", runs["ptx"].get(name)


CONFORMANCE = Path(__file__).resolve().parents[3].parent / "shared" / "conformance" / "v2"
CASES = ["v2_conv_pool", "v2_einsum", "v2_array_ops", "v2_stats_elementwise", "v2_log1p_expm1_tiny", "v2_random"]


@pytest.mark.skipif(not CONFORMANCE.exists(), reason="../shared/conformance is not here")
@pytest.mark.parametrize("name", CASES)
def test_conformance_kernels_compile_to_ptx(runs, name: str) -> None:
    assert runs["ptx"].get(name) == "OK", runs["ptx"].get(name)
