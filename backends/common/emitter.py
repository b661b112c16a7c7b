"""The one indented-buffer helper every code generator emits through
(Inductor's `IndentedBuffer`, with names and source comments).

Generated code must read like hand-written code: one statement per IR op,
names from the source, and a `# file.tf:LINE  source text` comment above the
code of each source statement (emitted once per change of source line).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from xdsl.dialects.builtin import FileLineColLoc
from xdsl.ir import Operation

SourceLine = Callable[[str, int], str]

PYTHON_NAMES = ("range", "min", "max", "int", "math")
"""Names generated code uses as Python has them: never a value's name."""


class PyEmitter:
    """Collects lines of Python source at the current indentation."""

    def __init__(self, indent: str = "    ", source_line: SourceLine | None = None):
        self._lines: list[str] = []
        self._indent = indent
        self._depth = 0
        self._source_line = source_line
        self._last_loc: tuple[str, int] | None = None
        self._names: dict[str, int] = {}

    def line(self, text: str = "") -> None:
        self._lines.append(f"{self._indent * self._depth}{text}" if text else "")

    def lines(self, text: str) -> None:
        for row in text.splitlines():
            self.line(row)

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        """`header:` followed by an indented body."""
        self.line(header if header.endswith(":") else header + ":")
        self._depth += 1
        self._last_loc = None
        try:
            yield
        finally:
            self._depth -= 1
            self._last_loc = None

    def source_comment(self, op: Operation) -> None:
        """`# file.tf:LINE  text` above the first statement of each source line."""
        loc = op.location
        if not isinstance(loc, FileLineColLoc):
            return
        key = (loc.filename.data, loc.line.data)
        if key == self._last_loc:
            return
        self._last_loc = key
        name = key[0].rsplit("/", 1)[-1]
        text = self._source_line(*key).strip() if self._source_line else ""
        self.line(f"# {name}:{key[1]}  {text}".rstrip())

    def reserve(self, *names: str) -> None:
        """Keeps `names` from every value: `fresh` gives them out with a suffix."""
        for name in names:
            self.fresh(name)

    def fresh(self, hint: str) -> str:
        """A unique Python identifier derived from a source name."""
        base = re.sub(r"\W", "_", hint or "v").lstrip("0123456789") or "v"
        if base in {"lambda", "def", "return", "if", "else", "for", "in", "is", "not",
                    "and", "or", "np", "pass", "class", "import", "from", "with", "as",
                    "None", "True", "False", "yield", "while", "del", "global"}:
            base += "_"
        n = self._names.get(base, 0)
        self._names[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"
