"""A program's entry on the triton target under Triton's interpreter, in a
process of its own (the interpreter is chosen when Triton loads), through
`tfir run`: the helper of the integration tests that compare targets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np


def run_triton(path: Path, entry: str, args: dict[str, np.ndarray], tmp: Path) -> list[np.ndarray]:
    """The results of `entry` of `path` on `args`, by `tfir run --target triton`."""
    flags = []
    for name, value in args.items():
        np.save(tmp / f"{name}.npy", value)
        flags += ["--input", f"{name}={tmp / name}.npy"]
    env = {**os.environ, "TRITON_INTERPRET": "1", "TFIR_CACHE": "0"}
    proc = subprocess.run([sys.executable, "-m", "tfir", "run", str(path), "--entry", entry, "--target", "triton",
                           *flags, "--save", str(tmp / "out.npz")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    saved = np.load(tmp / "out.npz")
    return [saved[f"result{i}"] for i in range(len(saved.files))]
