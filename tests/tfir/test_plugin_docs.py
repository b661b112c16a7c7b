"""docs/custom-dialects.md runs as written: its `file=NAME` blocks are written
(or appended) to an empty directory, each Python block runs there in a fresh
interpreter and must print its `output` block, each `console` command must
succeed and print what follows it, and the TOML block must parse."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "custom-dialects.md"
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```\s*$", re.S | re.M)


@dataclass
class Block:
    lang: str
    options: list[str]
    text: str
    line: int


def blocks(text: str) -> list[Block]:
    out = []
    for m in FENCE.finditer(text):
        words = m.group(1).split()
        out.append(Block(words[0] if words else "", words[1:], m.group(2), text[:m.start()].count("\n") + 1))
    return out


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # no disk cache: the plugin module changes between blocks, the .tf files may not
    env = {**os.environ, "PYTHONPATH": str(cwd), "TRITON_INTERPRET": "1", "TFIR_CACHE": "0"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_custom_dialects_doc_runs(tmp_path: Path) -> None:
    pytest.importorskip("triton")
    items = blocks(DOC.read_text())
    assert sum(b.lang == "python" and not b.options for b in items) >= 5
    for i, block in enumerate(items):
        where = f"{DOC.name}:{block.line}"
        files = [o.removeprefix("file=") for o in block.options if o.startswith("file=")]
        if files:
            path = tmp_path / files[0]
            mode = "a" if "append" in block.options else "w"
            assert mode == "w" or path.exists(), f"{where}: appends to a file not written yet"
            with path.open(mode) as f:
                f.write(block.text)
        elif block.lang == "python":
            done = _run([sys.executable, "-c", block.text], tmp_path)
            assert done.returncode == 0, f"{where}:\n{done.stderr[-3000:]}"
            following = items[i + 1] if i + 1 < len(items) else None
            if following is not None and following.lang == "output":
                assert done.stdout.rstrip() == following.text.rstrip(), where
        elif block.lang == "console":
            _console(block, tmp_path, where)
        elif block.lang == "toml":
            tomllib.loads(block.text)


def _console(block: Block, cwd: Path, where: str) -> None:
    lines = block.text.rstrip("\n").split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("$ ")]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        argv = shlex.split(lines[start][2:])
        assert argv[0] == "tfir", f"{where}: only tfir commands run"
        done = _run([sys.executable, "-m", "tfir.cli", *argv[1:]], cwd)
        assert done.returncode == 0, f"{where}: {lines[start]}\n{done.stderr[-3000:]}"
        assert done.stdout.rstrip("\n").split("\n") == lines[start + 1:end], where
