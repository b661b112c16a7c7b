"""The passes of stage `device` (target triton), each on the IR the pass
before it left: what each one rewrites, checked on its own output."""

from __future__ import annotations

import pytest
from conftest import ROOT, filecheck

import tfir
from tfir.pipeline import steps_for

# 997 rows divide into no tile size: tile-linalg leaves a loop and a remainder piece.
PIECES = "fn main(x: f32[997, 300]) -> f32[997, 300] { return tanh(x) * 2.0; }"
TRANSPOSED = ("fn main(a: f32[64, 32], b: f32[32, 64]) -> f32[32, 64] "
              "{ return exp(transpose(a)) + b; }")


def stages(source: str | object, target: str = "triton") -> dict[str, str]:
    """The IR after each pass of stage `device`, by pass name (`cse@device`: its second run)."""
    out: dict[str, str] = {}
    for stage in tfir.lower(source, target=target):
        key = stage.pass_name if stage.pass_name not in out else f"{stage.pass_name}@{stage.stage}"
        out[key] = stage.ir
    return out


@pytest.fixture(scope="module")
def mlp() -> dict[str, str]:
    return stages(ROOT / "examples" / "mlp.tf")


def test_the_device_stage_is_eleven_named_passes() -> None:
    names = [s.pass_name for s in steps_for("triton") if s.stage == "device"]
    assert names == ["untile-loops", "merge-tile-pieces", "fold-transposes", "convert-loops-to-device",
                     "inline-scalar-constants", "cse", "drop-overwritten-stores", "narrow-broadcast-loads",
                     "dce", "prune-kernel-args", "drop-unused-globals"]


def test_untile_loops_then_merge_tile_pieces() -> None:
    ir = stages(PIECES)
    assert "scf.parallel" in ir["tile-linalg"]
    filecheck(ir["untile-loops"], """
CHECK-NOT: scf.parallel
CHECK:     memref.subview %x[0, 0] [872, 300] [1, 1]
CHECK:     linalg.generic
CHECK:     memref.subview %x[872, 0] [125, 300] [1, 1]
CHECK:     linalg.generic
CHECK-NOT: scf.parallel
""")
    filecheck(ir["merge-tile-pieces"], """
CHECK:     linalg.generic {{.*}} ins(%x, %0 : memref<997x300xf32>, memref<f32>) outs(%1 : memref<997x300xf32>)
CHECK-NOT: linalg.generic
""")


def test_fold_transposes_reads_the_source_through_permuted_maps() -> None:
    ir = stages(TRANSPOSED)
    assert "linalg.transpose" in ir["merge-tile-pieces"]
    filecheck(ir["fold-transposes"], """
CHECK-NOT: linalg.transpose
CHECK:     linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>
CHECK-SAME: ins(%a
""")


def test_convert_loops_to_device_leaves_kernels_and_launches(mlp) -> None:
    filecheck(mlp["convert-loops-to-device"], """
CHECK:     "device.kernel"() <{sym_name = "tf_mul_0"
CHECK:     func.func @mlp
CHECK-NOT: linalg.
CHECK:     device.launch @tf_mul_0
""")


def test_inline_scalar_constants_and_drop_unused_globals(mlp) -> None:
    before = mlp["convert-loops-to-device"]
    assert "memref.get_global" in before and "memref.global" in before
    after = mlp["inline-scalar-constants"]
    assert after.count("device.load") < before.count("device.load")
    assert "arith.constant dense<5.000000e-02> : tensor<1024xf32>" in after.split("func.func @mlp")[0]
    assert "memref.get_global" not in mlp["prune-kernel-args"]
    assert "memref.global" in mlp["prune-kernel-args"] and "memref.global" not in mlp["drop-unused-globals"]


def test_cse_of_the_device_stage_shares_index_arithmetic(mlp) -> None:
    before, after = mlp["inline-scalar-constants"], mlp["cse@device"]
    assert after.count("arith.constant") < before.count("arith.constant")


def test_drop_overwritten_stores() -> None:
    ir = stages(ROOT / "examples" / "attention.tf")  # a row's max and sum share a buffer
    assert ir["drop-overwritten-stores"].count("device.store") < ir["cse@device"].count("device.store")


def test_narrow_broadcast_loads_loads_the_bias_once_per_column(mlp) -> None:
    assert "device.load %b1[%offs_b1]" in mlp["drop-overwritten-stores"]
    filecheck(mlp["narrow-broadcast-loads"], """
CHECK:      %b1_1 = device.load %b1[%rn], %mask_n {{.*}} -> tensor<64xf32>
CHECK-NEXT: device.expand_dims %b1_1 {axis = 0 : i64} : tensor<64xf32> -> tensor<1x64xf32>
""")


def test_prune_kernel_args_drops_what_no_kernel_reads(mlp) -> None:
    def args(ir: str) -> int:
        return sum(line.count("memref<") for line in ir.splitlines() if line.lstrip().startswith("^bb0"))
    assert args(mlp["prune-kernel-args"]) < args(mlp["dce@device"])
