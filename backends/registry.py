"""The backends, by target name: the one table tfir finds a target in."""

from __future__ import annotations

from tfir.backends.base import Backend
from tfir.backends.eager import EagerBackend
from tfir.backends.numpy.backend import NumpyBackend
from tfir.backends.triton.backend import TritonBackend

BACKENDS: dict[str, Backend] = {b.name: b for b in (EagerBackend(), NumpyBackend(), TritonBackend())}
