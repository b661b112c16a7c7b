"""Interestingness tests of `tfir reduce` (C-Reduce's and llvm-reduce's term):
is this candidate program still showing the bug?

- `command`: a shell command, `{}` the candidate's path, interesting when it exits 0;
- `crash`: compiling (or running) the entry raises an internal error at the
  same place as the original program (the same pass, or the same code generator);
- `mismatch`: the entry's results on TARGET differ from eager's on seeded inputs;
- `error`: a diagnostic whose text contains TEXT.

Inputs are seeded random arrays of the declared types (symbolic dims from
`--dim` or from a reproducer's `signature.json`); a generic parameter takes
the dtype and shape the signature gives it.
"""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tfir import api, crash
from tfir.errors import CompileError, InternalError, TfirError
from tfir.frontend import ast
from tfir.inputs import random_array, random_inputs
from tfir.plugin import load_plugin
from tfir.testing import stress

KINDS = ("command", "crash", "mismatch", "error")


class Timeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raises Timeout in the block after `seconds` (main thread only; else no limit)."""
    if not seconds:
        yield
        return
    try:
        previous = signal.signal(signal.SIGALRM, _alarm)
    except ValueError:  # not the main thread
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _alarm(signum: int, frame: Any) -> None:
    raise Timeout()


@dataclass
class Oracle:
    kind: str
    command: str | None = None
    target: str = "numpy"
    text: str | None = None
    entry: str | None = None
    dims: dict[str, int] = field(default_factory=dict)
    inputs: dict[str, tuple[str, list[int]]] = field(default_factory=dict)  # a signature's, by name
    statics: dict[str, Any] = field(default_factory=dict)
    disable: tuple[str, ...] = ()
    verify_each: bool | None = None
    seed: int = 0
    timeout: float = 60.0
    rtol: float = 1e-3
    where: str | None = None  # the crash's place, fixed on the original program

    @property
    def needs_valid(self) -> bool:
        """Whether candidates must pass the checker (all but `error` tests)."""
        return self.kind != "error"

    def interesting(self, source: str, path: Path) -> bool:
        path.write_text(source)
        if self.kind == "command":
            assert self.command is not None
            try:
                proc = subprocess.run(self.command.replace("{}", shlex.quote(str(path))), shell=True,
                                      capture_output=True, timeout=self.timeout)
            except subprocess.TimeoutExpired:
                return False
            return proc.returncode == 0
        try:
            with time_limit(self.timeout), stress.target_context(self.target):
                return getattr(self, f"_{self.kind}")(source, path)
        except Timeout:
            return False

    # -- the built-in tests ----------------------------------------------------------

    def _entry(self, prog: api.Program) -> str | None:
        name = self.entry or (prog.entries[-1] if prog.entries else None)
        return name if name in prog.entries else None

    def arguments(self, fn: ast.FnDef) -> dict[str, Any]:
        """Seeded inputs for `fn`: its declared types, the signature's for generic parameters."""
        rng = np.random.default_rng(self.seed)
        given = {p.name: random_array(rng, self.inputs[p.name][0], tuple(self.inputs[p.name][1]))
                 for p in fn.params if p.type is None and p.name in self.inputs}
        dims = dict(self.dims)
        for p in fn.params:  # the signature binds the symbolic dims of typed parameters too
            if isinstance(p.type, ast.TensorTypeExpr) and p.name in self.inputs:
                for d, n in zip(p.type.dims, self.inputs[p.name][1], strict=False):
                    if isinstance(d, str):
                        dims.setdefault(d, n)
        for p in fn.params:  # symbolic dims nothing binds: 3, as `tfir bisect` does
            if isinstance(p.type, ast.TensorTypeExpr):
                dims.update({d: 3 for d in p.type.dims if isinstance(d, str) and d not in dims})
        args = random_inputs(fn, given, dims, self.seed)
        args.update({k: v for k, v in self.statics.items() if any(p.name == k for p in fn.params)})
        return args

    def _compile(self, source: str, path: Path, target: str) -> tuple[api.Program, str]:
        prog = stress.compile_for(target, source, str(path), cache=False, disable=self.disable,
                                  verify_each=self.verify_each)
        entry = self._entry(prog)
        if entry is None:
            raise CompileError([])
        return prog, entry

    def _crash(self, source: str, path: Path) -> bool:
        try:
            prog, entry = self._compile(source, path, self.target)
            prog[entry](**self.arguments(prog[entry].fn))
        except InternalError as err:
            where = crash.where_of(err)
            if self.where is None:
                self.where = where
            return where == self.where
        except (TfirError, ValueError):
            return False
        return False

    def _error(self, source: str, path: Path) -> bool:
        assert self.text is not None
        try:
            prog, entry = self._compile(source, path, self.target)
            prog[entry](**self.arguments(prog[entry].fn))
        except CompileError as err:
            return self.text in str(err)
        except (TfirError, ValueError):
            return False
        return False

    def _mismatch(self, source: str, path: Path) -> bool:
        try:
            want = self._results(source, path, "eager")
            got = self._results(source, path, self.target)
        except (TfirError, ValueError):
            return False
        return differs(got, want, self.rtol)

    def _results(self, source: str, path: Path, target: str) -> list[np.ndarray]:
        prog, entry = self._compile(source, path, target)
        with np.errstate(all="ignore"):
            out = prog[entry](**self.arguments(prog[entry].fn))
        return [np.asarray(r) for r in (out if isinstance(out, tuple) else (out,))]

    def describe(self) -> str:
        return {"command": f"`{self.command}` exits 0", "crash": f"an internal error in {self.where or '?'}",
                "mismatch": f"results on {self.target} differ from eager",
                "error": f"a diagnostic containing {self.text!r}"}[self.kind]


def differs(got: list[np.ndarray], want: list[np.ndarray], rtol: float) -> bool:
    """Whether two lists of results differ: count, shape, dtype, or values beyond `rtol`
    (relative to the largest finite magnitude of each expected result)."""
    if len(got) != len(want):
        return True
    for g, w in zip(got, want, strict=True):
        if g.shape != w.shape or g.dtype != w.dtype:
            return True
        if w.dtype.kind != "f":
            if not np.array_equal(g, w):
                return True
            continue
        g64, w64 = g.astype(np.float64), w.astype(np.float64)
        finite = w64[np.isfinite(w64)]
        scale = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
        same = np.isclose(g64, w64, rtol=rtol, atol=rtol * scale, equal_nan=True) | (g64 == w64)
        if not same.all():
            return True
    return False


def from_reproducer(folder: Path, oracle: Oracle) -> Oracle:
    """`oracle` with the entry, target, signature and options of a reproducer's `signature.json`."""
    sig = json.loads((folder / crash.SIGNATURE).read_text())
    oracle.entry = oracle.entry or sig.get("entry")
    oracle.target = sig.get("target", oracle.target)
    oracle.inputs = {k: (v[0], list(v[1])) for k, v in sig.get("inputs", {}).items()}
    oracle.statics = dict(sig.get("statics", {}))
    oracle.disable = tuple(sig.get("disable", ()))
    oracle.verify_each = sig.get("verify_each", oracle.verify_each)
    for plugin in sig.get("plugins", []):  # the passes and ops the crash was seen with
        load_plugin(plugin)
    return oracle
