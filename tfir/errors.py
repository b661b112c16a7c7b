"""tfir's errors and diagnostics: the bottom layer, imported by every other.

Every exception tfir raises on purpose derives from `TfirError`:

- `CompileError`: a program was rejected; it carries `Diagnostic`s
  (`file:line:col: error: message`, the source line, a caret).
- `InputError` (also a `ValueError`): the arrays given to an entry do not
  match its signature.
- `ExecutionError` (also a `RuntimeError`): a run-time error of the program,
  such as an index out of range; the message names the op's source location.
- `PluginError`: a plugin is malformed or could not be loaded.
- `InternalError`: a fault in tfir itself (a bug), named by where it happened.

`did_you_mean` gives the close-match suggestion that unknown names get. This
module imports nothing from tfir.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A 1-based source range; `end_column` is exclusive."""

    filename: str
    line: int
    column: int
    end_line: int
    end_column: int

    @staticmethod
    def point(filename: str, line: int, column: int) -> Span:
        return Span(filename, line, column, line, column + 1)

    def to(self, other: Span) -> Span:
        return Span(self.filename, self.line, self.column, other.end_line, other.end_column)


@dataclass
class Diagnostic:
    message: str
    span: Span
    notes: list[str] = field(default_factory=list)
    source_text: str | None = None

    @property
    def filename(self) -> str:
        return self.span.filename

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    def format(self) -> str:
        head = f"{self.filename}:{self.line}:{self.column}: error: {self.message}"
        lines = [head]
        src = self._source_line()
        if src is not None:
            width = (self.span.end_column - self.span.column) if self.span.end_line == self.line else len(src) - self.column + 1
            width = max(1, min(width, len(src) - self.column + 1))
            lines.append("    " + src)
            lines.append("    " + " " * (self.column - 1) + "^" + "~" * (width - 1))
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def _source_line(self) -> str | None:
        text = self.source_text
        if text is None:
            return None
        rows = text.splitlines()
        if 1 <= self.line <= len(rows):
            # A control character (a NUL byte, an escape sequence) is shown as '?', one for one.
            row = "".join(c if c.isprintable() or c == "\t" else "?" for c in rows[self.line - 1])
            return row.expandtabs(1)
        return None


class TfirError(Exception):
    """The base of every error tfir raises on purpose."""


class CompileError(TfirError):
    """A program was rejected; `str()` is the formatted diagnostics."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))

    def __str__(self) -> str:
        return "\n".join(d.format() for d in self.diagnostics)


class InputError(TfirError, ValueError):
    """The arrays given to an entry function do not match its signature."""


class ExecutionError(TfirError, RuntimeError):
    """A run-time error of a program (an index out of range, ...); the message
    names the op's `file:line:col`."""


def index_error(location: str, what: str, index: int, size: int, axis: int, negative: bool = True) -> ExecutionError:
    """The error of an index out of range at run time (every target raises it
    alike): `location` is the op's `file:line:col`; with `negative`, indices
    in `[-size, size)` were valid, else `[0, size)`."""
    if negative:
        return ExecutionError(f"{location}: error: {what}: index {index} is out of range for axis {axis} of size "
                              f"{size} (valid indices are -{size} to {size - 1})")
    return ExecutionError(f"{location}: error: {what} {index} is out of range [0, {size})")


class PluginError(TfirError):
    """A plugin is malformed or could not be loaded; the message names it."""


class InternalError(TfirError, RuntimeError):
    """A fault in tfir itself: a bug, not the user's. The message names where."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest candidate, or the empty string."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
