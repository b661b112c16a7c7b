"""One BLAS thread while tfir's thread pool runs contractions.

Generated NumPy code runs large contractions (matmuls) as tiles on its own
thread pool, one tile per worker. The BLAS must then use one thread per
call: its own threads would double the threads on the cores, and OpenBLAS's
spin while they wait for each other, which on a machine that other work
keeps busy made a 2-thread matmul several times slower than one thread
(docs/performance.md). `one_blas_thread()` sets the BLAS to one thread for
as long as any caller in the process holds it and restores the previous
count after the last one leaves (a count: nested and concurrent tfir calls
restore it once, at the end).

OpenBLAS's thread count is process-wide (its `openblas_set_num_threads_local`
is too, in the builds NumPy ships): while a tfir call runs, BLAS calls of
other threads of the process also run on one thread. The library is found
among the process's loaded libraries (`/proc/self/maps`) or NumPy's wheel
folder; where no OpenBLAS is found (MKL, Accelerate), `one_blas_thread()`
yields False and the generated code runs those tiles one after the other
in the calling thread, each contraction threaded by the BLAS as before.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

_PREFIXES = ("scipy_openblas", "openblas")
_SUFFIXES = ("64_", "", "_64")

_lock = threading.Lock()
_depth = 0
_saved: int | None = None
_controls: tuple[Callable[[], int], Callable[[int], None]] | None | bool = False  # False: not looked up


def _candidates() -> list[str]:
    paths: list[str] = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            for line in f:
                path = line.rsplit(" ", 1)[-1].strip()
                if "openblas" in os.path.basename(path).lower() and path not in paths:
                    paths.append(path)
    except OSError:
        pass
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    paths += [p for p in sorted(glob.glob(os.path.join(libs, "*openblas*"))) if p not in paths]
    return paths


def _find() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """The get and set functions of the loaded OpenBLAS's thread count, or None."""
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in _PREFIXES:
            for suffix in _SUFFIXES:
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    get.restype, get.argtypes = ctypes.c_int, []
                    put.restype, put.argtypes = None, [ctypes.c_int]
                    return get, put
    return None


def controls() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """The BLAS's thread-count controls, looked up once per process."""
    global _controls
    if _controls is False:
        _controls = _find()
    return _controls  # type: ignore[return-value]


def machine_busy() -> bool:
    """Whether the cores are oversubscribed: the 1-minute load average (this
    process's own threads included) above the cores plus one half. GNU
    libgomp's OMP_DYNAMIC reads the same figure to give a parallel region
    fewer threads."""
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):  # not known here (or no such call: Windows): as if idle
        return False
    return load > (os.cpu_count() or 1) + 0.5


@contextmanager
def blas_threads_unless_busy() -> Iterator[bool]:
    """The BLAS keeps its threads inside (False) on an idle machine; on a
    busy one, whose cores the BLAS's spinning threads would fight for, it
    runs on one thread, as in `one_blas_thread` (True)."""
    if not machine_busy():
        yield False
        return
    with one_blas_thread() as one:
        yield one


def blas_threaded() -> bool:
    """Whether a BLAS call now may use several threads: the BLAS's thread
    count where it can be read (OPENBLAS_NUM_THREADS=1, or another tfir call
    holding it to one, make it 1), else True (MKL, Accelerate: their own)."""
    found = controls()
    return found is None or found[0]() > 1


@contextmanager
def one_blas_thread() -> Iterator[bool]:
    """The BLAS on one thread inside (True), or nothing changed where its
    thread count cannot be set (False)."""
    global _depth, _saved
    found = controls()
    if found is None:
        yield False
        return
    get, put = found
    with _lock:
        if _depth == 0:
            _saved = get()
            if _saved != 1:
                put(1)
        _depth += 1
    try:
        yield True
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None and _saved != 1:
                put(_saved)
