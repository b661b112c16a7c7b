"""The conformance suite of ../shared, as tests/conftest.py finds it (importable by name)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT.parent / "shared" / "conformance"


def conformance_cases() -> list:
    path = CONFORMANCE / "cases.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location("tfir_onnx_conformance_cases", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return list(module.CASES)
