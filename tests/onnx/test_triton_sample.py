"""A sample of ONNX's node tests on the triton target, in Triton's CPU
interpreter (a subprocess, so TRITON_INTERPRET=1 is set before Triton loads)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("onnx")
pytest.importorskip("triton")

DRIVER = Path(__file__).with_name("triton_sample.py")


def test_triton_interpreter_sample() -> None:
    env = {**os.environ, "TRITON_INTERPRET": "1", "TFIR_CACHE": "0"}
    proc = subprocess.run([sys.executable, str(DRIVER)], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    from triton_sample import SAMPLE
    assert len(lines) == len(SAMPLE), proc.stdout + proc.stderr[-3000:]
    failures = [line for line in lines if not line.startswith("ok ")]
    assert not failures, "\n".join(failures)
