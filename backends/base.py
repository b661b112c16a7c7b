"""The interface of a backend: what tfir needs from a target.

A backend has a `name` (the `target=` of `tfir.compile_file`), a frozen
dataclass of its own options (`options_type`; `NoOptions` when it has none),
`check_available` (raises, saying what to install, when it cannot run here),
`generate` (the source of a module that runs one entry, printed from the IR
the pipeline left for its target: it rewrites no IR) and `load` (that source
as a callable taking and returning NumPy arrays); `compile` is the two in a
row (the eager backend, whose "code" is the IR itself, runs the module it
is given instead of parsing its text back). `pass_options` hands the
backend options that steer passes of its pipeline (`numpy-schedule` reads
the numpy backend's `threads`) to those passes.

Adding a backend: subclass `Backend` in `backends/<name>/`, list it in
`backends/registry.py`, give the passes it needs `targets` containing its
name in `tfir/pipeline.py`, and print only what the IR says.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from xdsl.dialects.builtin import ModuleOp

from tfir.backends.common.emitter import SourceLine

Runner = Callable[..., tuple[Any, ...]]


@dataclass(frozen=True)
class NoOptions:
    """The options of a backend that has none."""


class Backend(ABC):
    """One target: options, availability, code generation and loading."""

    name: ClassVar[str]
    options_type: ClassVar[type] = NoOptions
    cacheable: ClassVar[bool] = True
    """Whether its generated source goes into the disk cache."""
    runs_tf_ir: ClassVar[bool] = False
    """Whether it runs the `tf` IR as it is (no pass runs for it): every op,
    custom ops included, by its NumPy reference, so none needs a lowering."""
    inspect_as: ClassVar[str | None] = None
    """The target whose pipeline `tfir explain` and `Function.graph()` show for
    a program compiled for this one (None: its own)."""

    def check_available(self) -> None:  # noqa: B027 - most targets run wherever tfir does
        """Raises a `TfirError` saying what is missing when the target cannot run here."""

    def pass_options(self, options: Any) -> dict[str, dict[str, object]]:
        """Options of pipeline passes that come from this backend's `options`."""
        return {}

    @abstractmethod
    def generate(self, module: ModuleOp, entry: str, source_line: SourceLine | None,
                 options: Any) -> str:
        """The source of a module that runs `entry` of the lowered `module`."""

    @abstractmethod
    def load(self, source: str, entry: str, filename: str) -> Runner:
        """The function `entry` of generated `source`: NumPy arrays in, a tuple out."""

    def compile(self, module: ModuleOp, entry: str, source_line: SourceLine | None, options: Any,
                filename: str) -> tuple[Runner, str | None]:
        """`entry` of the lowered `module`, runnable, and its source (None: the IR is the code)."""
        source = self.generate(module, entry, source_line, options)
        return self.load(source, entry, filename), source
