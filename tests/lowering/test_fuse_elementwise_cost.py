"""Fusion never recomputes an expensive value (issue 6): on real programs,
each transcendental of the source is computed once after `fuse-elementwise`,
and a multi-use producer is only cloned when it is a few cheap ops."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import ModuleOp

import tfir
from tfir.dialects.dtypes import from_numpy
from tfir.dialects.registry import TType
from tfir.frontend.driver import build_entry
from tfir.pipeline import run_pipeline

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = Path("/work/shared/conformance/programs")
BENCH = ROOT / "benchmarks" / "programs"


def fused_ir(path: Path, entry: str, shapes: dict[str, tuple[int, ...]],
             disable: tuple[str, ...] = ()) -> ModuleOp:
    prog = tfir.compile_file(path)
    types = {n: TType(from_numpy(np.dtype(np.float32)) or "", s) for n, s in shapes.items()}
    module = build_entry(prog.frontend, entry, types, {})
    return run_pipeline(module, "numpy", disable=disable, stop_after="fuse-elementwise")


def math_ops(module: ModuleOp) -> Counter[str]:
    return Counter(op.name for op in module.walk() if op.name.startswith("math."))


def generics(module: ModuleOp) -> int:
    return sum(op.name == "linalg.generic" for op in module.walk())


def test_softmax_exp_computed_once() -> None:
    module = fused_ir(BENCH / "softmax.tf", "main", {"x": (8, 16)})
    assert math_ops(module) == Counter({"math.exp": 1})


def test_layernorm_sqrt_once_and_centering_fused() -> None:
    module = fused_ir(BENCH / "layernorm.tf", "main", {"x": (8, 16), "gamma": (16,), "beta": (16,)})
    counts = math_ops(module)
    assert set(counts.values()) == {1}, counts
    # `x - mean` (one subtraction) is cheap: fused into its two users, not stored.
    ops = [op for op in module.walk() if op.name == "linalg.generic"]
    assert sum(any(o.name == "arith.subf" for o in g.body.walk()) for g in ops) == 2


@pytest.mark.skipif(not (CONFORMANCE / "redundancy.tf").exists(), reason="no conformance programs")
def test_redundancy_tanh_computed_once() -> None:
    module = fused_ir(CONFORMANCE / "redundancy.tf", "main", {"a": (1000,), "b": (1000,)})
    counts = math_ops(module)
    assert counts["math.tanh"] == 1, counts
    assert "math.exp" not in counts  # the dead exp is gone


def test_mlp_example_bias_add_not_repeated() -> None:
    shapes = {"x": (32, 784), "w1": (784, 128), "b1": (128,), "w2": (128, 10), "b2": (10,)}
    module = fused_ir(ROOT / "examples" / "mlp.tf", "mlp", shapes)
    assert math_ops(module) == Counter({"math.exp": 1})
    adds = [op for g in module.walk() if g.name == "linalg.generic"
            for op in g.body.walk() if op.name == "arith.addf"]
    # dense's `+ b` twice, sum's combiner once; `logits + b2` is one add (cheap)
    # fused into max and exp(. - max) at most: never into the division as well.
    assert len(adds) <= 5


def test_ops100_each_unary_once() -> None:
    module = fused_ir(BENCH / "ops100.tf", "main", {"x": (64,), "y": (64,)})
    counts = math_ops(module)
    # 20 blocks: 5 tanh, 5 sin, 5 cos, 5 sigmoid (one exp each).
    assert counts == Counter({"math.tanh": 5, "math.sin": 5, "math.cos": 5, "math.exp": 5}), counts


def test_without_fusion_nothing_is_recomputed_either() -> None:
    fused = fused_ir(BENCH / "softmax.tf", "main", {"x": (8, 16)})
    plain = fused_ir(BENCH / "softmax.tf", "main", {"x": (8, 16)}, disable=("fuse-elementwise",))
    assert math_ops(fused) == math_ops(plain)
    assert generics(fused) < generics(plain)


def test_nothing_fuses_into_a_batched_matmul() -> None:
    # softmax(s) @ v: the division stays an elementwise op (run in parallel,
    # row by row) and the batched matmul reads its result, as BLAS would.
    module = fused_ir(BENCH / "attention.tf", "main", {"q": (2, 8, 4), "k": (2, 8, 4), "v": (2, 8, 4)})
    contractions = [g for g in module.walk() if g.name == "linalg.generic"
                    and any(it.data.value == "reduction" for it in g.iterator_types)
                    and {"arith.mulf", "arith.addf"} <= {o.name for o in g.body.walk()}]
    assert len(contractions) == 2  # q @ k^T and softmax @ v
    for g in contractions:
        assert [o.name for o in g.body.block.ops] == ["arith.mulf", "arith.addf", "linalg.yield"]
    assert math_ops(module) == Counter({"math.exp": 1})
