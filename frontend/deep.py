"""Running the frontend on deep programs.

The checker and IR builder walk expressions recursively, a few Python frames
per level of nesting (the chains that generated code writes, `a + b + c +
...` and `- - x`, are walked with loops instead and cost no depth). So that
programs nested as deeply as `MAX_NESTING` compile without a RecursionError,
the frontend runs in a thread with a large stack (`STACK_BYTES`) and a
recursion limit to match, raised only while it runs; deeper programs get a
diagnostic from the parser.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

MAX_NESTING = 3000
"""How deeply expressions may nest (1,000 nested calls fit), and calls of functions chain."""
STACK_BYTES = 512 << 20  # address space reserved, not memory used
RECURSION_LIMIT = 100_000

_local = threading.local()
_lock = threading.Lock()
_running = 0
_saved_limit = 0


def deep_call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` in a thread with a deep stack; its exceptions are re-raised here."""
    if getattr(_local, "deep", False):
        return fn(*args, **kwargs)
    box: dict[str, Any] = {}

    def run() -> None:
        _local.deep = True
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as err:  # noqa: BLE001 - handed to the calling thread as it is
            box["error"] = err

    global _running, _saved_limit
    with _lock:
        old_size = threading.stack_size(STACK_BYTES)
        try:
            thread = threading.Thread(target=run, name="tfir-frontend", daemon=True)
            if _running == 0:
                _saved_limit = sys.getrecursionlimit()
                sys.setrecursionlimit(max(_saved_limit, RECURSION_LIMIT))
            _running += 1
            thread.start()
        finally:
            threading.stack_size(old_size)
    try:
        thread.join()
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                sys.setrecursionlimit(_saved_limit)
    if "error" in box:
        raise box["error"]
    return box["value"]
