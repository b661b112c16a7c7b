"""The Triton backend: `device`-level IR to a Python module of Triton kernels.

`generate` prints the module source (needs no Triton); `load` executes it
and returns the host function of an entry, which takes NumPy arrays and
returns a tuple of NumPy arrays. Running needs Triton (`pip install -e
".[triton]"`) and either an NVIDIA GPU with CUDA torch or `TRITON_INTERPRET=1`.
"""

from __future__ import annotations

import linecache
import sys
import types
from collections.abc import Callable

from xdsl.dialects.builtin import ModuleOp

from tfir.backends import triton_runtime
from tfir.backends.pyemit import SourceLine
from tfir.backends.triton_host import generate_module


def generate(module: ModuleOp, entry: str, source_line: SourceLine | None = None) -> str:
    """Python source of the Triton kernels and the host function `entry`."""
    return generate_module(module, entry, source_line)


def load(source: str, entry: str, filename: str) -> Callable:
    """Executes generated source as module `filename`; returns its `entry`.

    Triton reads a kernel's source text through `inspect`, so the text is
    registered with `linecache` under `filename` (no file needs to exist).
    """
    triton_runtime.require_device()
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    name = "tfir_triton_" + "".join(c if c.isalnum() else "_" for c in filename)
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    exec(compile(source, filename, "exec"), module.__dict__)
    return getattr(module, entry)


def check_available() -> None:
    """Raises `TritonUnavailable` with what to install or set when target
    "triton" cannot run here (no Triton; no GPU and no TRITON_INTERPRET=1)."""
    triton_runtime.require_device()
