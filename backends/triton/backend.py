"""The triton target: `device`-level IR to a Python module of Triton kernels.

`generate` prints the module source (needs no Triton); `load` executes it
and returns the host function of an entry, which takes NumPy arrays and
returns a tuple of NumPy arrays. Running needs Triton (`pip install -e
".[triton]"`) and either an NVIDIA GPU with CUDA torch or `TRITON_INTERPRET=1`.
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects.builtin import ModuleOp

from tfir.backends.base import Backend, Runner
from tfir.backends.common.emitter import SourceLine
from tfir.backends.common.loading import load_module, module_name, register_source
from tfir.backends.triton import runtime
from tfir.backends.triton.host import def_name, generate_module


class TritonBackend(Backend):
    """Device kernels -> `@triton.jit` functions and their host code."""

    name = "triton"

    def check_available(self) -> None:
        """Raises `TritonUnavailable` with what to install or set when target
        "triton" cannot run here (no Triton; no GPU and no TRITON_INTERPRET=1)."""
        runtime.require_device()

    def generate(self, module: ModuleOp, entry: str, source_line: SourceLine | None = None,
                 options: Any = None) -> str:
        return generate_module(module, entry, source_line)

    def load(self, source: str, entry: str, filename: str = "<tfir-triton>") -> Runner:
        """The host function `entry` of generated `source`. Triton reads a
        kernel's source text through `inspect`, so the text is registered
        with `linecache` under `filename` and the module in `sys.modules`."""
        runtime.require_device()
        filename = register_source(source, filename)
        host = load_module(source, def_name(entry), filename, module_name("tfir_triton_", filename), register=True)
        return runtime.quietly(host)
