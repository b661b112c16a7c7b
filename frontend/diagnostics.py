"""Diagnostics: `file:line:col: error: message`, the source line, a caret.

Every user error in a program becomes a `Diagnostic`; `CompileError` carries
one or more of them. `did_you_mean` gives the close-match suggestion that
unknown names get.
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
            return rows[self.line - 1].expandtabs(1)
        return None


class CompileError(Exception):
    """A program was rejected; `str()` is the formatted diagnostics."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))

    def __str__(self) -> str:
        return "\n".join(d.format() for d in self.diagnostics)


class InputError(ValueError):
    """The arrays given to an entry function do not match its signature."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest candidate, or the empty string."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
