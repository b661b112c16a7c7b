"""Loading a program: the root file, its imports (relative paths, cycles
detected, each file once) and the bundled prelude of composite builtins.

Name resolution for calls: a file's own functions, then those of the files it
imports, then the builtin primitives of the op registry, then the prelude.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from tfir.errors import CompileError, Diagnostic
from tfir.frontend import ast
from tfir.frontend.parser import parse

MAX_SOURCE_BYTES = 64 << 20
"""The largest `.tf` file read (a larger one is an error, not minutes of parsing)."""

PRELUDE_PATH = Path(__file__).parent / "prelude.tf"
PRELUDE_NAME = "<prelude>"


@dataclass
class LoadedFile:
    source: ast.SourceFile
    functions: dict[str, ast.FnDef] = field(default_factory=dict)
    imported: list[LoadedFile] = field(default_factory=list)
    is_prelude: bool = False

    @property
    def filename(self) -> str:
        return self.source.filename

    def lookup_function(self, name: str) -> tuple[ast.FnDef, LoadedFile] | None:
        if name in self.functions:
            return self.functions[name], self
        for other in self.imported:
            if name in other.functions:
                return other.functions[name], other
        return None

    def visible_functions(self) -> set[str]:
        names = set(self.functions)
        for other in self.imported:
            names |= set(other.functions)
        return names


@dataclass
class Program:
    root: LoadedFile
    files: dict[str, LoadedFile]
    prelude: LoadedFile

    def source_text(self, filename: str) -> str | None:
        f = self.files.get(filename)
        return f.source.text if f else None


def _index(source: ast.SourceFile, is_prelude: bool = False) -> LoadedFile:
    loaded = LoadedFile(source, is_prelude=is_prelude)
    errors = []
    for fn in source.functions:
        if fn.name in loaded.functions:
            errors.append(Diagnostic(f"function '{fn.name}' is defined twice", fn.name_span,
                                     source_text=source.text))
        loaded.functions[fn.name] = fn
    if errors:
        raise CompileError(errors)
    return loaded


_prelude_cache: LoadedFile | None = None


def load_prelude() -> LoadedFile:
    global _prelude_cache
    if _prelude_cache is None:
        _prelude_cache = _index(parse(PRELUDE_PATH.read_text(), PRELUDE_NAME), is_prelude=True)
    return _prelude_cache


def load_program(text: str, filename: str) -> Program:
    files: dict[str, LoadedFile] = {}
    root = _load(text, filename, files, [])
    return Program(root, files, load_prelude())


class SourceError(Exception):
    """A source file that cannot be read; the message says why."""


def printable(text: str) -> str:
    """`text` with control characters (a NUL byte...) escaped, for a message."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def read_source(path: str | Path) -> str:
    """The text of a `.tf` file. Only a regular file is read (a device such as
    /dev/zero, a pipe or a directory is an error, not a hang), of at most
    `MAX_SOURCE_BYTES`, in UTF-8."""
    if "\x00" in str(path):
        raise SourceError("the path contains a NUL byte")
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise SourceError("it is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise SourceError("it is not a regular file (a device, a pipe or a socket)")
        if info.st_size > MAX_SOURCE_BYTES:
            raise SourceError(f"it is too large ({info.st_size} bytes; at most {MAX_SOURCE_BYTES >> 20} MiB)")
        with open(path, "rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)  # files of /proc report no size
    except OSError as err:
        raise SourceError(err.strerror or str(err)) from None
    except ValueError as err:  # a path the OS cannot take
        raise SourceError(str(err)) from None
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(f"it is too large (at most {MAX_SOURCE_BYTES >> 20} MiB)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SourceError(f"it is not UTF-8 text (byte {err.start})") from None


def _load(text: str, filename: str, files: dict[str, LoadedFile], stack: list[str]) -> LoadedFile:
    loaded = _index(parse(text, filename))
    files[filename] = loaded
    for imp in loaded.source.imports:
        if "\x00" in imp.path:  # no file system takes it (and pathlib raises)
            raise CompileError([Diagnostic(f"cannot import \"{printable(imp.path)}\": the path contains a "
                                           "NUL byte", imp.span, source_text=text)])
        base = Path(filename).parent if not filename.startswith("<") else Path.cwd()
        path = str((base / imp.path).resolve()) if not Path(imp.path).is_absolute() else imp.path
        key = _display(path, filename, imp.path)
        if key in stack + [filename] or _same(path, [*stack, filename]):
            chain = " -> ".join(Path(p).name for p in [*stack, filename, path])
            raise CompileError([Diagnostic(f"import cycle: {chain}", imp.span, source_text=text)])
        existing = next((f for k, f in files.items() if _same(path, [k])), None)
        if existing is None:
            try:
                sub_text = read_source(path)
            except SourceError as err:
                raise CompileError([Diagnostic(f"cannot import \"{printable(imp.path)}\": {err}", imp.span,
                                               source_text=text)]) from None
            existing = _load(sub_text, key, files, [*stack, filename])
        if existing not in loaded.imported:
            loaded.imported.append(existing)
    return loaded


def _display(path: str, importer: str, written: str) -> str:
    """Imported files are named as the importer would write them, relative to cwd when possible."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def _same(path: str, others: list[str]) -> bool:
    p = Path(path).resolve()
    return any(not o.startswith("<") and Path(o).resolve() == p for o in others)
