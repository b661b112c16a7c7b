"""The one indented-buffer helper every code generator emits through
(Inductor's `IndentedBuffer`, with names and source comments).

Generated code must read like hand-written code: one statement per IR op,
names from the source, and a `# file.tf:LINE  source text` comment above the
code of each source statement (emitted once per change of source line).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from xdsl.dialects.builtin import FileLineColLoc
from xdsl.ir import Operation

SourceLine = Callable[[str, int], str]

PYTHON_NAMES = ("range", "min", "max", "int", "math")
"""Names generated code uses as Python has them: never a value's name."""

IMPORTED_NAMES = ("np",)
"""The module every generated module imports under a short name."""


def identifier(hint: str) -> str:
    """A Python identifier from a source name: no keyword (`lambda` -> `lambda_`)."""
    base = re.sub(r"\W", "_", hint or "v").lstrip("0123456789") or "v"
    return base + "_" if keyword.iskeyword(base) or base in IMPORTED_NAMES else base


def entry_def_name(entry: str, reserved: Iterable[str]) -> str:
    """The name of an entry's Python function: the entry's own, unless Python or
    the generated module needs it (`np`, `range`, a helper); never one ending in
    `_<digits>`, the form of kernel names, so that it cannot meet one."""
    name, taken = identifier(entry), set(reserved)
    while name in taken or re.search(r"_\d+$", name):
        name += "_"
    return name


class PyEmitter:
    """Collects lines of Python source at the current indentation."""

    def __init__(self, indent: str = "    ", source_line: SourceLine | None = None):
        self._lines: list[str] = []
        self._indent = indent
        self._depth = 0
        self._source_line = source_line
        self._last_loc: tuple[str, int] | None = None
        self._names: dict[str, int] = {}
        self._used: set[str] = set()

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
        base = identifier(hint)
        n = self._names.get(base, 0)
        name = base if n == 0 else f"{base}_{n}"
        while name in self._used:  # `x_1` written in the source, then a second `x`
            n += 1
            name = f"{base}_{n}"
        self._names[base] = n + 1
        self._used.add(name)
        return name

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"
