"""tfir: an MLIR-style multi-level IR compiler for tensor programs, on xDSL.

```python
import tfir
prog = tfir.compile_file("model.tf", target="numpy")
out = prog["mlp"](x, w1, b1, w2, b2)
```
"""

from tfir.api import Function, Program, compile_file, compile_source
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
from tfir.plugin import load_plugin
from tfir.version import __version__

__all__ = ["CompileError", "Diagnostic", "ExecutionError", "InternalError", "TfirError", "Function", "InputError", "Program", "compile_file",
           "compile_source", "load_plugin", "lower", "PluginError", "Stage", "__version__"]
