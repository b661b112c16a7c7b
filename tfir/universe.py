"""tfir's dialects and passes in xDSL's `Universe` (entry point `xdsl.universe`),
so that `xdsl-opt -p convert-tf-to-linalg,cse file.mlir` runs our passes on
IR that tfir printed.

Installed plugins' dialects and passes join them, and so do the plugins
named (as Python modules, comma-separated) in the environment variable
TFIR_PLUGINS: a plugin's ops in `xdsl-opt` before it is installed, as the
FileCheck test of `expand-custom-ops` does with examples/plugins."""

from __future__ import annotations

import os
from collections.abc import Callable

from xdsl.passes import ModulePass
from xdsl.transforms import get_all_passes
from xdsl.universe import Universe

from tfir.dialects.device import DEVICE
from tfir.dialects.linalgx import LINALGX
from tfir.dialects.plugins import load_installed_plugins, load_plugin, universe_dialects
from tfir.dialects.tf import TF
from tfir.pipeline import ON_DEMAND, PIPELINE, pass_class


def _pass_loader(name: str) -> Callable[[], type[ModulePass]]:
    return lambda: pass_class(name)


load_installed_plugins()  # installed plugins' dialects and passes join ours
for _module in filter(None, (m.strip() for m in os.environ.get("TFIR_PLUGINS", "").split(","))):
    load_plugin(_module)

# Passes xDSL itself provides (`cse`, `dce`) are in its own universe already:
# naming them twice is an error of `Universe.get_multiverse`.
_XDSL_PASS_NAMES = frozenset(get_all_passes())

TFIR_UNIVERSE = Universe(
    all_dialects={"tf": lambda: TF, "linalgx": lambda: LINALGX, "device": lambda: DEVICE, **universe_dialects()},
    all_passes={name: _pass_loader(name) for name in [*(s.pass_name for s in PIPELINE), *sorted(ON_DEMAND)]
                if name not in _XDSL_PASS_NAMES},
)
