"""`tfir bisect`: runs a program on the same inputs after every pass of a
target and names the first pass after which the results differ from eager.

The IR after each pass is run by what runs that level: the eager backend for
`tf` ops, the reference interpreter (linalg_interp.py) for linalg on
tensors, the NumPy code generator for everything on buffers (untiled,
tiled, scheduled or scalar loops), the Triton code generator for the device
level; then the target's own code generator on the final IR. The same walk
checks the `verify-each` contract: the IR verifies after every pass, and each
stage's contract (lowering/utils/contracts.py) holds after its last pass. The
first pass that breaks either, or whose IR a level's runner cannot run, is
reported as such.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.printer import Printer

from tfir import api, pipeline
from tfir.backends.registry import BACKENDS
from tfir.backends.triton.runtime import quiet_interpreter
from tfir.dialects.dtypes import from_numpy
from tfir.dialects.registry import TType
from tfir.errors import InputError, TfirError
from tfir.frontend import ast
from tfir.frontend.driver import build_entry
from tfir.inputs import random_inputs
from tfir.lowering.utils.contracts import CONTRACTS, check_uses
from tfir.testing import linalg_interp
from tfir.testing.oracle import differs

SHOW_LINES = 80  # IR shown in full up to this many lines, else as a diff
Runner = Callable[[ModuleOp, str, Sequence[np.ndarray]], list[np.ndarray]]


def _run_backend(name: str) -> Runner:
    def run(module: ModuleOp, entry: str, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        backend = BACKENDS[name]
        code, _ = backend.compile(module.clone(), entry, None, backend.options_type(), f"<bisect-{name}>")
        with quiet_interpreter(), np.errstate(all="ignore"):
            return [np.asarray(r) for r in code(*inputs)]
    return run


def _run_linalg(module: ModuleOp, entry: str, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    with np.errstate(all="ignore"):
        return [np.asarray(r) for r in linalg_interp.run(module.clone(), entry, *inputs)]


def runner_for(module: ModuleOp) -> tuple[str, Runner]:
    """What runs IR of this level, by the ops and types it holds."""
    names = {op.name for op in module.walk()}
    if any(n.startswith("tf.") for n in names):
        return "eager", _run_backend("eager")
    if "device.launch" in names:
        return "triton code", _run_backend("triton")
    if any(isinstance(t, TensorType) for op in module.walk() for t in (*op.operand_types, *op.result_types)):
        return "linalg interpreter", _run_linalg
    return "numpy code", _run_backend("numpy")


@dataclass
class StepResult:
    name: str  # the pass (or "frontend", or "<target> code generator")
    stage: str
    runner: str = ""
    status: str = "ok"  # ok | differs | crashes | broken | not run
    detail: str = ""
    ir: str = ""


@dataclass
class BisectReport:
    filename: str
    entry: str
    target: str
    steps: list[StepResult] = field(default_factory=list)
    culprit: int | None = None  # index into steps
    reference: list[np.ndarray] = field(default_factory=list)
    got: list[np.ndarray] = field(default_factory=list)

    def text(self, show_ir: bool = True) -> str:
        lines = [f"bisect {self.filename}: entry {self.entry}, target {self.target}"]
        for s in self.steps:
            mark = {"ok": "ok", "differs": "DIFFERS", "crashes": "CRASHES", "broken": "BROKEN",
                    "not run": "-"}[s.status]
            lines.append(f"  {s.stage:12} {s.name:32} {mark:8} {s.runner}"
                         + (f": {s.detail}" if s.detail and s.status != "ok" else ""))
        if self.culprit is None:
            lines.append("every pass keeps the results of eager, and every IR verifies")
            return "\n".join(lines)
        bad = self.steps[self.culprit]
        what = {"differs": "the results differ from eager", "crashes": "the code run for the IR crashes",
                "broken": "the IR is broken"}[bad.status]
        lines.append(f"first pass after which {what}: '{bad.name}' (stage {bad.stage})")
        if bad.status == "differs":
            lines += _values(self.reference, self.got)
        if show_ir:
            before = self.steps[self.culprit - 1].ir if self.culprit else ""
            if before.count("\n") + bad.ir.count("\n") <= SHOW_LINES:
                lines += ["", f"--- IR before '{bad.name}' ---", before.rstrip(), "",
                          f"--- IR after '{bad.name}' ---", bad.ir.rstrip()]
            else:  # a long program: what the pass changed (--dump-dir writes both in full)
                diff = list(difflib.unified_diff(before.splitlines(), bad.ir.splitlines(),
                                                 f"IR before '{bad.name}'", f"IR after '{bad.name}'", lineterm=""))
                lines += ["", *diff[:SHOW_LINES]] + (["..."] if len(diff) > SHOW_LINES else [])
        return "\n".join(lines)

    def dump(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for i, s in enumerate(self.steps):
            (folder / f"{i:02d}-{s.name.replace(' ', '_')}.mlir").write_text(s.ir)


def _values(reference: list[np.ndarray], got: list[np.ndarray]) -> list[str]:
    out = []
    for i, (w, g) in enumerate(zip(reference, got, strict=False)):
        if w.shape != g.shape or w.dtype != g.dtype:
            out.append(f"  result {i}: eager {w.dtype}{list(w.shape)}, here {g.dtype}{list(g.shape)}")
            continue
        bad = np.argwhere(~(np.isclose(g, w, equal_nan=True) | (g == w))) if w.dtype.kind == "f" \
            else np.argwhere(g != w)
        for idx in bad[:5]:
            at = tuple(int(x) for x in idx)
            out.append(f"  result {i}{list(at)}: eager {w[at].item()!r}, here {g[at].item()!r}")
        if len(bad) > 5:
            out.append(f"  result {i}: {len(bad)} elements differ")
    return out


def _print(module: ModuleOp) -> str:
    out = io.StringIO()
    Printer(stream=out).print_op(module)
    return out.getvalue()


def bisect_file(path: str, target: str = "numpy", entry: str | None = None, dims: dict[str, int] | None = None,
                inputs: dict[str, str] | None = None, seed: int = 0) -> BisectReport:
    """Bisects the program in `path` (inputs: name -> .npy path; the others seeded random)."""
    prog = api.compile_file(path, target="eager", cache=False)
    name = entry or prog.entries[-1]
    given = {}
    for key, file in (inputs or {}).items():
        try:
            given[key] = np.load(file, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise InputError(f"cannot load --input {key}={file}: {err}") from None
    fn = prog[name].fn
    sizes = {d: 3 for p in fn.params if isinstance(p.type, ast.TensorTypeExpr) for d in p.type.dims
             if isinstance(d, str)}  # symbolic dims no input fixes: 3, unless --dim says
    sizes.update(dims or {})
    return bisect(prog, name, target, random_inputs(fn, given, sizes, seed))


def bisect(prog: api.Program, entry: str, target: str, args: dict[str, Any],
           disable: Sequence[str] = ()) -> BisectReport:
    """Runs `entry` of `prog` on `args` after every pass of `target`; the report."""
    if target not in pipeline.COMPILED:
        raise TfirError(f"unknown target {target!r}; bisect takes {', '.join(sorted(pipeline.COMPILED))}")
    fn = prog[entry]
    arrays, statics = fn.bind_inputs((), args)
    types = {n: TType(from_numpy(a.dtype) or "", a.shape) for n, a in arrays.items()}
    tensors = [arrays[p.name] for p in fn.params if p.name in arrays]
    module = build_entry(prog.frontend, entry, types, statics)
    report = BisectReport(prog.filename, entry, target)
    first = StepResult("frontend", "tf", ir=_print(module))
    report.steps.append(first)
    # The eager target's results: its pipeline expands `tf.gradients` (differentiate),
    # which no runner of the frontend's IR does.
    with quiet_interpreter(), np.errstate(all="ignore"):
        out = fn(**args)
    report.reference = [np.asarray(r) for r in (out if isinstance(out, tuple) else (out,))]
    if _compare(first, module, entry, tensors, report):
        return report
    ctx = pipeline.make_context()
    steps = [s for s in pipeline.steps_for(target) if s.pass_name not in disable]
    for i, step in enumerate(steps):
        result = StepResult(step.pass_name, step.stage)
        report.steps.append(result)
        try:
            pipeline.make_pass(step, None, target).apply(ctx, module)
            module.verify()
            check_uses(module)
            if step.stage in CONTRACTS and not any(s.stage == step.stage for s in steps[i + 1:]):
                CONTRACTS[step.stage](module)
        except Exception as err:  # noqa: BLE001 - the pass broke the IR: that is the finding
            result.status, result.detail = "broken", f"{type(err).__name__}: {err}"
            result.ir = _print(module)
            report.culprit = len(report.steps) - 1
            return report
        result.ir = _print(module)
        if _compare(result, module, entry, tensors, report):
            return report
    if target in BACKENDS:  # the code generator on the final IR
        final = StepResult(f"{target} code generator", "codegen", f"{target} code", ir=report.steps[-1].ir)
        report.steps.append(final)
        _compare(final, module, entry, tensors, report, _run_backend(target))
    return report


def _compare(result: StepResult, module: ModuleOp, entry: str, tensors: list[np.ndarray],
             report: BisectReport, runner: Runner | None = None) -> bool:
    """Runs the step's IR and compares with eager; True when it is the culprit."""
    if runner is None:
        result.runner, runner = runner_for(module)
    try:
        got = runner(module, entry, tensors)
    except Exception as err:  # noqa: BLE001 - a level whose IR cannot run: noted, not blamed ...
        result.status, result.detail = "not run", f"{type(err).__name__}: {str(err)[:160]}"
        # ... unless the same runner ran the IR before this pass, or it is the target's own code
        before = next((s for s in reversed(report.steps[:-1]) if s.runner), None)
        if result.stage == "codegen" or (before is not None and before.runner == result.runner
                                          and before.status == "ok"):
            result.status = "crashes"
            report.culprit = len(report.steps) - 1
            return True
        return False
    if differs(got, report.reference, 1e-4):
        result.status = "differs"
        report.culprit, report.got = len(report.steps) - 1, got
        return True
    return False
