"""tfir's dialects and passes in xDSL's `Universe` (entry point `xdsl.universe`),
so that `xdsl-opt -p convert-tf-to-linalg,cse file.mlir` runs our passes on
IR that tfir printed."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.ir import Dialect
from xdsl.passes import ModulePass
from xdsl.universe import Universe

from tfir.dialects.plugins import load_installed_plugins, universe_dialects
from tfir.pipeline import PIPELINE, XDSL_PASSES, pass_class


def _tf() -> Dialect:
    from tfir.dialects.tf import TF
    return TF


def _device() -> Dialect:
    from tfir.dialects.device import DEVICE
    return DEVICE


def _pass_loader(name: str) -> Callable[[], type[ModulePass]]:
    return lambda: pass_class(name)


load_installed_plugins()  # installed plugins' dialects and passes join ours

TFIR_UNIVERSE = Universe(
    all_dialects={"tf": _tf, "device": _device, **universe_dialects()},
    all_passes={s.pass_name: _pass_loader(s.pass_name) for s in PIPELINE if s.pass_name not in XDSL_PASSES},
)
