"""tfir: an MLIR-style multi-level IR compiler for tensor programs, on xDSL.

```python
import tfir
prog = tfir.compile_file("model.tf", target="numpy")
out = prog["mlp"](x, w1, b1, w2, b2)
```
"""

from tfir.api import Function, Program, compile_file, compile_source
from tfir.backends.numpy.backend import NumpyOptions
from tfir.errors import (
    CompileError,
    Diagnostic,
    ExecutionError,
    InputError,
    InternalError,
    PluginError,
    TfirError,
)
from tfir.inspect.trace import Stage, lower
from tfir.options import CompileOptions
from tfir.plugin import load_plugin
from tfir.version import __version__


def __getattr__(name: str) -> object:
    """`from_onnx`, `to_onnx` and the `onnx`/`onnx_backend` submodules load on first use (not in
    `__all__`, so that `from tfir import *` works without the onnx extra)."""
    import importlib
    if name in ("from_onnx", "to_onnx"):
        return getattr(importlib.import_module("tfir.onnx"), name)
    if name in ("onnx", "onnx_backend"):
        return importlib.import_module(f"tfir.{name}")
    raise AttributeError(f"module 'tfir' has no attribute {name!r}")


__all__ = ["CompileError", "CompileOptions", "Diagnostic", "ExecutionError", "InternalError", "TfirError", "Function",
           "InputError", "NumpyOptions", "Program", "compile_file", "compile_source", "load_plugin", "lower",
           "PluginError", "Stage", "__version__"]
