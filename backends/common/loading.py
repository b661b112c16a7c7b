"""Loading generated source as a Python module.

The source is registered in `linecache` under its file name, so that
tracebacks and `inspect` show it (Triton reads a kernel's text through
`inspect`: no file needs to exist). A file name already registered with a
different text (another signature of the same entry) is made unique, so
that each loaded module keeps reading its own text.
"""

from __future__ import annotations

import itertools
import linecache
import sys
import types
from collections.abc import Callable
from typing import Any

_loads = itertools.count(1)


def register_source(source: str, filename: str, fresh: bool = False) -> str:
    """Registers `source` in linecache; returns the file name it got:
    `filename`, or `filename:N` when `fresh` or when another text holds it."""
    lines = source.splitlines(keepends=True)
    known = linecache.cache.get(filename)
    if fresh or (known is not None and known[2] != lines):
        n = next(_loads)
        filename = f"{filename.removesuffix('>')}:{n}>" if filename.endswith(">") else f"{filename}:{n}"
    linecache.cache[filename] = (len(source), None, lines, filename)
    return filename


def module_name(prefix: str, filename: str) -> str:
    """A module name from a file name (`tfir_triton__tfir_triton_main_`)."""
    return prefix + "".join(c if c.isalnum() else "_" for c in filename)


def load_module(source: str, entry: str, filename: str, name: str,
                register: bool = False) -> Callable[..., Any]:
    """Executes `source` (registered under `filename`) as module `name`, in
    `sys.modules` when `register`; returns its function `entry`."""
    code = compile(source, filename, "exec")
    module = types.ModuleType(name)
    module.__file__ = filename
    if register:
        sys.modules[name] = module
    exec(code, module.__dict__)  # the generated module itself, never user text
    fn = module.__dict__.get(entry)
    if not callable(fn):
        raise TypeError(f"{entry} is not a function in the generated module {filename}")
    return fn
