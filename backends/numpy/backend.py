"""The numpy target: its options and its `Backend`."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp

from tfir.backends.base import Backend, Runner
from tfir.backends.common.emitter import SourceLine
from tfir.backends.common.loading import load_module, register_source
from tfir.backends.numpy.module import def_name, generate_module

DEFAULT_FILENAME = "<tfir-numpy>"


@dataclass(frozen=True)
class NumpyOptions:
    """Options of the numpy target.

    `threads`: the tiles of a tile loop may run on a thread pool
    (`numpy-schedule` and `numpy-threads` decide which). `reuse_buffers`: large
    intermediate buffers (never a result) are kept per thread from one call
    to the next instead of allocated afresh (off by default: no gain measured
    with glibc, whose `malloc` keeps freed blocks of up to 32 MiB mapped, and
    the kept buffers live as long as the process). `native`: fused bodies
    that NumPy would run in several passes run as C kernels, compiled when
    the module loads (`numpy-native-kernels`; NumPy where no C compiler
    works, or with `TFIR_NATIVE=0`).
    """

    threads: bool = True
    reuse_buffers: bool = False
    native: bool = True


class NumpyBackend(Backend):
    """Loop-level IR -> a standalone NumPy module."""

    name = "numpy"
    options_type = NumpyOptions

    def pass_options(self, options: NumpyOptions) -> dict[str, dict[str, object]]:
        return {"fuse-elementwise": {"recompute": options.native},
                "numpy-native-kernels": {"enabled": options.native},
                "numpy-schedule": {"threads": options.threads},
                "numpy-split-contractions": {"threads": options.threads},
                "numpy-threads": {"threads": options.threads}}

    def generate(self, module: ModuleOp, entry: str, source_line: SourceLine | None = None,
                 options: NumpyOptions | None = None) -> str:
        return generate_module(module, entry, source_line, (options or NumpyOptions()).reuse_buffers)

    def load(self, source: str, entry: str, filename: str = DEFAULT_FILENAME) -> Runner:
        """The generated module's `entry`; its source is registered in
        `linecache` under `filename` (made unique per load when it is the
        default) so that tracebacks and `inspect` show it."""
        filename = register_source(source, filename, fresh=filename == DEFAULT_FILENAME)
        return load_module(source, def_name(entry), filename, f"tfir_numpy_{def_name(entry)}")
