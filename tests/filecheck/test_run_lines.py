"""Runs every `// RUN:` line of every lit-style file in tests/filecheck/, as
LLVM's `lit` would: `%s` is the file, `%S` its folder, the commands run in a
shell with `pipefail`, and `xdsl-opt` / `filecheck` are the ones installed
next to this Python (tfir's dialects and passes reach `xdsl-opt` through the
`xdsl.universe` entry point, so tfir must be installed: `pip install -e .`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.common import ROOT

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def run_lines() -> list[tuple[Path, int, str]]:
    """(file, line number, command) of every RUN line, in file order."""
    out = []
    for path in sorted(HERE.rglob("*.mlir")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("// RUN:"):
                out.append((path, number, line.removeprefix("// RUN:").strip()))
    return out


RUNS = run_lines()


def substitute(command: str, path: Path) -> str:
    return command.replace("%s", str(path)).replace("%S", str(path.parent))


@pytest.mark.parametrize("path,number,command", RUNS,
                         ids=[f"{p.relative_to(HERE)}:{n}" for p, n, _ in RUNS])
def test_run_line(path: Path, number: int, command: str) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    if shutil.which("xdsl-opt", path=env["PATH"]) is None:
        pytest.skip("xdsl-opt is not installed")
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", substitute(command, path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{path.name}:{number}: {command}\n{proc.stderr[-4000:]}"


def test_every_file_has_a_run_line() -> None:
    files = sorted(HERE.rglob("*.mlir"))
    assert files
    assert {p for p, _, _ in RUNS} == set(files)
