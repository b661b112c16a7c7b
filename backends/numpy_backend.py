"""The NumPy backend (target "numpy", the default): loop-level IR to a
readable, standalone NumPy module (numpy_codegen), and loading it.
"""

from __future__ import annotations

import base64
import linecache
import math
import os
import re
import textwrap
import types
from collections.abc import Callable

import numpy as np
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    FileLineColLoc,
    ModuleOp,
)

from tfir.backends import numpy_prelude
from tfir.backends.numpy_body import tuple_text
from tfir.backends.numpy_codegen import FunctionCodegen
from tfir.backends.numpy_ops import dtype_name, literal, np_dtype, typed_literal
from tfir.backends.numpy_rows import fuse_rows
from tfir.backends.numpy_schedule import calls_blas, elide_fills, schedule
from tfir.backends.pyemit import PyEmitter
from tfir.dialects.plugins import external_calls

_loaded = 0

# Names the generated code refers to besides its own values.
_RESERVED = ("_erf", "_erfc_scale", "_parallel", "_pool", "_workers", "_buffer", "_local",
             "threading", "itertools", "os",
             "base64", "ThreadPoolExecutor", "range", "min", "max", "int", "math")


def generate(module: ModuleOp, entry: str, source_line: Callable[[str, int], str] | None = None, *,
             threads: bool = True, schedule: bool = True, row_groups: bool = True,
             reuse_buffers: bool = False) -> str:
    """The Python source of a module defining `def <entry>(args)`: NumPy arrays
    in (the func.func arguments, in order), a tuple of NumPy arrays out (one
    per result). `source_line(filename, line)` gives the `.tf` text for the
    `# file.tf:LINE  text` comments; `threads` lets the tiles of an
    `scf.parallel` run on a thread pool (with `schedule`, not in a function
    that calls BLAS, whose own threads would compete with the pool's); `schedule` lets the backend run a
    tile loop whole or one tile per worker where that is faster (`schedule`
    below), else every loop runs as `tile-linalg` tiled it; `row_groups` lets
    it run consecutive row-local ops block of rows by block of rows
    (`fuse_rows`, with `schedule` only); `reuse_buffers` keeps large
    intermediate buffers (never a result) per thread from one call to the
    next instead of allocating them afresh (off by default: no gain measured
    with glibc, whose `malloc` keeps freed blocks of up to 32 MiB mapped,
    and the kept buffers live as long as the process)."""
    return _generate_module(module, entry, source_line, threads, schedule and row_groups, schedule,
                            reuse_buffers)


def load(source: str, entry: str, filename: str = "<tfir-numpy>") -> Callable:
    """Compile generated `source` as a module and return its `entry` function.

    The source is registered in `linecache` under `filename` (made unique per
    load when it is the default) so that tracebacks and `inspect` show it."""
    global _loaded
    lines = source.splitlines(keepends=True)
    known = linecache.cache.get(filename)
    if filename == "<tfir-numpy>" or (known is not None and known[2] != lines):
        # One name per distinct source: tracebacks of every loaded signature stay right.
        _loaded += 1
        filename = f"{filename.removesuffix('>')}:{_loaded}>" if filename.endswith(">") \
            else f"{filename}:{_loaded}"
    code = compile(source, filename, "exec")
    linecache.cache[filename] = (len(source), None, lines, filename)
    module = types.ModuleType(f"tfir_numpy_{entry}")
    module.__file__ = filename
    exec(code, module.__dict__)  # the generated module itself, never user text
    fn = module.__dict__[entry]
    if not callable(fn):
        raise TypeError(f"numpy backend: {entry} is not a function in the generated module")
    return fn


def _global_lines(name: str, op: memref.GlobalOp) -> list[str]:
    typ = op.type
    shape = tuple(typ.get_shape())
    dt = np_dtype(typ)
    init = op.initial_value
    size = math.prod(shape)
    if not isinstance(init, DenseIntOrFPElementsAttr):
        return [f"{name} = np.zeros({tuple_text([str(d) for d in shape]) if shape else '()'}, dtype={dt})"]
    values = init.get_values()
    elem = typ.get_element_type()
    shape_text = tuple_text([str(d) for d in shape]) if shape else "()"
    if len(set(values)) == 1 and size != 1:
        lines = [f"{name} = np.full({shape_text}, {literal(values[0], elem)}, dtype={dt})"]
    elif not shape:
        lines = [f"{name} = np.array({literal(values[0], elem)}, dtype={dt})"]
    elif size <= 512:
        body = ", ".join(literal(v, elem) for v in values)
        text = f"{name} = np.array([{body}], dtype={dt})" + (f".reshape({shape_text})" if len(shape) != 1 else "")
        lines = textwrap.wrap(text, 96, subsequent_indent="    ", break_on_hyphens=False)
    else:
        raw = np.asarray(values, dtype=dtype_name(typ)).tobytes()
        data = base64.b64encode(raw).decode()
        chunks = [f"    {data[k:k + 88]!r}" for k in range(0, len(data), 88)]
        lines = [f"{name} = np.frombuffer(base64.b64decode(", *chunks, f"), dtype={dt}).reshape({shape_text})"]
    return [*lines, f"{name}.flags.writeable = False"]


def _generate_module(module: ModuleOp, entry: str, source_line: Callable[[str, int], str] | None,
                    threads: bool, rows: bool, scheduled: bool, reuse_buffers: bool) -> str:
    em = PyEmitter(source_line=source_line)
    for name in (entry, *_RESERVED):
        em.fresh(name)  # so that no local or global takes these names
    if scheduled:
        module = module.clone()  # the scheduling rewrites the IR: leave the caller's as it was
    fn = next((op for op in module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == entry), None)
    if fn is None:
        raise ValueError(f"numpy backend: no func.func @{entry} in the module")
    if scheduled and calls_blas(fn):
        # OpenBLAS's threads spin for a while after each call: ours would fight
        # them for the cores (mlp and attention measured faster this way).
        threads = False
    if rows:
        fuse_rows(fn, os.cpu_count() or 1)
    if scheduled:
        schedule(fn, threads, os.cpu_count() or 1)
        elide_fills(fn)
    globals_: dict[str, str] = {}
    helpers: set[str] = set()
    decls = [op for op in module.ops if isinstance(op, memref.GlobalOp)]
    for op in decls:
        globals_[op.sym_name.data] = em.fresh(op.sym_name.data.lstrip("_").removeprefix("tfir_"))
    cg = FunctionCodegen(em, globals_, helpers, threads, reuse_buffers)
    imports = []
    called = {op.callee.root_reference.data for op in fn.walk() if isinstance(op, func.CallOp)}
    if called:
        for symbol, call in external_calls(module, "numpy").items():
            if symbol in called:
                alias = em.fresh(symbol)
                cg.externals[symbol] = (call, alias)
                imports.append(call.import_line(alias))
    for op in decls:  # a splat constant (rank 0 included) is read by linalg ops as a number
        init = op.initial_value
        if isinstance(init, DenseIntOrFPElementsAttr) and len(set(init.get_values())) == 1:
            value, elem = init.get_values()[0], op.type.get_element_type()
            cg.scalar_globals[op.sym_name.data] = (literal(value, elem), typed_literal(value, elem))
    cg.emit_func(fn, entry)
    body = em.text()
    global_lines: list[str] = []
    for op in decls:  # the constants the code reads as arrays (rank-0 ones are inlined)
        name = globals_[op.sym_name.data]
        if re.search(rf"\b{name}\b", body):
            global_lines += _global_lines(name, op)
    if "base64" in "".join(global_lines):
        helpers.add("base64")
    return _assemble(module, entry, body, global_lines, helpers, imports)


def _assemble(module: ModuleOp, entry: str, body: str, global_lines: list[str], helpers: set[str],
              extra_imports: list[str]) -> str:
    source = next((op.location.filename.data for op in module.walk()
                   if isinstance(op.location, FileLineColLoc)), None)
    origin = f" from {source.rsplit('/', 1)[-1]}" if source else ""
    imports = sorted({line for h in helpers for line in numpy_prelude.IMPORTS[h]} | {"import numpy as np"},
                     key=lambda s: (s.startswith("from"), s != "import numpy as np", s))
    if extra_imports:
        imports += ["", *sorted(extra_imports)]  # implementations of custom ops (plugins)
    parts = [f'"""`{entry}` as NumPy code, generated by tfir{origin}.\n\n'
             "One statement per loop-level IR op; `# file.tf:LINE` comments cite the source.\n"
             '"""\n\n' + "\n".join(imports) + "\n"]
    for helper in sorted(helpers):
        if numpy_prelude.HELPERS[helper]:
            parts.append(numpy_prelude.HELPERS[helper].strip("\n") + "\n")
    if global_lines:
        parts.append("\n".join(global_lines) + "\n")
    parts.append(body)
    return "\n\n".join(parts)

