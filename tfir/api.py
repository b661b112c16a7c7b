"""The Python API: `compile_file`, `compile_source`, programs and their entry
functions, specialized and compiled once per input signature."""

from __future__ import annotations

import linecache
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tfir import cache, crash, pipeline
from tfir.compiler import TARGETS, Compiled, backend_for, build, check_options
from tfir.dialects.dtypes import from_numpy, to_numpy
from tfir.dialects.registry import REGISTRY, TType
from tfir.errors import (
    CompileError,
    Diagnostic,
    InputError,
    InternalError,
    Span,
    TfirError,
    did_you_mean,
)
from tfir.frontend import ast
from tfir.frontend.driver import build_entry, load_and_check
from tfir.frontend.loader import Program as FrontendProgram
from tfir.frontend.loader import SourceError, load_prelude, printable, read_source
from tfir.inputs import bind_inputs
from tfir.options import CompileOptions
from tfir.plugin import check_lowerings, plugins_fingerprint


def _options(target: str, options: CompileOptions | None, kwargs: dict[str, Any]) -> CompileOptions:
    """The options of a program for `target`, checked (the target is available, every name is known)."""
    resolved = CompileOptions.of(options, **kwargs)
    backend_for(target).check_available()
    check_options(resolved, target)
    return resolved


def compile_source(text: str, filename: str = "<string>", target: str = "numpy",
                   options: CompileOptions | None = None, **kwargs: Any) -> Program:
    """Checks a program given as text; raises CompileError on any error in it.
    `options` and `kwargs` (fields of `CompileOptions`) say how to compile it."""
    resolved = _options(target, options, kwargs)
    return Program(_checked(text, filename, target), target, resolved)


def compile_file(path: str | Path, target: str = "numpy", options: CompileOptions | None = None,
                 **kwargs: Any) -> Program:
    """Checks the program in a `.tf` file; raises CompileError on any error in it.
    `options` and `kwargs` (fields of `CompileOptions`) say how to compile it."""
    resolved = _options(target, options, kwargs)
    try:
        text = read_source(path)
    except SourceError as err:
        name = printable(str(path))
        raise CompileError([Diagnostic(f"cannot read {name}: {err}", Span(name, 1, 1, 1, 1))]) from None
    return Program(_checked(text, str(path), target), target, resolved)


def _checked(text: str, filename: str, target: str) -> FrontendProgram:
    """The checked program; custom ops with no lowering for `target` are errors now, not at the first call."""
    try:
        frontend = load_and_check(text, filename)
    except (TfirError, MemoryError, KeyboardInterrupt):
        raise
    except Exception as err:  # noqa: BLE001 - a fault of the frontend: reported as a bug, with a reproducer
        raise crash.internal(err, crash.Reproducer(text, filename, target), "the frontend") from err
    missing = check_lowerings(frontend, target)
    if missing:
        raise CompileError(missing)
    return frontend


class Program:
    """A checked program; `prog["name"]` or `prog.name` is an entry function."""

    def __init__(self, frontend: FrontendProgram, target: str, options: CompileOptions):
        self.frontend = frontend
        self.target = target
        self.options = options
        self._functions: dict[str, Function] = {}

    @property
    def filename(self) -> str:
        return self.frontend.root.filename

    @property
    def entries(self) -> list[str]:
        return list(self.frontend.root.functions)

    def __getitem__(self, name: str) -> Function:
        if name not in self.frontend.root.functions:
            raise KeyError(f"no function '{name}' in {self.filename}{did_you_mean(name, self.entries)}")
        if name not in self._functions:
            self._functions[name] = Function(self, self.frontend.root.functions[name])
        return self._functions[name]

    def __getattr__(self, name: str) -> Function:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as err:
            raise AttributeError(str(err)) from None

    def source_line(self, filename: str, line: int) -> str:
        text = self.frontend.source_text(filename)
        if text is None:
            return linecache.getline(filename, line)
        rows = text.splitlines()
        return rows[line - 1] if 1 <= line <= len(rows) else ""


class Function:
    """An entry function: call it with NumPy arrays (positional or keyword)."""

    def __init__(self, program: Program, fn: ast.FnDef):
        self.program = program
        self.fn = fn
        self.name = fn.name
        self._cache: dict[Any, Compiled] = {}
        self._lock = threading.Lock()
        # Positional calls whose arrays match a signature seen before skip input
        # checking: the (dtype, shape) of every array decides validity.
        self._fast: dict[tuple[Any, ...], Callable[..., tuple[np.ndarray, ...]]] = {}
        self._all_tensors = not any(p.is_static for p in fn.params)

    @property
    def params(self) -> list[ast.Param]:
        return self.fn.params

    def __call__(self, /, *args: Any, **kwargs: Any) -> np.ndarray | tuple[np.ndarray, ...]:
        if not kwargs and self._all_tensors:
            try:
                run = self._fast[tuple((a.dtype, a.shape) for a in args)]
            except (AttributeError, KeyError):
                pass
            else:
                results = self.run_compiled(run, args)
                return results[0] if len(results) == 1 else results
        arrays, statics = self.bind_inputs(args, kwargs)
        compiled = self.specialize(arrays, statics)
        tensors = [arrays[p.name] for p in self.params if p.name in arrays]
        if not kwargs and self._all_tensors and len(args) == len(self.params) and all(
                type(a) is np.ndarray and arrays[p.name] is a for p, a in zip(self.params, args, strict=True)):
            self._fast[tuple((a.dtype, a.shape) for a in args)] = compiled.run
        results = self.run_compiled(compiled.run, tensors)
        return results[0] if len(results) == 1 else tuple(results)

    def specialize(self, arrays: dict[str, np.ndarray], statics: dict[str, Any]) -> Compiled:
        key = (tuple((n, a.dtype.str, a.shape) for n, a in arrays.items()), tuple(sorted(statics.items())))
        compiled = self._cache.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._cache.get(key)
                if compiled is None:
                    types = {n: TType(from_numpy(a.dtype) or "", a.shape) for n, a in arrays.items()}
                    compiled = self.compile(types, statics)
                    self._cache[key] = compiled
        return compiled

    def compile(self, types: dict[str, TType], statics: dict[str, Any]) -> Compiled:
        where = "the frontend"
        try:
            module = build_entry(self.program.frontend, self.name, types, statics)
            where = f"the {self.program.target} code generator"
            return build(module, self.name, self.program.target, self.program.source_line,
                         self.program.options, self._cache_key(types, statics))
        except (TfirError, MemoryError, KeyboardInterrupt) as err:
            if isinstance(err, InternalError):  # a pass's failure: the reproducer added, the cause kept
                crash.internal(err, self.reproducer(types, statics), where)
            raise
        except Exception as err:  # noqa: BLE001 - a fault of tfir: reported as a bug, with a reproducer
            raise crash.internal(err, self.reproducer(types, statics), where) from err

    def reproducer(self, types: dict[str, TType], statics: dict[str, Any]) -> crash.Reproducer:
        """What reproduces a fault in compiling or running this entry for `types`."""
        frontend = self.program.frontend
        return crash.Reproducer(
            frontend.root.source.text, self.program.filename, self.program.target, self.name,
            {n: (t.dtype, [int(d) for d in t.shape]) for n, t in types.items()},
            dict(statics), list(self.program.options.disable), files=crash.imported_files(frontend),
            verify_each=pipeline.VERIFY_EACH if self.program.options.verify_each is None
            else self.program.options.verify_each)

    def run_compiled(self, run: Callable[..., tuple[np.ndarray, ...]], tensors: Sequence[Any]) -> tuple[np.ndarray, ...]:
        """Runs compiled code; a crash of the generated code (not a program's own
        run-time error) is an internal error, with a reproducer."""
        try:
            return run(*tensors)
        except (TfirError, MemoryError, KeyboardInterrupt):
            raise
        except Exception as err:  # noqa: BLE001
            types = {p.name: TType(from_numpy(np.asarray(a).dtype) or "", np.shape(a))
                     for p, a in zip([p for p in self.params if not p.is_static], tensors, strict=False)}
            raise crash.internal(err, self.reproducer(types, {}),
                                 f"the generated {self.program.target} code") from err

    def _cache_key(self, types: dict[str, TType], statics: dict[str, Any]) -> str | None:
        if not self.program.options.cache:
            return None
        frontend = self.program.frontend
        texts = [f"{name}\n{f.source.text}" for name, f in sorted(frontend.files.items())]
        texts.append(load_prelude().source.text)
        signature = (sorted((n, str(t)) for n, t in types.items()), sorted(statics.items()))
        return cache.cache_key(texts, self.name, signature, self.program.target, self.program.options.key(),
                               [*sorted(REGISTRY.names()), plugins_fingerprint()])

    def graph(self, stage: str = "tf", **shapes: Any) -> Any:
        """The dataflow graph at the end of `stage` (tf, linalg, ...), drawn inline in
        Jupyter; `.save("g.svg")`. `shapes`: `dims={"B": 32}`, `inputs={...}`."""
        from tfir.inspect.graph import function_graph
        return function_graph(self, stage, **shapes)

    def explain(self, **shapes: Any) -> Any:
        """The `tfir explain` page, shown inline in Jupyter; `.save("r.html")`."""
        from tfir.inspect.report import function_report
        return function_report(self, **shapes)

    def on_dask(self, *args: Any, batch: str = "B", **kwargs: Any) -> Any:
        """The results of a call on Dask arrays chunked along dimension `batch`
        (other inputs: NumPy arrays), as lazy Dask arrays: those with the batch
        axis chunked like the inputs, the others combined over the chunks.
        The compiler splits the entry (`tfir lower FILE --batch B` shows how);
        an entry whose rows cannot be computed apart is a CompileError naming
        the op that mixes them. Needs the `dask` extra (docs/scaling.md)."""
        from tfir.dask import on_dask
        return on_dask(self, args, kwargs, batch)

    def bind_inputs(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return bind_inputs(self.fn, args, kwargs, self.program.options.cast_inputs)


__all__ = ["CompileError", "CompileOptions", "Compiled", "InputError", "Program", "Function", "TARGETS",
           "compile_file", "compile_source", "to_numpy"]
