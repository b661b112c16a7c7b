"""The lit-style FileCheck files of tests/filecheck/: each file's `// RUN:`
line runs `xdsl-opt` (tfir's passes are in xDSL's universe) on the file and
pipes the output into `filecheck` with the file's CHECK lines."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

FILES = sorted((Path(__file__).resolve().parents[1] / "filecheck").glob("*.mlir"))
BIN = Path(sys.executable).parent


def _run_line(path: Path) -> list[list[str]]:
    line = next(row for row in path.read_text().splitlines() if row.startswith("// RUN:"))
    stages = line.removeprefix("// RUN:").replace("%s", str(path)).split("|")
    commands = [shlex.split(stage) for stage in stages]
    for cmd in commands:  # the tools of this environment, not whatever is on PATH
        if cmd[0] == "xdsl-opt":
            cmd[0] = str(BIN / "xdsl-opt")
        elif cmd[0] == "filecheck":
            cmd[:1] = [sys.executable, "-m", "filecheck"]
    return commands


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_filecheck_file(path: Path) -> None:
    text = None
    for cmd in _run_line(path):
        proc = subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"{' '.join(cmd)}:\n{proc.stderr}\n{proc.stdout}"
        text = proc.stdout

