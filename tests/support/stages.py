"""The IR after each pass of the pipeline, for the tests of one pass on the
IR the pass before it left (`tfir.lower`, as `tfir lower --print-ir-after-all`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import tfir
from tests.support.common import ROOT

PROGRAMS = ROOT / "benchmarks" / "programs"
"""The benchmark programs: sizes set by `dims`, large enough to be tiled."""

# 997 rows divide into no tile size: tile-linalg leaves a loop and a remainder piece.
PIECES = "fn main(x: f32[997, 300]) -> f32[997, 300] { return tanh(x) * 2.0; }"
TRANSPOSED = ("fn main(a: f32[64, 32], b: f32[32, 64]) -> f32[32, 64] "
              "{ return exp(transpose(a)) + b; }")


@cache  # the tests of several passes read the same lowering
def ir_after_each_pass(source: str | Path, target: str, **dims: int) -> dict[str, str]:
    """The IR after each pass, by pass name; a pass that runs a second time
    (xDSL's `cse` and `dce` in stage `device`) is `name@stage` the second time.
    Cached: callers must not change the dict."""
    out: dict[str, str] = {}
    for stage in tfir.lower(source, target=target, dims=dims):
        key = stage.pass_name if stage.pass_name not in out else f"{stage.pass_name}@{stage.stage}"
        out[key] = stage.ir
    return out
