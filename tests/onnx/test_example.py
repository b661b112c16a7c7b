"""examples/onnx_models.py runs and matches ONNX Runtime on every target available."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "onnx_models.py"


def test_onnx_models_example() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    proc = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all match ONNX Runtime" in proc.stdout
    assert proc.stdout.count(" ok") >= 6  # three models, eager and numpy at least
