"""The `numpy-stress` campaign target: the numpy target with every size
threshold lowered, so that the small programs of a campaign take the paths
that only large arrays take otherwise.

Random programs have a few dozen elements; the numpy target's scheduling
and C kernels (tile loops, whole-op and chunked schedules, row groups, tile
loops on the thread pool, split contractions, kept buffers, fused bodies
compiled as C by `numpy-native-kernels`) start at tens of thousands. Under
`small_thresholds()` they start at one element, and a C kernel that does
not build is a failure, not a silent fallback to NumPy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tfir import api
from tfir.backends.numpy import codegen as numpy_codegen
from tfir.backends.numpy import native
from tfir.backends.numpy.backend import NumpyOptions
from tfir.errors import InternalError
from tfir.lowering import (
    numpy_native_kernels,
    numpy_row_groups,
    numpy_schedule,
    numpy_split_contractions,
    numpy_threads,
)

STRESS = "numpy-stress"
TINY_TILES = {"tile-linalg": {"min_points": 1, "max_tile_bytes": 48}}

# (module, constant, value): every size the numpy target decides by, set low.
THRESHOLDS: tuple[tuple[Any, str, int], ...] = (
    (numpy_schedule, "WHOLE_POINTS", 8),
    (numpy_row_groups, "WHOLE_POINTS", 8),
    (numpy_schedule, "CHUNK_POINTS", 16),
    (numpy_row_groups, "ROW_TILE_BYTES", 32),
    (numpy_row_groups, "MAX_WHOLE_BYTES", 64),
    (numpy_codegen, "MIN_KEPT_BYTES", 0),
    (numpy_threads, "MIN_PARALLEL_POINTS", 1),
    (numpy_split_contractions, "MIN_SPLIT_MACS", 8),
    (numpy_native_kernels, "MIN_NATIVE_POINTS", 1),
)


@contextmanager
def small_thresholds() -> Iterator[None]:
    """The numpy target's size thresholds lowered while the block runs."""
    saved = [(module, name, getattr(module, name)) for module, name, _ in THRESHOLDS]
    try:
        for module, name, value in THRESHOLDS:
            setattr(module, name, value)
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


@contextmanager
def target_context(target: str) -> Iterator[None]:
    """Where programs compiled by `compile_for(target, ...)` are compiled and
    run (they compile at their first call): for `numpy-stress`, small
    thresholds, and an `InternalError` when its C kernels did not build
    (where a C compiler is installed)."""
    if target != STRESS:
        yield
        return
    native.last_error = None
    with small_thresholds():
        yield
    if native.last_error is not None and native.compiler() is not None and native.enabled():
        raise InternalError(f"the C kernels did not build:\n{native.last_error}")


def compile_for(target: str, source: str, filename: str, **kwargs: Any) -> api.Program:
    """`source` compiled for `target`; `numpy-stress` is numpy with tiny
    tiles, threads and kept buffers (run it in `target_context`)."""
    if target == STRESS:
        return api.compile_source(source, filename, target="numpy", pass_options=TINY_TILES,
                                  backend_options=NumpyOptions(threads=True, reuse_buffers=True), **kwargs)
    return api.compile_source(source, filename, target=target, **kwargs)
