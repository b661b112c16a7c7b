"""Progress on a terminal, and quiet elsewhere.

A bar is drawn with tqdm, and only when stderr is a terminal (not in a pipe,
a log file or CI), and only for work that lasts longer than `DELAY` seconds,
so quick commands print exactly what they printed before. tqdm rather than
rich: it is one small pure-Python package with no dependencies of its own,
writes to stderr by default, and its `delay` does the "only if slow" part;
rich would bring pygments and markdown-it for a bar. Without tqdm installed
everything here still works, silently.

The warnings that Triton's CPU interpreter emits for values it computes and
then masks away are hidden by the triton backend itself, around each call
(`tfir.backends.triton.runtime.quiet_interpreter`).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO, TypeVar

from tqdm import tqdm

T = TypeVar("T")
DELAY = 1.0  # seconds of work before a bar appears


def enabled(stream: TextIO | None = None) -> bool:
    """Bars are drawn on a terminal, unless TFIR_PROGRESS=0."""
    if os.environ.get("TFIR_PROGRESS", "1").lower() in ("0", "false", "no", "off"):
        return False
    stream = stream if stream is not None else sys.stderr
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False
    return tty


def _bar(desc: str, total: int | None, unit: str) -> Any:
    return tqdm(total=total, desc=desc, unit=unit, delay=DELAY, leave=False, file=sys.stderr,
                dynamic_ncols=True)


def track(items: Iterable[T], desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """`items`, with a bar on a terminal when going through them takes a while."""
    if not enabled():
        yield from items
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with _bar(desc, total, unit) as bar:
        for item in items:
            yield item
            bar.update(1)


class Steps:
    """A bar advanced by hand: `with steps("compiling", 12) as s: ... s.advance("cse")`."""

    def __init__(self, desc: str, total: int | None, unit: str = "step"):
        self.bar = _bar(desc, total, unit) if enabled() else None

    def advance(self, what: str = "") -> None:
        if self.bar is not None:
            if what:
                self.bar.set_postfix_str(what, refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def phase(desc: str) -> Iterator[None]:
    """One long step of unknown length (a compile, a run under the interpreter): on a
    terminal, after `DELAY` seconds, its name and the time it has taken so far."""
    if not enabled():
        yield
        return
    bar = _bar(desc, None, "s")
    bar.bar_format = "{desc} {elapsed}"
    done = threading.Event()

    def tick() -> None:
        while not done.wait(0.2):
            bar.update(0)  # redraws the elapsed time, once `delay` has passed

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        bar.close()
