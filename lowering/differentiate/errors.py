"""Diagnostics of the differentiate pass: at the `.tf` source of an op."""

from __future__ import annotations

from xdsl.dialects.builtin import FileLineColLoc
from xdsl.ir import Operation

from tfir.errors import CompileError, Diagnostic, Span


def error_at(op: Operation, message: str, width: int = 1) -> CompileError:
    """A CompileError pointing at the `.tf` construct that created `op`."""
    loc = op.location
    if not isinstance(loc, FileLineColLoc):
        return CompileError([Diagnostic(message, Span.point("<unknown>", 1, 1))])
    filename, line, col = loc.filename.data, loc.line.data, loc.column.data
    source = None
    try:
        with open(filename, encoding="utf-8") as f:
            source = f.read()
    except OSError:
        pass
    return CompileError([Diagnostic(message, Span(filename, line, col, line, col + width), source_text=source)])
