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

__version__ = "0.1.0"

__all__ = ["CompileError", "CompileOptions", "Diagnostic", "ExecutionError", "InternalError", "TfirError", "Function",
           "InputError", "NumpyOptions", "Program", "compile_file", "compile_source", "load_plugin", "lower",
           "PluginError", "Stage", "__version__"]
