"""Internal errors reported, not dumped: a fault of tfir itself (a pass that
raises or breaks the IR, a code generator that fails, generated code that
crashes) becomes an `InternalError` that knows the program, the entry, its
input signature and the target. The CLI writes those to a reproducer folder
and prints one line:

    internal error in pass 'tile-linalg' (a bug in tfir); reproducer written to
    /tmp/tfir-crash-1a2b; shrink it with tfir reduce /tmp/tfir-crash-1a2b/program.tf --crash

The folder holds `program.tf` (and the files it imports), `signature.json`
(entry, target, input dtypes and shapes, static arguments, disabled passes,
plugins), `pipeline.txt` (the passes of the target, the failing one marked)
and `error.txt` (the message and the Python stack). `tfir reduce --crash`
reads `signature.json` next to the program. `--traceback` (or
TFIR_TRACEBACK=1) prints the Python stack as well.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tfir import pipeline
from tfir.errors import InternalError

SIGNATURE = "signature.json"


@dataclass
class Reproducer:
    """What reproduces an internal error: the program and how it was compiled."""

    source: str
    filename: str
    target: str
    entry: str | None = None
    inputs: dict[str, tuple[str, list[int]]] = field(default_factory=dict)  # name -> (dtype, shape)
    statics: dict[str, Any] = field(default_factory=dict)
    disable: list[str] = field(default_factory=list)
    plugins: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # imported files, by the path the program uses
    where: str = "tfir"
    verify_each: bool = False


def where_of(err: BaseException) -> str:
    """Where an internal error happened, in words: "pass 'tile-linalg'", "the frontend"..."""
    step = getattr(err, "step", None)
    if isinstance(step, pipeline.Step):
        return f"pass '{step.pass_name}'"
    rep = getattr(err, "reproducer", None)
    return rep.where if isinstance(rep, Reproducer) else "tfir"


def failed_pass(err: BaseException) -> str | None:
    step = getattr(err, "step", None)
    return step.pass_name if isinstance(step, pipeline.Step) else None


def internal(err: BaseException, rep: Reproducer, where: str) -> InternalError:
    """`err` as an InternalError that carries `rep` (an InternalError keeps its own message)."""
    out = err if isinstance(err, InternalError) else InternalError(
        f"{where} failed: {type(err).__name__}: {err}")
    if getattr(out, "reproducer", None) is None:
        rep.where = where_of(out) if failed_pass(out) else where
        out.reproducer = rep  # type: ignore[attr-defined]
    if out is not err:
        out.__cause__ = err
    return out


def write(err: BaseException, folder: str | Path | None = None) -> Path | None:
    """Writes the reproducer of `err` (when it has one) to a new folder; its path."""
    rep = getattr(err, "reproducer", None)
    if not isinstance(rep, Reproducer):
        return None
    if folder is None:
        parent = os.environ.get("TFIR_CRASH_DIR") or None
        if parent:
            Path(parent).mkdir(parents=True, exist_ok=True)
        folder = tempfile.mkdtemp(prefix="tfir-crash-", dir=parent)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    (out / "program.tf").write_text(rep.source)
    for rel, text in rep.files.items():
        path = out / rel
        if path.resolve().is_relative_to(out.resolve()):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    signature = {k: v for k, v in asdict(rep).items() if k not in ("source", "files")}
    (out / SIGNATURE).write_text(json.dumps(signature, indent=2, default=str) + "\n")
    bad = failed_pass(err)
    steps = pipeline.steps_for(rep.target) if rep.target in pipeline.COMPILED else []
    lines = [f"{s.stage:14} {s.pass_name}{'   <- failed here' if s.pass_name == bad else ''}"
             + ("   (disabled)" if s.pass_name in rep.disable else "") for s in steps]
    (out / "pipeline.txt").write_text("\n".join(lines) + "\n")
    stack = "".join(traceback.format_exception(err))
    (out / "error.txt").write_text(f"internal error in {rep.where}: {err}\n\n{stack}")
    return out


def one_line(err: BaseException, folder: Path | None) -> str:
    """The line the CLI prints for an internal error."""
    where = where_of(err)
    if folder is None:
        return f"internal error in {where} (a bug in tfir, please report it): {err}"
    return (f"internal error in {where} (a bug in tfir); reproducer written to {folder}; "
            f"shrink it with tfir reduce {folder / 'program.tf'} --crash")


def show_traceback() -> bool:
    return os.environ.get("TFIR_TRACEBACK", "0") not in ("0", "", "false", "no")


def report(err: BaseException, with_traceback: bool = False) -> None:
    """Writes the reproducer and prints the one line (and the stack if asked) to stderr."""
    try:
        folder = write(err)
    except OSError as why:  # a reproducer that cannot be written does not hide the error
        folder = None
        print(f"(no reproducer written: {why})", file=sys.stderr)
    if with_traceback or show_traceback():
        traceback.print_exception(err, file=sys.stderr)
    print(f"error: {one_line(err, folder)}", file=sys.stderr)


def imported_files(program: Any) -> dict[str, str]:
    """The files a program imports, by their path relative to the root file's folder
    (those outside it are left out: a reproducer holds its own folder only)."""
    root = Path(program.root.filename).resolve().parent
    out = {}
    for name, loaded in program.files.items():
        if loaded is program.root or name.startswith("<"):
            continue
        rel = os.path.relpath(Path(name).resolve(), root)
        if not rel.startswith(".."):
            out[rel] = loaded.source.text
    return out
