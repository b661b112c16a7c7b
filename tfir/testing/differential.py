"""The differential tester: a generated program is run by eager and by every
compiled target on the same inputs. Eager must give the generator's own
NumPy reference (within rounding), and every target must give eager's
results (within rounding; bit for bit where the values are exact).

A failure is one of: `reject` (a valid program got a diagnostic), `crash`
(an exception that is not a diagnostic), `mismatch` (results differ),
`reference` (eager differs from the independent reference).
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tfir import api, pipeline
from tfir.backends.triton.runtime import quiet_interpreter
from tfir.dialects.dtypes import from_numpy
from tfir.dialects.registry import TType
from tfir.errors import CompileError
from tfir.frontend.driver import build_entry
from tfir.testing import mlir_exec, stress
from tfir.testing.gen_core import FLOATS, TOL, Program

FILENAME = "generated.tf"
SLACK = 10  # targets may differ from eager by this many times the generator's rounding tolerance


@dataclass
class Failure:
    kind: str  # reject | crash | mismatch | reference | hang | died
    target: str
    message: str
    detail: str = ""

    def line(self) -> str:
        return f"{self.kind} on {self.target}: {self.message}"


@dataclass
class Checked:
    """The results of one program: its failures, and what ran."""

    failures: list[Failure] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)


def tf_module(source: str, entry: str, inputs: dict[str, np.ndarray], filename: str = FILENAME) -> Any:
    """The `tf` module of `entry` for these inputs, and the tensor inputs in parameter order."""
    prog = api.compile_source(source, filename, target="eager", cache=False)
    fn = prog[entry]
    arrays, statics = fn.bind_inputs((), dict(inputs))
    types = {n: TType(from_numpy(a.dtype) or "", a.shape) for n, a in arrays.items()}
    module = build_entry(prog.frontend, entry, types, statics)
    return module, [arrays[p.name] for p in fn.params if p.name in arrays]


def run_on(target: str, source: str, entry: str, inputs: dict[str, np.ndarray],
           filename: str = FILENAME) -> list[np.ndarray]:
    """The results of `entry` on `target` (eager, numpy, numpy-stress, triton or mlir)."""
    if target == "mlir":
        module, tensors = tf_module(source, entry, inputs, filename)
        pipeline.run_pipeline(module, "mlir", verify_each=True)
        return mlir_exec.run_module(module, entry, tensors)
    with stress.target_context(target):
        prog = stress.compile_for(target, source, filename, cache=False, verify_each=True)
        with quiet_interpreter(), np.errstate(all="ignore"):
            out = prog[entry](**inputs)
    return [np.asarray(r) for r in (out if isinstance(out, tuple) else (out,))]


def difference(got: np.ndarray, want: np.ndarray, dtype: str, scale: float, exact: bool) -> str | None:
    """Why `got` is not `want` (within the dtype's rounding at this scale), or None."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"shape {got.shape} != {want.shape}"
    if got.dtype != want.dtype:
        return f"dtype {got.dtype} != {want.dtype}"
    if dtype not in FLOATS or exact:
        if np.array_equal(got, want, equal_nan=dtype in FLOATS):
            return None
        bad = np.argwhere(~((got == want) | (np.isnan(got) & np.isnan(want)) if dtype in FLOATS else got == want))
        at = tuple(int(i) for i in bad[0]) if len(bad) and got.ndim else ()
        return f"differs at {list(at)}: {got[at]!r} != {want[at]!r}"
    g64, w64 = got.astype(np.float64), want.astype(np.float64)
    tol = SLACK * TOL[dtype]
    same = np.isclose(g64, w64, rtol=tol, atol=tol * scale, equal_nan=True)
    same |= (g64 == w64)  # infinities of one sign
    if same.all():
        return None
    at = tuple(int(i) for i in np.argwhere(~same)[0]) if got.ndim else ()
    err = float(np.nanmax(np.abs(g64 - w64)))
    return f"max abs error {err:.3g} (tolerance {tol * scale:.3g}); at {list(at)}: {got[at]!r} != {want[at]!r}"


def _compare(p: Program, got: Sequence[np.ndarray], want: Sequence[np.ndarray], kind: str,
             target: str) -> Failure | None:
    if len(got) != len(want):
        return Failure(kind, target, f"{len(got)} results, expected {len(want)}")
    for i, (g, w, v) in enumerate(zip(got, want, p.results, strict=True)):
        why = difference(g, w, v.dtype, v.scale, v.exact)
        if why:
            return Failure(kind, target, f"result {i}: {why}")
    return None


def _attempt(target: str, p: Program) -> tuple[list[np.ndarray] | None, Failure | None]:
    return attempt_source(target, p.source, p.entry, p.inputs)


def attempt_source(target: str, source: str, entry: str, inputs: dict[str, np.ndarray],
                    ) -> tuple[list[np.ndarray] | None, Failure | None]:
    """The results of `entry` on `target`, or the failure (a diagnostic, an exception)."""
    try:
        return run_on(target, source, entry, inputs), None
    except CompileError as err:
        return None, Failure("reject", target, str(err).splitlines()[0], str(err))
    except mlir_exec.MlirUnavailable:
        raise
    except Exception as err:  # noqa: BLE001 - every other exception is the failure being looked for
        return None, Failure("crash", target, f"{type(err).__name__}: {str(err)[:300]}", traceback.format_exc())


def check_program(p: Program, targets: Sequence[str]) -> Checked:
    """Runs `p` on eager, compares with its reference, then each target with eager."""
    out = Checked()
    eager, failure = _attempt("eager", p)
    out.ran.append("eager")
    if failure is not None or eager is None:
        out.failures.append(failure or Failure("crash", "eager", "no results"))
        return out
    bad = _compare(p, eager, p.expected, "reference", "eager")
    if bad is not None:
        out.failures.append(bad)
    for target in targets:
        if target == "eager":
            continue
        got, failure = _attempt(target, p)
        out.ran.append(target)
        if failure is None and got is not None:
            failure = _compare(p, got, eager, "mismatch", target)
        if failure is not None:
            out.failures.append(failure)
    return out
