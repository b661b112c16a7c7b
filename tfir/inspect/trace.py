"""Running the pipeline of `tfir.pipeline` and keeping a `Stage` (the IR, its
time and op counts) after every pass: the data behind `tfir lower`, the dumps,
the timing table, the graph and the HTML report.

Passes that are not importable yet (or fail to import) are not a crash: the
trace skips them and says which ones it skipped and why (`Trace.missing`); a
later pass that needed one of them then fails, naming itself.
A pass that raises or leaves IR that does not verify is a compiler bug: the
trace keeps the stages before it and holds the `PassFailed` (`Trace.failure`).
"""

from __future__ import annotations

import ast as pyast
import html
import io
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xdsl.dialects.builtin import ModuleOp
from xdsl.printer import Printer

from tfir.api import Program, compile_file, compile_source
from tfir.backends.registry import BACKENDS
from tfir.dialects.dtypes import from_numpy
from tfir.dialects.registry import TType
from tfir.errors import InputError, InternalError, PluginError, did_you_mean
from tfir.frontend import ast
from tfir.frontend.dims import eval_dim
from tfir.frontend.driver import build_entry
from tfir.inputs import check_declared, input_array, static_value
from tfir.lowering.utils import fusion_decisions
from tfir.lowering.utils.fusion_decisions import Decision
from tfir.pipeline import (
    STAGES,
    PassFailed,
    Step,
    make_pass,
    pass_class,
    run_pipeline,
    steps_for,
)
from tfir.plugin import load_plugin

DEFAULT_DIM = 4
FRONTEND = "frontend"  # the pseudo-pass whose "output" is the IR the frontend built


@dataclass
class Stage:
    """The IR after one pass (or, for `pass_name == "frontend"`, as built)."""

    index: int
    pass_name: str
    stage: str
    options: dict[str, object]
    ir: str
    seconds: float
    ops_before: int
    ops_after: int
    changed: bool
    spec: str = ""  # the pass as a pipeline spec with its options: `fold-constants{max_elements=65536}`
    ir_with_locations: str = field(default="", repr=False)

    @property
    def title(self) -> str:
        return f"{self.pass_name} (stage {self.stage})" if not self.spec else f"{self.spec} (stage {self.stage})"

    @property
    def header(self) -> str:
        """The line above this stage's IR in dumps, as MLIR's `--mlir-print-ir-after` writes it."""
        if self.pass_name == FRONTEND:
            return f"// -----// IR from the frontend [stage {self.stage}] //----- //"
        return f"// -----// IR Dump After {self.spec or self.pass_name} [stage {self.stage}] //----- //"

    def __str__(self) -> str:
        return f"{self.header}\n{self.ir}"

    def _repr_html_(self) -> str:  # Jupyter shows a Stage as its IR
        return (f"<b>{html.escape(self.title)}</b> {self.seconds * 1e3:.2f} ms, "
                f"ops {self.ops_before} &rarr; {self.ops_after}{'' if self.changed else ' (no change)'}"
                f"<pre>{html.escape(self.ir)}</pre>")


@dataclass
class Trace:
    """One lowering of one entry: the stages, and why it stopped early if it did."""

    filename: str
    entry: str
    target: str
    program: Program
    stages: list[Stage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # skipped pass -> "pass 'x' is not available: ..."
    failure: PassFailed | None = None
    module: ModuleOp | None = field(default=None, repr=False)  # the IR after the last pass that ran
    # A copy of the IR at the end of the stages that `graph` draws (tf, linalg).
    stage_modules: dict[str, ModuleOp] = field(default_factory=dict, repr=False)
    # With `explain_fusion`: the producer/consumer pairs fuse-elementwise left
    # unfused and why; None when not asked for or when the pass did not run.
    fusion: list[Decision] | None = None

    @property
    def complete(self) -> bool:
        return not self.missing and self.failure is None


# -- printing and counting ----------------------------------------------------------


def print_ir(module: ModuleOp, locations: bool = False) -> str:
    out = io.StringIO()
    Printer(stream=out, print_debuginfo=locations).print_op(module)
    return out.getvalue().rstrip("\n")


def count_ops(module: ModuleOp) -> int:
    """Ops in the module, nested ones included, the module itself not."""
    return sum(1 for _ in module.walk()) - 1


def pass_spec(step: Step, target: str | None = None) -> tuple[dict[str, object], str]:
    """A pass's options (defaults included) and its spec, `name{opt=value}`."""
    try:
        instance = make_pass(step, None, target)
    except Exception:  # noqa: BLE001 - an unavailable pass is reported elsewhere
        return dict(step.options), step.pass_name
    spec = instance.pipeline_pass_spec(include_default=True)
    options = {name: (vals[0] if len(vals) == 1 else vals) for name, vals in spec.parameters.items()}
    return options, str(spec)


def unavailable(pass_name: str) -> str | None:
    """Why a pass cannot be imported (it may not be written yet), or None."""
    try:
        pass_class(pass_name)
    except Exception as err:  # noqa: BLE001 - any import problem means "not available"
        return f"pass '{pass_name}' is not available: {type(err).__name__}: {err}"
    return None


# -- loading a program and choosing the input signature -------------------------------


def load(path_or_source: str | Path, plugins: list[str] | tuple[str, ...] = ()) -> Program:
    """A checked program from a path or from source text."""
    for plugin in plugins:
        try:
            load_plugin(plugin)
        except PluginError as err:
            raise InputError(str(err)) from None
    if isinstance(path_or_source, Path) or ("\n" not in path_or_source and path_or_source.endswith(".tf")):
        return compile_file(path_or_source, target="eager")
    return compile_source(path_or_source, "<string>", target="eager")


def entry_name(prog: Program, entry: str | None) -> str:
    if entry is None:
        if not prog.entries:
            raise InputError(f"{prog.filename} defines no function")
        return prog.entries[-1]
    if entry not in prog.entries:
        raise InputError(f"no function '{entry}' in {prog.filename}{did_you_mean(entry, prog.entries)}")
    return entry


def signature(fn: ast.FnDef, dims: Mapping[str, int] | None, inputs: Mapping[str, Any] | None
              ) -> tuple[dict[str, TType], dict[str, Any], list[str]]:
    """Concrete argument types and static values for `fn`, and notes about the
    sizes it had to choose. Arrays in `inputs` fix their parameter's type and
    bind its symbolic dims; other symbolic dims come from `dims`, else DEFAULT_DIM."""
    inputs = dict(inputs or {})
    params = {p.name: p for p in fn.params}
    for name in inputs:
        if name not in params:
            raise InputError(f"'{fn.name}' has no input '{name}'{did_you_mean(name, params)}")
    # The checks of the Python API, on just the parameters given here.
    statics = {n: static_value(params[n], v) for n, v in inputs.items() if params[n].is_static}
    arrays = {n: input_array(params[n], v) for n, v in inputs.items() if not params[n].is_static}
    seen: dict[str, tuple[int, str]] = {}
    for name, arr in arrays.items():
        if isinstance(params[name].type, ast.TensorTypeExpr):
            check_declared(params[name], arr, seen)
    bound = dict(dims or {})
    for name, arr in arrays.items():
        t = params[name].type
        if isinstance(t, ast.TensorTypeExpr):
            for d, size in zip(t.dims, arr.shape, strict=True):
                if isinstance(d, str) and bound.setdefault(d, size) != size:
                    raise InputError(f"dimension {d} is bound two ways: {bound[d]} by --dim and "
                                     f"{size} by the array given for '{name}'")
    types: dict[str, TType] = {}
    notes: list[str] = []
    for p in fn.params:
        if p.name in arrays:
            types[p.name] = TType(from_numpy(arrays[p.name].dtype) or "", arrays[p.name].shape)
        elif p.is_static:
            if p.default is None and p.name not in statics:
                raise InputError(f"static parameter '{p.name}' of '{fn.name}' has no default: "
                                 f"give its value (--input {p.name}=VALUE)")
        elif not isinstance(p.type, ast.TensorTypeExpr):
            raise InputError(f"parameter '{p.name}' of '{fn.name}' is generic (no declared type), so its "
                             f"shape is unknown: give an array for it (--input {p.name}=FILE.npy)")
        else:
            for d in p.type.dims:
                if isinstance(d, str):
                    _size(d, bound, notes)
    for p in fn.params:
        if isinstance(p.type, ast.TensorTypeExpr) and p.name not in arrays and not p.is_static:
            values = {**bound, **{n: v for n, v in statics.items() if isinstance(v, int)}}
            types[p.name] = TType(p.type.dtype, tuple(
                d if isinstance(d, int) else values[d] if isinstance(d, str) else eval_dim(d, values.get)
                for d in p.type.dims))
    return types, statics, notes


def _size(dim: int | str, bound: dict[str, int], notes: list[str]) -> int:
    if isinstance(dim, int):
        return dim
    if dim not in bound:
        bound[dim] = DEFAULT_DIM
        notes.append(f"note: dimension {dim} is not given: using {dim}={DEFAULT_DIM} (pass --dim {dim}=SIZE)")
    return bound[dim]


def parse_static(text: str) -> Any:
    """A static value written on the command line: `3`, `0.5`, `true`, `[0, 1]`."""
    lowered = {"true": "True", "false": "False"}.get(text, text)
    try:
        return pyast.literal_eval(lowered)
    except (ValueError, SyntaxError):
        raise InputError(f"cannot read the static value {text!r} (expected a number, true/false or [ints])") from None


# -- running ------------------------------------------------------------------------

StageCallback = Callable[[Stage], None]


def check_pass_name(target: str, name: str | None, what: str) -> None:
    if name is None:
        return
    names = [s.pass_name for s in steps_for(target)]
    if name not in names:
        raise InputError(f"{what}: no pass '{name}' in the {target} pipeline{did_you_mean(name, names)} "
                         f"(its passes: {', '.join(names) or 'none'})")


def plan(target: str, stop_after: str | None = None) -> tuple[list[Step], dict[str, str]]:
    """The steps that will run (up to `stop_after`), and why each unavailable one is skipped."""
    runnable: list[Step] = []
    missing: dict[str, str] = {}
    for step in steps_for(target):
        why = unavailable(step.pass_name)
        if why is None:
            runnable.append(step)
        else:
            missing[step.pass_name] = why
        if step.pass_name == stop_after:
            break
    return runnable, missing


def trace(prog: Program, entry: str | None = None, target: str = "numpy", *,
          dims: Mapping[str, int] | None = None, inputs: Mapping[str, Any] | None = None,
          stop_after: str | None = None, verify_each: bool = True,
          on_stage: StageCallback | None = None, explain_fusion: bool = False) -> Trace:
    """Builds the `tf` IR of `entry` and runs `target`'s pipeline on it, keeping every stage.
    With `explain_fusion`, `fuse-elementwise` records why it left each pair
    unfused (`Trace.fusion`); the record is taken off the IR at once, so every
    stage prints as it does without it."""
    check_pass_name(target, stop_after, "--stop-after")
    name = entry_name(prog, entry)
    types, statics, notes = signature(prog[name].fn, dims, inputs)
    result = Trace(prog.filename, name, target, prog, notes=notes)
    start = time.perf_counter()
    module = build_entry(prog.frontend, name, types, statics)
    _record(result, Step("tf", FRONTEND), module, time.perf_counter() - start, on_stage)
    result.module = module
    if verify_each:  # else the first pass would be blamed for the frontend's IR
        try:
            module.verify()
        except Exception as err:  # noqa: BLE001 - reported like a pass that broke the IR
            result.failure = PassFailed(Step("tf", FRONTEND), err)
            return result
    runnable, result.missing = plan(target, stop_after)
    if not runnable:
        return result
    skipped = [s.pass_name for s in steps_for(target) if s not in runnable]
    try:
        run_pipeline(module, target, disable=skipped, verify_each=verify_each, stop_after=runnable[-1],
                     pass_options={FUSE: {"explain": True}} if explain_fusion else None,
                     observer=lambda step, mod, secs: _observe(result, step, mod, secs, on_stage))
    except PassFailed as err:
        result.failure = err
    return result


FUSE = "fuse-elementwise"


def _observe(result: Trace, step: Step, module: ModuleOp, seconds: float, on_stage: StageCallback | None) -> None:
    if step.pass_name == FUSE and fusion_decisions.has_decisions(module):
        result.fusion = fusion_decisions.take_decisions(module)
    _record(result, step, module, seconds, on_stage)


def _record(result: Trace, step: Step, module: ModuleOp, seconds: float, on_stage: StageCallback | None) -> None:
    ir = print_ir(module)
    prev = result.stages[-1] if result.stages else None
    options, spec = pass_spec(step, result.target) if step.pass_name != FRONTEND else ({}, FRONTEND)
    stage = Stage(index=len(result.stages), pass_name=step.pass_name, stage=step.stage, options=options,
                  ir=ir, seconds=seconds, ops_before=prev.ops_after if prev else 0,
                  ops_after=count_ops(module), changed=prev is None or prev.ir != ir, spec=spec,
                  ir_with_locations=print_ir(module, locations=True))
    result.stages.append(stage)
    if step.stage in ("tf", "linalg"):
        result.stage_modules[step.stage] = module.clone()
    if on_stage is not None:
        on_stage(stage)


def stage_output(stages: list[Stage], stage: str) -> Stage:
    """The last Stage of pipeline stage `stage` (its output IR)."""
    if stage not in STAGES:
        raise InputError(f"unknown stage {stage!r}{did_you_mean(stage, STAGES)} (stages: {', '.join(STAGES)})")
    found = [s for s in stages if s.stage == stage]
    if not found:
        raise InputError(f"stage '{stage}' was not reached (the last IR is after '{stages[-1].pass_name}', "
                         f"stage {stages[-1].stage})")
    return found[-1]


def lower(path_or_source: str | Path, entry: str | None = None, target: str = "numpy",
          dims: Mapping[str, int] | None = None, inputs: Mapping[str, Any] | None = None) -> list[Stage]:
    """The IR after every pass of `target`'s pipeline, for a notebook or a test.

    The first Stage is the `tf` IR the frontend built (pass name "frontend").
    Symbolic dims take their sizes from `dims`, from the arrays in `inputs`, or
    DEFAULT_DIM (with a warning); generic parameters need an array in `inputs`.
    A pass that is not available yet is skipped, with a warning.
    Raises `PassFailed` when a pass breaks the IR (a compiler bug)."""
    result = trace(load(path_or_source), entry, target, dims=dims, inputs=inputs)
    for note in result.notes:
        warnings.warn(note.removeprefix("note: "), stacklevel=2)
    if result.failure is not None:
        raise result.failure
    for why in result.missing.values():
        warnings.warn(f"{why}: skipped", stacklevel=2)
    return result.stages


def generate_code(result: Trace) -> str:
    """The code generator's output for a complete trace; InputError when there is none."""
    if result.target not in BACKENDS:  # a pipeline only (target mlir): no code generator
        raise InputError(f"target {result.target} has no code generator")
    backend = BACKENDS[result.target]
    if result.missing:
        raise InputError(f"cannot generate {result.target} code: {next(iter(result.missing.values()))}")
    assert result.module is not None
    try:
        return backend.generate(result.module, result.entry, result.program.source_line,
                                backend.options_type())
    except Exception as err:  # noqa: BLE001 - reported as the code generator's bug
        raise CodegenFailed(f"the {result.target} code generator failed: {type(err).__name__}: {err}") from err


class CodegenFailed(InternalError):
    """The code generator raised on IR that the pipeline produced: a compiler bug."""
