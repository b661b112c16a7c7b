"""What a fuzzed source must do: give well-formed diagnostics, or compile
and run; never raise anything else, and never accept a source that a
known-invalid edit produced (see fuzz.py)."""

from __future__ import annotations

import os
import re
import traceback
from pathlib import Path

import numpy as np

from tfir import api
from tfir.backends import eager
from tfir.errors import CompileError, ExecutionError, InputError
from tfir.frontend import ast
from tfir.inputs import random_inputs
from tfir.testing.differential import Failure, run_on, tf_module
from tfir.testing.fuzz import FuzzCase

MAX_RUN_ELEMENTS = 1 << 20  # a source whose tensors are larger is compiled, not run
WHILE_LIMIT = 10_000  # eager iterations of one `while` before the source counts as non-terminating
MAX_RUN_SOURCE = 20_000  # nor is a longer source (a 20,000-term sum: minutes through every pass)
DIAGNOSTIC = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): error: .+")


def make_fixtures(folder: Path) -> None:
    """The files the `import` cases name, next to where the case is written."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lib.tf").write_text("fn helper(a) {\n    return a * 2.0;\n}\n")
    (folder / "self.tf").write_text('import "self.tf";\nfn s(a) { return a; }\n')
    (folder / "cycle_a.tf").write_text('import "cycle_b.tf";\nfn a(x) { return x; }\n')
    (folder / "cycle_b.tf").write_text('import "cycle_a.tf";\nfn b(x) { return x; }\n')
    (folder / "binary.tf").write_bytes(bytes(range(256)) * 4)
    (folder / "huge_line.tf").write_text("# " + "x" * (2 << 20) + "\nfn h(a) { return a; }\n")
    (folder / "dir").mkdir(exist_ok=True)
    with open(folder / "big.tf", "wb") as f:  # sparse: takes no disk
        f.truncate(3 << 30)
    fifo = folder / "fifo"
    if not fifo.exists():
        os.mkfifo(fifo)


def _encode(source: str) -> bytes:
    try:
        return source.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return source.encode("utf-8", "surrogatepass")


def _check_diagnostics(err: CompileError, source: str, case: FuzzCase) -> Failure | None:
    rows = source.count("\n") + 1
    if not err.diagnostics:
        return Failure("diagnostic", "frontend", "a CompileError without diagnostics")
    for d in err.diagnostics:
        if not d.message or not DIAGNOSTIC.match(d.format().splitlines()[0]):
            return Failure("diagnostic", "frontend", f"malformed diagnostic: {d.format()[:200]!r}")
        if d.filename.endswith("case.tf") and not (1 <= d.line <= rows + 1 and d.column >= 1):
            return Failure("diagnostic", "frontend", f"diagnostic outside the file: {d.format()[:200]!r}")
    if case.at is not None:
        first = next((d for d in err.diagnostics if d.filename.endswith("case.tf")), err.diagnostics[0])
        if (first.line, first.column) != case.at:
            return Failure("location", "frontend", f"{case.kind}: error at {first.line}:{first.column}, "
                                                   f"expected {case.at[0]}:{case.at[1]}: {first.message}")
    return None


def _too_big(module: object) -> bool:
    for op in module.walk():  # type: ignore[attr-defined]
        for value in (*op.results, *op.operands):
            shape = getattr(value.type, "get_shape", None)
            if shape is not None and int(np.prod(shape(), dtype=np.float64)) > MAX_RUN_ELEMENTS:
                return True
    return False


def check_source(case: FuzzCase, folder: Path, targets: tuple[str, ...] = ("numpy",)) -> tuple[list[str], list[Failure]]:
    """Checks one fuzz case written to FOLDER/case.tf; what ran and what failed."""
    path = folder / "case.tf"
    path.write_bytes(_encode(case.source))
    ran = ["frontend"]
    try:
        prog = api.compile_file(path, target="eager", cache=False)
    except CompileError as err:
        bad = _check_diagnostics(err, case.source, case)
        if case.expect == "compile":
            return ran, [Failure("reject", "frontend", f"{case.kind}: {str(err).splitlines()[0][:300]}")]
        return ran, [bad] if bad else []
    except Exception as err:  # noqa: BLE001 - anything else is the bug looked for
        return ran, [Failure("crash", "frontend", f"{case.kind}: {type(err).__name__}: {str(err)[:300]}",
                             traceback.format_exc())]
    if case.expect == "error":
        return ran, [Failure("accepted", "frontend", f"{case.kind}: an invalid source was accepted")]
    return ran, _run(case, prog, targets, ran)


def _run(case: FuzzCase, prog: api.Program, targets: tuple[str, ...], ran: list[str]) -> list[Failure]:
    if not prog.entries:
        return []
    entry = prog.entries[-1]
    fn = prog[entry].fn
    if any(p.type is None or (p.is_static and p.default is None) for p in fn.params):
        return []
    dims = {d: 2 for p in fn.params if isinstance(p.type, ast.TensorTypeExpr) for d in p.type.dims
            if isinstance(d, str)}
    source = case.source
    filename = str(prog.filename)
    try:
        inputs = random_inputs(fn, {}, dims, 0)
        module, _ = tf_module(source, entry, inputs, filename)
        if _too_big(module) or len(source) > MAX_RUN_SOURCE:
            return []  # built to the tf IR (compiled); running it is for the program tests
        ran.append("eager")
        with eager.while_limit(WHILE_LIMIT):  # a mutated `while` may never end: not the compiler's hang
            run_on("eager", source, entry, inputs, filename)
        for target in targets:
            ran.append(target)
            run_on(target, source, entry, inputs, filename)
    except (CompileError, ExecutionError, InputError):
        return []  # a diagnostic at the call (a shape that only a specialization breaks), or a run-time error
    except Exception as err:  # noqa: BLE001
        return [Failure("crash", ran[-1], f"{case.kind}: {type(err).__name__}: {str(err)[:300]}",
                        traceback.format_exc())]
    return []
