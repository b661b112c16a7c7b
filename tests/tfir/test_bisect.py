"""`tfir bisect`: the first pass after which results differ from eager, or
after which the IR is broken, with the IR before and after and the values."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import IntegerAttr, ModuleOp
from xdsl.passes import ModulePass

from tfir.cli import main
from tfir.pipeline import PIPELINE, register_pass

ISSUE = Path(__file__).parents[1] / "integration" / "programs" / "issue13_tile_linalg.tf"
SUB = "fn main(x: f32[4], y: f32[4]) -> f32[4] {\n    let b = exp(y) - x * 2.0;\n    return sum(b) - b;\n}\n"


@pytest.fixture
def restore():
    steps = list(PIPELINE)
    yield
    PIPELINE[:] = steps


def _register(name: str, **anchor: str) -> str:
    module = importlib.import_module(f"tests.support.{name}")
    cls = next(v for v in vars(module).values() if isinstance(v, type) and getattr(v, "name", "")
               in ("old-slice-lowering", "swap-sub"))
    register_pass(cls, **anchor)
    return module.__name__


@pytest.mark.parametrize("target", ["numpy", "mlir"])
def test_a_wrong_pass_is_named_with_the_values(restore, target, tmp_path: Path, capsys) -> None:
    path = tmp_path / "sub.tf"
    path.write_text(SUB)
    name = _register("swapped_sub", after="canonicalize-tf")
    assert main(["bisect", str(path), "--target", target, "--plugin", name]) == 1
    out = capsys.readouterr().out
    assert "first pass after which the results differ from eager: 'swap-sub' (stage tf)" in out
    assert "result 0[0]: eager" in out
    assert "--- IR before 'swap-sub' ---" in out and "--- IR after 'swap-sub' ---" in out
    assert "canonicalize-tf                  ok" in out


def test_a_pass_that_breaks_the_ir_is_named(restore, capsys) -> None:
    name = _register("old_slice_lowering", before="convert-tf-to-linalg")
    assert main(["bisect", str(ISSUE), "--plugin", name]) == 1
    out = capsys.readouterr().out
    assert "old-slice-lowering               BROKEN" in out
    assert "first pass after which the IR is broken: 'old-slice-lowering' (stage linalg)" in out


@pytest.mark.parametrize("target", ["numpy", "triton", "mlir"])
def test_a_correct_pipeline_passes_everywhere(target: str, capsys) -> None:
    if target == "triton":  # Triton's interpreter is chosen when Triton loads: a process of its own
        pytest.importorskip("triton")
        env = {**os.environ, "TRITON_INTERPRET": "1", "TFIR_CACHE": "0"}
        proc = subprocess.run([sys.executable, "-m", "tfir", "bisect", str(ISSUE), "--target", target],
                              env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout
    else:
        assert main(["bisect", str(ISSUE), "--target", target]) == 0
        out = capsys.readouterr().out
    assert "every pass keeps the results of eager" in out
    runners = {"numpy": "numpy code", "triton": "triton code", "mlir": "numpy code"}[target]
    assert "linalg interpreter" in out and runners in out


GRAD = Path(__file__).parents[1] / "integration" / "programs" / "fuzz_row_groups_reshape.tf"


def test_a_program_with_gradients_is_run_from_differentiate_on(capsys) -> None:
    """The IR before `differentiate` holds `tf.gradients`, which nothing runs:
    not blamed; the reference is the eager target's result."""
    assert main(["bisect", str(GRAD)]) == 0
    out = capsys.readouterr().out
    assert "inline-calls                     -        eager: RuntimeError" in out
    assert "differentiate                    ok       eager" in out
    assert "numpy-row-groups                 ok       numpy code" in out


@dataclass(frozen=True)
class OutOfBounds(ModulePass):
    """Reads past the end of the first parameter: code that crashes."""

    name = "out-of-bounds"

    def apply(self, ctx, op: ModuleOp) -> None:
        fn = next(o for o in op.ops if isinstance(o, func.FuncOp))
        arg = fn.body.block.args[0]
        index = arith.ConstantOp(IntegerAttr.from_index_int_value(10**6))
        load = memref.LoadOp.get(arg, [index.result] * len(arg.type.get_shape()))
        store = memref.StoreOp.get(load.res, arg, [index.result] * len(arg.type.get_shape()))
        fn.body.block.insert_ops_before([index, load, store], fn.body.block.first_op)


def test_a_pass_after_which_the_code_crashes_is_named(restore, capsys) -> None:
    register_pass(OutOfBounds, after="numpy-row-groups")
    assert main(["bisect", str(ISSUE)]) == 1
    out = capsys.readouterr().out
    assert "numpy-native-kernels             ok       numpy code" in out
    assert "out-of-bounds                    CRASHES  numpy code: IndexError" in out
    assert "first pass after which the code run for the IR crashes: 'out-of-bounds' (stage schedule)" in out
