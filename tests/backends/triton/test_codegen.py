"""The Triton source printed from the `device` IR (hand-written loop-level
cases lowered by stage `device`): it reads like the program, masks every
access, keeps external calls on the host; and the errors of a missing Triton
or GPU. Running the kernels is in test_kernels.py."""

from __future__ import annotations

import re

import pytest

from tests.support.triton_cases import CASES, kernels, load_plugin, lower
from tfir.backends.registry import BACKENDS
from tfir.backends.triton import runtime as triton_runtime
from tfir.backends.triton.kernels import TritonCodegenError
from tfir.dialects import device

generate = BACKENDS["triton"].generate

BY_NAME = {c.name: c for c in CASES}


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
    text = BY_NAME["elementwise_tiled"].mlir.replace("math.tanh %s : f32", "math.cbrt %s : f32")
    with pytest.raises(TritonCodegenError, match="cannot print math.cbrt"):
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
