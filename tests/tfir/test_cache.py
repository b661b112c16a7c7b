"""The disk cache of generated modules: a second process skips compilation,
corrupt entries are rebuilt, options are part of the key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import tfir
from tfir import cache

SRC = "fn main(x: f32[8]) -> f32[8] {\n    return tanh(x * 2.0) + 1.0;\n}\n"


def entries(root: Path) -> list[Path]:
    return sorted(root.glob("*.py"))


def test_second_process_hits_the_cache(tmp_path: Path) -> None:
    prog_path = tmp_path / "p.tf"
    prog_path.write_text(SRC)
    env = {**os.environ, "TFIR_CACHE_DIR": str(tmp_path / "cache"), "TFIR_CACHE": "1"}
    script = ("import sys, numpy as np, tfir\n"
              "import tfir.pipeline as P\n"
              "calls = []\n"
              "orig = P.run_pipeline\n"
              "P.run_pipeline = lambda *a, **k: (calls.append(1), orig(*a, **k))[1]\n"
              f"p = tfir.compile_file({str(prog_path)!r})\n"
              "out = p.main(np.arange(8, dtype=np.float32))\n"
              "print(len(calls), float(out.sum()))\n")
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    second = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    ran_first, total_first = first.stdout.split()
    ran_second, total_second = second.stdout.split()
    assert (ran_first, ran_second) == ("1", "0")
    assert total_first == total_second
    assert len(entries(tmp_path / "cache")) == 1


def test_corrupt_entry_is_ignored_and_rebuilt(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TFIR_CACHE", "1")
    monkeypatch.setenv("TFIR_CACHE_DIR", str(tmp_path))
    x = np.linspace(-1, 1, 8, dtype=np.float32)
    want = tfir.compile_source(SRC, target="eager").main(x)
    tfir.compile_source(SRC).main(x)
    (entry,) = entries(tmp_path)
    header = entry.read_text().split("\n", 1)[0]
    entry.write_text(header + "\ndef main(:\n")  # not Python
    np.testing.assert_allclose(tfir.compile_source(SRC).main(x), want, rtol=1e-6)
    assert "def main(:" not in entry.read_text()
    entry.write_bytes(b"\xff\xfe garbage")
    np.testing.assert_allclose(tfir.compile_source(SRC).main(x), want, rtol=1e-6)


def test_options_and_sources_change_the_key(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TFIR_CACHE", "1")
    monkeypatch.setenv("TFIR_CACHE_DIR", str(tmp_path))
    x = np.zeros(8, np.float32)
    tfir.compile_source(SRC).main(x)
    tfir.compile_source(SRC, disable=("fuse-elementwise",)).main(x)
    tfir.compile_source(SRC.replace("2.0", "3.0")).main(x)
    assert len(entries(tmp_path)) == 3
    tfir.compile_source(SRC, cache=False).main(x)
    assert len(entries(tmp_path)) == 3
    assert cache.load("0" * 64) is None
