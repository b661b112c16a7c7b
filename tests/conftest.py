"""Shared test helpers: the conformance and example programs, IR parsing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Every pass's output is verified in tests (the API verifies the final IR only).
os.environ.setdefault("TFIR_VERIFY_EACH", "1")


@pytest.fixture(autouse=True, scope="session")
def _private_compile_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or fill the user's compile cache."""
    os.environ["TFIR_CACHE_DIR"] = str(tmp_path_factory.mktemp("tfir-cache"))

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.tf"))
CONFORMANCE = ROOT.parent / "shared" / "conformance"
CONFORMANCE_PROGRAMS = sorted((CONFORMANCE / "programs").glob("*.tf")) if CONFORMANCE.exists() else []


def needs_conformance() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not CONFORMANCE.exists(), reason="../shared/conformance is not here")


def parse_ir(text: str):
    from xdsl.parser import Parser

    from tfir.pipeline import make_context

    return Parser(make_context(), text).parse_module()


def filecheck(text: str, checks: str) -> None:
    """Runs the `filecheck` package (LLVM FileCheck in Python, as xDSL's tests do)."""
    import subprocess
    import sys
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".checks", delete=False) as f:
        f.write(checks)
    proc = subprocess.run([sys.executable, "-m", "filecheck", f.name], input=text, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr + "\n--- input ---\n" + text


def conformance_cases() -> list:
    """The Case objects of ../shared/conformance/cases.py (empty where it is missing)."""
    import importlib.util
    import sys

    path = CONFORMANCE / "cases.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location("tfir_tests_conformance_cases", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return list(module.CASES)
