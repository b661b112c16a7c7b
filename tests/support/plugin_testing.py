"""Shared by the plugin tests: the example plugin `mylib` (examples/plugins)
loaded for one test module at a time, its pass taken out of the pipeline
again afterwards so that other test modules see tfir's own pipeline; inputs
and NumPy references of its example programs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIR = ROOT / "examples" / "plugins"
PROGRAMS = PLUGIN_DIR / "programs"

if str(PLUGIN_DIR) not in sys.path:
    sys.path.insert(0, str(PLUGIN_DIR))


def mylib_loaded() -> Iterator[ModuleType]:
    """A fixture body: `mylib` with its pass in the pipeline, then the pipeline restored."""
    from tfir.pipeline import _REGISTERED_PASSES, PIPELINE, register_pass
    from tfir.plugin import load_plugin

    module = load_plugin("tfir_mylib")
    from tfir_mylib.passes import MergeHardTanhPass

    register_pass(MergeHardTanhPass, after="expand-custom-ops")  # again if an earlier module took it out
    try:
        yield module
    finally:
        PIPELINE[:] = [s for s in PIPELINE if s.pass_name not in _REGISTERED_PASSES]


RNG = np.random.default_rng(7)
X = RNG.standard_normal((5, 12)).astype(np.float32)
W = RNG.standard_normal(12).astype(np.float32)


def norm_reference(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    from tfir_mylib import rms_norm, swish

    return swish(rms_norm(x, w, eps=1e-5), beta=1.5)


def clamp_scan_reference(x: np.ndarray) -> np.ndarray:
    y = np.clip(x * np.float32(2), np.float32(-0.5), np.float32(0.75))
    return np.cumsum(y, axis=-1) - y
