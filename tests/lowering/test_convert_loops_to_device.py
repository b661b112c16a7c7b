"""`convert-loops-to-device` runs a matmul where its elementwise epilogue was
only when nothing in between writes what the matmul reads: the GRU-like
program of issue 13 reused the concat's buffer for the second concat, and the
fused matmul read it after it was overwritten."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tfir import pipeline
from tfir.testing.differential import tf_module

GRU = (Path(__file__).parents[1] / "integration" / "programs" / "issue13_gru.tf").read_text()


def _launches(source: str, inputs: dict[str, np.ndarray]) -> list[str]:
    module, _ = tf_module(source, "gru", inputs)
    pipeline.run_pipeline(module, "triton", verify_each=True)
    return [op.kernel.root_reference.data for op in module.walk() if op.name == "device.launch"]


def test_the_matmul_stays_before_the_writes_of_its_input() -> None:
    rng = np.random.default_rng(0)
    shapes = {"x": (5, 16), "h": (5, 24), "wz": (40, 24), "wr": (40, 24), "wh": (40, 24)}
    launches = _launches(GRU, {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()})
    z = next(i for i, name in enumerate(launches) if name.startswith("tf_matmul"))
    second_concat = [i for i, name in enumerate(launches) if name.startswith("tf_copy")][-1]
    assert z < second_concat, launches  # xh @ wz runs before xh's buffer is reused


def test_an_epilogue_is_still_fused_when_nothing_intervenes() -> None:
    source = ("fn gru(a: f32[5, 8], w: f32[8, 4], b: f32[5, 4]) -> f32[5, 4] {\n"
              "    return (a @ w) * b;\n}\n")
    rng = np.random.default_rng(0)
    launches = _launches(source, {"a": rng.standard_normal((5, 8)).astype(np.float32),
                                  "w": rng.standard_normal((8, 4)).astype(np.float32),
                                  "b": rng.standard_normal((5, 4)).astype(np.float32)})
    assert launches == ["tf_matmul_mul_0"]
