"""`convert-loops-to-device` on hand-written loop-level IR (the kernels it
forms, their attributes and launches), and on examples/mlp.tf after the
passes before it. The Triton source printed from the kernels is tested in
tests/backends/triton/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import FileLineColLoc

from tests.support.common import ROOT, filecheck
from tests.support.stages import ir_after_each_pass
from tests.support.triton_cases import CASES, kernels, lower
from tfir import pipeline
from tfir.backends.registry import BACKENDS
from tfir.dialects import device
from tfir.lowering.utils.device import DeviceLoweringError
from tfir.testing.differential import tf_module

generate = BACKENDS["triton"].generate

BY_NAME = {c.name: c for c in CASES}


def test_softmax_is_one_row_kernel() -> None:
    module = lower(BY_NAME["softmax"].mlir)
    filecheck(str(module), """
CHECK:      "device.kernel"() <{sym_name = "tf_row_max_sum_0", grid = array<i64: 1>, block_sizes = {BLOCK_R = 8 : i64, BLOCK_C = 128 : i64}, num_warps = 4 : i64}>
CHECK-NEXT: ^bb0(%x: memref<8x100xf32>, %y: memref<8x100xf32>):
CHECK:      device.load %x
CHECK-NOT:  device.load
CHECK:      device.reduce "max" {{.*}} {axis = 1 : i64} : tensor<8x128xf32> -> tensor<8xf32>
CHECK:      device.reduce "sum" {{.*}} {axis = 1 : i64} : tensor<8x128xf32> -> tensor<8xf32>
CHECK:      device.store %y
CHECK-NOT:  device.store
CHECK:      func.func @softmax(%x: memref<8x100xf32>) -> memref<8x100xf32> {
CHECK-NEXT:   %y = memref.alloc() : memref<8x100xf32>
CHECK-NEXT:   device.launch @tf_row_max_sum_0(%x, %y) : memref<8x100xf32>, memref<8x100xf32>
CHECK-NEXT:   func.return %y : memref<8x100xf32>
""")


def test_matmul_takes_its_epilogue() -> None:
    module = lower(BY_NAME["matmul_bias_relu"].mlir)
    (kernel,) = kernels(module)
    assert kernel.sym_name.data == "tf_matmul_add_max_0"
    assert kernel.grid_sizes() == (1, 1)
    assert kernel.blocks() == {"BLOCK_M": 32, "BLOCK_N": 64, "BLOCK_K": 32}
    assert [a.name_hint for a in kernel.body.block.args] == ["x", "w", "b", "y"]
    filecheck(str(module), """
CHECK:      scf.for %k = {{.*}} iter_args(%acc{{.*}}) -> (tensor<32x64xf32>) : i32 {
CHECK:        device.dot {{.*}} : tensor<32x32xf32>, tensor<32x64xf32> -> tensor<32x64xf32>
CHECK:        scf.yield
CHECK:      arith.maximumf
CHECK:      device.store %y
CHECK:      func.func @mlp
CHECK-NOT:  linalg
CHECK:      device.launch @tf_matmul_add_max_0(%x, %w, %b, %y)
""")


def test_long_rows_loop_over_column_blocks() -> None:
    (kernel,) = kernels(lower(BY_NAME["long_sum"].mlir))
    assert kernel.blocks() == {"BLOCK_R": 1, "BLOCK_C": 1024}
    loops = [op for op in kernel.walk() if op.name == "scf.for"]
    assert len(loops) == 1 and [r.type for r in loops[0].results] == [loops[0].iter_args[0].type]


def test_tile_loops_are_dropped_and_locations_kept() -> None:
    module = lower(BY_NAME["elementwise_tiled"].mlir)
    assert not [op for op in module.walk() if op.name.startswith("scf.")]
    (kernel,) = kernels(module)
    locs = {op.location for op in kernel.walk() if op is not kernel}
    assert all(isinstance(loc, FileLineColLoc) and loc.line.data == 3 for loc in locs)
    assert kernel.grid_sizes() == (7,) and kernel.blocks() == {"BLOCK": 1024}


def test_tile_pieces_merge_back_into_one_op() -> None:
    """A main tile loop plus a remainder piece: one kernel over all rows, its
    fill folded (a piece run twice would add the tail rows twice)."""
    module = lower(BY_NAME["tiled_sum_with_remainder"].mlir)
    (kernel,) = kernels(module)
    assert kernel.grid_sizes() == (1,) and kernel.blocks() == {"BLOCK_R": 16, "BLOCK_C": 8}
    filecheck(str(module), """
CHECK:      func.func @rows(%x: memref<10x6xf32>) -> memref<10xf32> {
CHECK-NEXT:   %s = memref.alloc() : memref<10xf32>
CHECK-NEXT:   device.launch @tf_sum_0(%x, %s)
CHECK-NEXT:   func.return %s
""")


def test_batched_contraction_is_a_dot_kernel() -> None:
    """`out + f(a) * b` over k, as attention's `softmax(s) @ v` reaches us."""
    module = lower(BY_NAME["batched_contraction"].mlir)
    (kernel,) = kernels(module)
    assert kernel.sym_name.data == "tf_matmul_exp_div_0"
    assert kernel.grid_sizes() == (1, 1, 2)  # M tiles, N tiles, batch
    filecheck(str(module), """
CHECK:      device.program_id 2
CHECK:      scf.for
CHECK:        device.load %a
CHECK:        device.load %s
CHECK:        math.exp
CHECK:        arith.divf
CHECK:        device.load %b
CHECK:        device.dot
CHECK:      device.store %c
""")


def test_transpose_read_only_by_generics_is_index_arithmetic() -> None:
    module = lower(BY_NAME["folded_transpose"].mlir)
    (kernel,) = kernels(module)
    assert [a.name_hint for a in kernel.body.block.args] == ["x", "y"]
    filecheck(str(module), """
CHECK:      %[[ROW:.*]] = arith.divsi %idx
CHECK:      %[[COL:.*]] = arith.remsi %idx
CHECK:      arith.muli %[[COL]]
CHECK:      device.load %x
CHECK:      func.func @ft(%x: memref<3x5xf32>) -> memref<5x3xf32> {
CHECK-NEXT:   %y = memref.alloc() : memref<5x3xf32>
CHECK-NEXT:   device.launch
""")


def test_arg_reduction_and_integer_matmul() -> None:
    reduce_kinds = {op.kind.data for op in lower(BY_NAME["argmax"].mlir).walk()
                    if isinstance(op, device.ReduceOp)}
    assert reduce_kinds == {"max", "argmax"}
    module = lower(BY_NAME["int_matmul"].mlir)
    assert not [op for op in module.walk() if isinstance(op, device.DotOp)]  # no int MMA
    assert [op.kind.data for op in module.walk() if isinstance(op, device.ReduceOp)] == ["sum"]


def test_two_ops_in_one_tile_loop_are_rejected() -> None:
    text = BY_NAME["elementwise_tiled"].mlir.replace(
        "    scf.reduce", "    linalg.fill ins(%c0f : f32) outs(%so : memref<?x100xf32, "
        "strided<[100, 1], offset: ?>>)\n    scf.reduce").replace(
        "  %c0 = arith.constant 0 : index", "  %c0 = arith.constant 0 : index\n"
        "  %c0f = arith.constant 0.0 : f32")
    with pytest.raises(DeviceLoweringError, match="expected one linalg op per tile loop, got 2"):
        lower(text)


def test_mlp_becomes_kernels_and_launches() -> None:
    ir = ir_after_each_pass(ROOT / "examples" / "mlp.tf", "triton")
    filecheck(ir["convert-loops-to-device"], """
CHECK:     "device.kernel"() <{sym_name = "tf_mul_0"
CHECK:     func.func @mlp
CHECK-NOT: linalg.
CHECK:     device.launch @tf_mul_0
""")


LOOP_CARRIED_SUM = """
builtin.module {
  func.func @main(%x: memref<3x4x8xf32>) -> memref<f32> {
    %c0 = arith.constant 0 : index
    %c3 = arith.constant 3 : index
    %c1 = arith.constant 1 : index
    %loss = memref.alloc() : memref<f32>
    %zero = arith.constant 0.000000e+00 : f32
    linalg.fill ins(%zero : f32) outs(%loss : memref<f32>)
    %row = memref.alloc() : memref<4x8xf32>
    %part = memref.alloc() : memref<f32>
    scf.for %t = %c0 to %c3 step %c1 {
      linalg.fill ins(%zero : f32) outs(%part : memref<f32>)
      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>], iterator_types = ["reduction", "reduction"]} ins(%row : memref<4x8xf32>) outs(%part : memref<f32>) {
      ^bb0(%a: f32, %b: f32):
        %s = arith.addf %a, %b : f32
        linalg.yield %s : f32
      }
      linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []} ins(%loss, %part : memref<f32>, memref<f32>) outs(%loss : memref<f32>) {
      ^bb0(%a: f32, %b: f32, %c: f32):
        %s = arith.addf %a, %b : f32
        linalg.yield %s : f32
      }
    }
    func.return %loss : memref<f32>
  }
}
"""


def test_row_group_in_a_loop_stores_what_the_next_iteration_reads() -> None:
    # `loss = loss + sum(row)` in a loop body: nothing after the group in the
    # body reads `loss`, but the next iteration and the return do; the partial
    # sum, read only inside the group, stays in registers.
    module = lower(LOOP_CARRIED_SUM)
    (kernel,) = [k for k in kernels(module) if k.sym_name.data.startswith("tf_row")]
    stores = [op for op in kernel.walk() if isinstance(op, device.StoreOp)]
    assert [s.operands[0].name_hint for s in stores] == ["loss"]
    assert [a.name_hint for a in kernel.body.block.args] == ["row", "loss"]


# -- issue 13 ----------------------------------------------------------------------
# `convert-loops-to-device` runs a matmul where its elementwise epilogue was
# only when nothing in between writes what the matmul reads: the GRU-like
# program of issue 13 reused the concat's buffer for the second concat, and the
# fused matmul read it after it was overwritten.


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
