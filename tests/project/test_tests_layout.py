"""The test suite mirrors the code (tests/README.md): one test module and one
FileCheck file per pass, named after it; helpers only in tests/support/, and
no test module importing another."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.common import ROOT
from tfir.pipeline import PASSES, XDSL_PASSES

TESTS = ROOT / "tests"
TFIR_PASSES = sorted(set(PASSES) - XDSL_PASSES)


def _imported_modules(path: Path) -> list[str]:
    """Every module an import statement of `path` names, at any depth."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


def test_no_test_module_imports_another() -> None:
    wrong = []
    for path in sorted(TESTS.rglob("*.py")):
        for module in _imported_modules(path):
            parts = module.split(".")
            other_test = any(p.startswith("test_") or p == "conftest" for p in parts)
            outside_support = parts[0] == "tests" and parts[1:2] != ["support"]
            if other_test or outside_support:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not wrong, "shared helpers belong in tests/support/:\n" + "\n".join(wrong)


def test_every_pass_has_its_test_module_and_filecheck_file() -> None:
    missing = [f"tests/lowering/test_{name.replace('-', '_')}.py" for name in TFIR_PASSES
               if not (TESTS / "lowering" / f"test_{name.replace('-', '_')}.py").exists()]
    missing += [f"tests/filecheck/{name}.mlir" for name in TFIR_PASSES
                if not (TESTS / "filecheck" / f"{name}.mlir").exists()]
    assert not missing, "missing: " + ", ".join(missing)


def test_lowering_tests_are_named_after_passes() -> None:
    names = {f"test_{name.replace('-', '_')}.py" for name in TFIR_PASSES}
    stray = [p.name for p in (TESTS / "lowering").glob("test_*.py") if p.name not in names]
    assert not stray, f"not named after a pass (shared code goes in tests/lowering/utils/): {stray}"


def test_filecheck_files_run_the_pass_they_are_named_after() -> None:
    for path in (TESTS / "filecheck").glob("*.mlir"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("// RUN:") and f"-p {path.stem}" in first.replace("'", ""), path.name


def test_test_folders_are_packages() -> None:
    """Equal basenames in two folders (test_codegen.py) need packages; tests/onnx
    keeps its own rootdir (its modules import their siblings by bare name)."""
    folders = [p for p in TESTS.rglob("*") if p.is_dir() and p.name not in ("__pycache__", "golden")
               and TESTS / "onnx" not in (p, *p.parents)]
    missing = [str(p.relative_to(ROOT)) for p in [TESTS, *folders]
               if any(p.glob("*.py")) and not (p / "__init__.py").exists()]
    assert not missing, missing
