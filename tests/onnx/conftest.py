"""Tests of tfir's ONNX import, export and backend. Skipped cleanly where the
`onnx` extra (onnx, onnxruntime) is not installed: `pip install -e ".[onnx]"`."""

from __future__ import annotations

import importlib.util

_MISSING = [m for m in ("onnx", "onnxruntime") if importlib.util.find_spec(m) is None]

if _MISSING:
    collect_ignore_glob = ["test_*.py"]

    def pytest_report_header(config: object) -> str:
        return f"tests/onnx: skipped, {' and '.join(_MISSING)} not installed (pip install -e '.[onnx]')"
