"""An entry split along its batch dimension, and its pieces compiled where
they run: what `Function.on_dask` (tfir/dask.py) and `tfir lower --batch`
use. No Dask here.

The entry is specialized for the whole batch (N rows), the `tf` stage of the
pipeline runs (calls inlined, gradients expanded), then the `split-batch`
pass (lowering/split_batch/) makes the functions `<entry>_chunk` (on `rows`
rows), `<entry>_combine` and `<entry>_finalize`. Each becomes a `Piece`: the
IR text of a module holding that function alone, which any process (a Dask
worker) parses and compiles once (`runner`), taking the generated code from
the disk cache when another process compiled it first.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import DenseArrayBase, DictionaryAttr, IntegerAttr, ModuleOp
from xdsl.parser import Parser
from xdsl.printer import Printer

from tfir import cache
from tfir.compiler import build
from tfir.dialects.context import make_context
from tfir.dialects.dtypes import from_xdsl
from tfir.dialects.plugins import CUSTOM_OPS, load_plugin
from tfir.dialects.registry import REGISTRY, TType
from tfir.errors import CompileError, Diagnostic, InputError
from tfir.frontend import ast
from tfir.frontend.driver import build_entry
from tfir.lowering.utils.split_attrs import SPLIT_ATTR
from tfir.options import CompileOptions
from tfir.pipeline import VERIFY_EACH, PassFailed, Step, pass_class, run_pipeline, steps_for
from tfir.plugin import plugins_fingerprint

if TYPE_CHECKING:
    from tfir.api import Function


def batch_axes(fn: ast.FnDef, batch: str) -> dict[str, int]:
    """The tensor parameters of `fn` whose declared type has dimension `batch`, and its axis."""
    out = {}
    for p in fn.params:
        if isinstance(p.type, ast.TensorTypeExpr) and batch in p.type.dims:
            if p.type.dims.count(batch) > 1:
                raise InputError(f"parameter '{p.name}' of '{fn.name}' has dimension {batch} twice "
                                 f"({p.type.dtype}[{', '.join(map(str, p.type.dims))}]): which axis to split is unclear")
            out[p.name] = p.type.dims.index(batch)
    if not out:
        dims = sorted({d for p in fn.params if isinstance(p.type, ast.TensorTypeExpr)
                       for d in p.type.dims if isinstance(d, str)})
        raise InputError(f"no parameter of '{fn.name}' has dimension {batch} to split along"
                         + (f" (its symbolic dimensions: {', '.join(dims)})" if dims else ""))
    return out


# -- pieces, compiled once per process --------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """One function of a split entry: the text of a module holding it alone,
    and how to compile it. Small and picklable: Dask sends it to each worker."""

    name: str
    ir: str
    target: str
    options: tuple[tuple[str, Any], ...]  # CompileOptions' fields, picklable
    files: tuple[tuple[str, str], ...] = ()  # the program's sources, for the code's `# file.tf:LINE`
    plugins: tuple[str, ...] = ()  # modules defining custom ops still in the IR
    key: str = field(default="", compare=False)

    def __call__(self, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
        return runner(self)(*arrays)


_RUNNERS: dict[str, Callable[..., tuple[np.ndarray, ...]]] = {}
_LOCK = threading.Lock()
COMPILES: Counter[str] = Counter()
"""How many times this process compiled each piece (by key): once, whatever the number of chunks."""
COMPILE_SECONDS: dict[str, float] = {}


def runner(piece: Piece) -> Callable[..., tuple[np.ndarray, ...]]:
    """The compiled function of `piece`, compiled on first use in this process."""
    run = _RUNNERS.get(piece.key)
    if run is None:
        with _LOCK:  # the worker's threads wait for one compilation
            run = _RUNNERS.get(piece.key)
            if run is None:
                start = time.perf_counter()
                run = _compile(piece)
                COMPILE_SECONDS[piece.key] = time.perf_counter() - start
                COMPILES[piece.key] += 1
                _RUNNERS[piece.key] = run
    return run


def compile_stats() -> dict[str, tuple[int, float]]:
    """This process's compilations: piece key -> (count, seconds of the first)."""
    return {k: (n, COMPILE_SECONDS[k]) for k, n in COMPILES.items()}


class _SourceLines:
    def __init__(self, files: tuple[tuple[str, str], ...]):
        self.files = dict(files)

    def __call__(self, filename: str, line: int) -> str:
        rows = self.files.get(filename, "").splitlines()
        return rows[line - 1] if 1 <= line <= len(rows) else ""


def _compile(piece: Piece) -> Callable[..., tuple[np.ndarray, ...]]:
    for module in piece.plugins:
        load_plugin(module)
    options = CompileOptions.of(**dict(piece.options))
    module = Parser(make_context(), piece.ir).parse_module()
    key = None
    if options.cache:
        key = cache.cache_key([piece.ir], piece.name, "split-batch", piece.target, options.key(),
                              [*sorted(REGISTRY.names()), plugins_fingerprint()])
    return build(module, piece.name, piece.target, _SourceLines(piece.files), options, key).run


def _options_state(options: CompileOptions) -> tuple[tuple[str, Any], ...]:
    backend = options.backend_options
    return (("disable", tuple(options.disable)),
            ("pass_options", {k: dict(v) for k, v in options.pass_options.items()}),
            ("verify_each", options.verify_each), ("cache", options.cache),
            ("backend_options", dict(backend) if isinstance(backend, Mapping) else backend),
            ("cast_inputs", options.cast_inputs))


# -- the split -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SplitPlan:
    """How the pieces of a split entry make its results (see lowering/split_batch)."""

    entry: str
    batch: int  # rows of the whole batch
    rows: int  # rows of a chunk
    row_results: tuple[int, ...]
    row_axes: tuple[int, ...]
    final_results: tuple[int, ...]
    partials: int
    finalize_args: tuple[int, ...]  # indices into the entry's tensor arguments
    chunk: Piece
    combine: Piece | None
    finalize: Piece | None
    module: str  # the split module as printed (`tfir lower --batch`)


class SplitEntry:
    """Entry `function` split along dimension `batch`, for arguments of
    `types` (the whole batch) and static values `statics`."""

    def __init__(self, function: Function, batch: str, types: dict[str, TType], statics: dict[str, Any]):
        self.function = function
        self.batch = batch
        self.types = types
        self.statics = statics
        axes = batch_axes(function.fn, batch)
        self.tensor_params = [p.name for p in function.params if p.name in types]
        self.axes = tuple(axes.get(name, -1) for name in self.tensor_params)
        self.size = next(types[n].shape[a] for n, a in zip(self.tensor_params, self.axes, strict=True) if a >= 0)
        self._plans: dict[int, SplitPlan] = {}
        self._lock = threading.Lock()
        self.result_types: list[TType] = []

    def plan(self, rows: int) -> SplitPlan:
        with self._lock:
            if rows not in self._plans:
                self._plans[rows] = self._split(rows)
            return self._plans[rows]

    def _split(self, rows: int) -> SplitPlan:
        program = self.function.program
        module = build_entry(program.frontend, self.function.name, self.types, self.statics)
        # The tf stage of the target's pipeline; the eager target has none, so numpy's (its IR runs eagerly).
        target = program.target if any(s.pass_name == "inline-calls" for s in steps_for(program.target)) \
            else "numpy"
        tf_steps = [s for s in steps_for(target) if s.stage == "tf"]
        verify = VERIFY_EACH if program.options.verify_each is None else program.options.verify_each
        run_pipeline(module, target, disable=program.options.disable, stop_after=tf_steps[-1], verify_each=verify)
        entry = next(f for f in module.ops if isinstance(f, func.FuncOp) and f.sym_name.data == self.function.name)
        self.result_types = [TType(from_xdsl(t.get_element_type()), tuple(t.get_shape()))
                             for t in entry.function_type.outputs.data]  # type: ignore[attr-defined]
        split_pass = pass_class("split-batch")(entry=self.function.name, batch_axes=self.axes, rows=rows)
        try:
            split_pass.apply(make_context(), module)
            module.verify()
        except CompileError as err:
            raise self._explained(err) from None
        except Exception as err:  # noqa: BLE001 - a compiler bug, named by its pass
            raise PassFailed(Step("tf", "split-batch"), err) from err
        return self._plan(module, rows)

    def _explained(self, err: CompileError) -> CompileError:
        """The pass's diagnostics with the entry, the dimension, the source line,
        and the call of the source the op comes from (`softmax(...)`)."""
        program = self.function.program.frontend
        out = []
        for d in err.diagnostics:
            text = program.source_text(d.filename)
            call = _called(text, d.line, d.column)
            what = f"{call}(...) mixes the rows of the batch: " if call else ""
            out.append(Diagnostic(f"cannot split '{self.function.name}' along dimension {self.batch}: "
                                  f"{what}{d.message}", d.span, d.notes, text))
        return CompileError(out)

    def _plan(self, module: ModuleOp, rows: int) -> SplitPlan:
        funcs = {f.sym_name.data: f for f in module.ops if isinstance(f, func.FuncOp)}
        name = self.function.name
        chunk = funcs[f"{name}_chunk"]
        attrs = chunk.attributes[SPLIT_ATTR]
        assert isinstance(attrs, DictionaryAttr)
        info = attrs.data

        def ints(key: str) -> tuple[int, ...]:
            value = info[key]
            assert isinstance(value, DenseArrayBase)
            return tuple(int(v) for v in value.get_values())

        partials = info["partials"]
        assert isinstance(partials, IntegerAttr)
        text = str(module)
        del chunk.attributes[SPLIT_ATTR]  # the pieces' code does not depend on N
        return SplitPlan(name, self.size, rows, ints("row_results"), ints("row_axes"), ints("final_results"),
                         partials.value.data, ints("finalize_args"), self._piece(chunk),
                         self._piece(funcs.get(f"{name}_combine")), self._piece(funcs.get(f"{name}_finalize")),
                         text)

    def _piece(self, fn: func.FuncOp | None) -> Any:
        if fn is None:
            return None
        program = self.function.program
        out = io.StringIO()
        Printer(stream=out, print_debuginfo=True).print_op(ModuleOp([fn.clone()]))  # locations: the contracts'
        text = out.getvalue()
        options = _options_state(program.options)
        files = tuple((n, f.source.text) for n, f in sorted(program.frontend.files.items()))
        plugins = tuple(sorted({m for op in CUSTOM_OPS.values() for m in op.modules}))
        key = hashlib.sha256(repr((text, fn.sym_name.data, program.target, program.options.key())).encode())
        return Piece(fn.sym_name.data, text, program.target, options, files, plugins, key.hexdigest())


def _called(text: str | None, line: int, column: int) -> str | None:
    """The function called at `line:column` of `text`, if a call starts there."""
    rows = (text or "").splitlines()
    if not 1 <= line <= len(rows):
        return None
    found = re.match(r"([A-Za-z_]\w*)\s*\(", rows[line - 1][column - 1:])
    return found.group(1) if found else None


# -- running the pieces in this process --------------------------------------------------------


def chunk_bounds(size: int, rows: int) -> list[tuple[int, int]]:
    return [(start, min(start + rows, size)) for start in range(0, size, rows)] or [(0, 0)]


def run_local(split: SplitEntry, tensors: list[np.ndarray], rows: int) -> tuple[np.ndarray, ...]:
    """The entry's results computed chunk by chunk in this process, as a Dask
    cluster computes them (partial results combined left to right): the
    reference the tests compare a cluster's results with."""
    outs: list[tuple[np.ndarray, ...]] = []
    plan = split.plan(rows)
    for start, stop in chunk_bounds(split.size, rows):
        part = split.plan(stop - start)
        args = [t if a < 0 else np.take(t, np.arange(start, stop), axis=a)
                for t, a in zip(tensors, split.axes, strict=True)]
        outs.append(part.chunk(*args))
    results: list[np.ndarray | None] = [None] * (len(plan.row_results) + len(plan.final_results))
    for j, (i, axis) in enumerate(zip(plan.row_results, plan.row_axes, strict=True)):
        results[i] = np.concatenate([o[j] for o in outs], axis=axis)
    if plan.finalize is not None:
        n = len(plan.row_results)
        total = tuple(outs[0][n:])
        for o in outs[1:]:
            assert plan.combine is not None
            total = plan.combine(*total, *o[n:])
        finals = plan.finalize(*total, *[tensors[i] for i in plan.finalize_args])
        for i, value in zip(plan.final_results, finals, strict=True):
            results[i] = value
    assert all(r is not None for r in results)
    return tuple(results)  # type: ignore[arg-type]
