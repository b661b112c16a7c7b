"""`convert-loops-to-device` on hand-written loop-level IR (the kernels it
forms, their attributes and launches) and the Triton source printed from it.
Running the kernels is in test_triton_kernels.py."""

from __future__ import annotations

import re

import pytest
from conftest import filecheck
from triton_cases import CASES, context, load_plugin, lower_to_device
from xdsl.dialects.builtin import FileLineColLoc
from xdsl.parser import Parser

from tfir.backends.registry import BACKENDS
from tfir.backends.triton import runtime as triton_runtime
from tfir.backends.triton.kernels import TritonCodegenError
from tfir.dialects import device
from tfir.lowering.utils.device import DeviceLoweringError

generate = BACKENDS["triton"].generate

BY_NAME = {c.name: c for c in CASES}


def lower(text: str):
    ctx = context()
    module = Parser(ctx, text).parse_module()
    lower_to_device(ctx, module)
    module.verify()
    return module


def kernels(module) -> list[device.KernelOp]:
    return [op for op in module.ops if isinstance(op, device.KernelOp)]


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


def test_generated_source_reads_like_the_program() -> None:
    module = lower(BY_NAME["elementwise_tiled"].mlir)
    source = generate(module, "f", lambda f, n: "y = tanh(a + b)" if n == 3 else "")
    assert ("@triton.jit\ndef tf_add_tanh_0(a_ptr, b_ptr, out_ptr, BLOCK: tl.constexpr):"
            in source)
    assert source.count("# prog.tf:3  y = tanh(a + b)") == 2  # kernel and launch
    assert "tf_add_tanh_0[(7,)](a, b, out, BLOCK=1024)" in source  # num_warps=4 is the default
    calls = re.findall(r"tl\.(load|store)\(([^\n]*)\)", source)
    assert calls and all("mask=" in args for _, args in calls)
    compile(source, "<generated>", "exec")


def test_every_case_masks_all_memory_accesses() -> None:
    for case in CASES:
        if case.plugin:
            load_plugin(case.plugin)
        source = generate(lower(case.mlir), case.entry)
        calls = re.findall(r"tl\.(load|store)\(([^\n]*)\)", source)
        assert calls and all("mask=" in args for _, args in calls), case.name


def test_external_call_stays_on_the_host() -> None:
    """docs/ir-levels.md section 7: the plugin's triton implementation is
    imported and called between the launches, on the buffers."""
    case = BY_NAME["external_call"]
    load_plugin(case.plugin)
    module = lower(case.mlir)
    source = generate(module, case.entry)
    assert "from tfir_mylib.kernels import cumsum_triton as mylib_cumsum" in source
    body = source[source.index("def ext(x):"):]
    assert re.findall(r"^    (tf_\w+|mylib_cumsum)[\[(]", body, re.M) == [
        "tf_add_0", "mylib_cumsum", "tf_mul_1"]


def test_unprintable_op_is_named() -> None:
    text = BY_NAME["elementwise_tiled"].mlir.replace("math.tanh %s : f32", "math.atan %s : f32")
    with pytest.raises(TritonCodegenError, match="cannot print math.atan"):
        generate(lower(text), "f")


def test_missing_triton_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setattr(triton_runtime.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(triton_runtime.TritonUnavailable, match=re.escape('pip install -e ".[triton]"')):
        triton_runtime.require_device()


def test_no_gpu_says_how_to_get_one(monkeypatch) -> None:
    pytest.importorskip("triton")
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    monkeypatch.setattr(triton_runtime, "_cuda_torch", lambda: None)
    with pytest.raises(triton_runtime.TritonUnavailable, match="TRITON_INTERPRET=1"):
        triton_runtime.require_device()
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    triton_runtime.require_device()


def test_one_value_globals_are_literals_unless_a_dot_reads_them() -> None:
    """The rank-0 global becomes `-1.5` in the epilogue and leaves the kernel
    and the host; the splat operands of the dot stay buffers."""
    module = lower(BY_NAME["splat_globals"].mlir)
    (kernel,) = kernels(module)
    assert [str(a.type) for a in kernel.body.block.args] == [
        "memref<20x30xf32>", "memref<30x40xf32>", "memref<20x40xf32>", "memref<20x40xf32>"]
    source = generate(module, "sg")
    assert "t = acc - 1.5\n" in source
    assert "_S = " not in source and "memref<f32>" not in str(module.ops.last)
    assert "_A = np.full((20, 30), 0.5, dtype=np.float32)" in source



def test_bias_is_loaded_once_per_column() -> None:
    """The epilogue's `b[n]` is a 1-D load under the column mask, placed into
    the tile, not a load of the broadcast offsets; the dot tiles stay 2-D."""
    module = lower(BY_NAME["matmul_bias_relu"].mlir)
    (kernel,) = kernels(module)
    loads = {str(op.base.type): op for op in kernel.walk() if isinstance(op, device.LoadOp)}
    bias = loads["memref<40xf32>"]
    assert [str(bias.offsets.type), str(bias.mask.type)] == ["tensor<64xi32>", "tensor<64xi1>"]
    (use,) = bias.result.uses
    assert isinstance(use.operation, device.ExpandDimsOp) and use.operation.axis.value.data == 0
    assert str(loads["memref<30x40xf32>"].offsets.type) == "tensor<32x64xi32>"
    source = generate(module, "mlp")
    assert "\n    b_1 = tl.load(b_ptr + rn, mask=mask_n, other=0.0)\n" in source  # `b` is the w tile
