"""The NumPy backend (target "numpy", the default): loop-level IR to a
readable, standalone NumPy module (numpy_codegen), and loading it.
"""

from __future__ import annotations

import linecache
import types
from collections.abc import Callable

from xdsl.dialects.builtin import ModuleOp

from tfir.backends.numpy_codegen import generate_module

_loaded = 0


def generate(module: ModuleOp, entry: str, source_line: Callable[[str, int], str] | None = None, *,
             threads: bool = True) -> str:
    """The Python source of a module defining `def <entry>(args)`: NumPy arrays
    in (the func.func arguments, in order), a tuple of NumPy arrays out (one
    per result). `source_line(filename, line)` gives the `.tf` text for the
    `# file.tf:LINE  text` comments; `threads` lets the tiles of an
    `scf.parallel` run on a thread pool."""
    return generate_module(module, entry, source_line, threads)


def load(source: str, entry: str, filename: str = "<tfir-numpy>") -> Callable:
    """Compile generated `source` as a module and return its `entry` function.

    The source is registered in `linecache` under `filename` (made unique per
    load when it is the default) so that tracebacks and `inspect` show it."""
    global _loaded
    if filename == "<tfir-numpy>":
        _loaded += 1
        filename = f"<tfir-numpy:{entry}:{_loaded}>"
    code = compile(source, filename, "exec")
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType(f"tfir_numpy_{entry}")
    module.__file__ = filename
    exec(code, module.__dict__)  # the generated module itself, never user text
    fn = module.__dict__[entry]
    if not callable(fn):
        raise TypeError(f"numpy backend: {entry} is not a function in the generated module")
    return fn
