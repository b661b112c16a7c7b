"""Paths, the conformance programs, IR parsing and FileCheck: what most test
modules need (fixtures are in tests/conftest.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser

from tfir.pipeline import make_context

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.tf"))
CONFORMANCE = ROOT.parent / "shared" / "conformance"
CONFORMANCE_PROGRAMS = sorted((CONFORMANCE / "programs").glob("*.tf")) if CONFORMANCE.exists() else []


def needs_conformance() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not CONFORMANCE.exists(), reason="../shared/conformance is not here")


def parse_ir(text: str) -> ModuleOp:
    return Parser(make_context(), text).parse_module()


def filecheck(text: str, checks: str) -> None:
    """Runs the `filecheck` package (LLVM FileCheck in Python, as xDSL's tests do)."""
    with tempfile.NamedTemporaryFile("w", suffix=".checks", delete=False) as f:
        f.write(checks)
    proc = subprocess.run([sys.executable, "-m", "filecheck", f.name], input=text, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr + "\n--- input ---\n" + text


def conformance_cases(suite: Path = CONFORMANCE) -> list:
    """The Case objects of a conformance suite's cases.py (../shared/conformance by
    default, or its v2/); empty where it is missing."""
    path = suite / "cases.py"
    if not path.exists():
        return []
    name = "tfir_tests_conformance_cases" + ("" if suite == CONFORMANCE else "_" + suite.name)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return list(module.CASES)
