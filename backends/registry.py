"""The backends, by target name: the one table tfir finds a target in."""

from __future__ import annotations

from tfir.backends.base import Backend
from tfir.backends.eager import EagerBackend
from tfir.backends.numpy.backend import NumpyBackend
from tfir.backends.triton.backend import TritonBackend

BACKENDS: dict[str, Backend] = {b.name: b for b in (EagerBackend(), NumpyBackend(), TritonBackend())}


def runs_tf_ir(target: str) -> bool:
    """Whether `target` runs the `tf` IR as it is (`Backend.runs_tf_ir`); False
    for a target that only lowers (`mlir`) and for an unknown one."""
    backend = BACKENDS.get(target)
    return backend is not None and backend.runs_tf_ir


def inspected_target(target: str) -> str:
    """The target whose pipeline the inspection tools show for `target` (`Backend.inspect_as`)."""
    backend = BACKENDS.get(target)
    return (backend.inspect_as or target) if backend is not None else target
