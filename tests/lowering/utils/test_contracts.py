"""The stage contracts of docs/ir-levels.md, checked by the pipeline after
each stage when `verify_each` is on, and on their own."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from xdsl.dialects.builtin import ModuleOp, UnknownLoc
from xdsl.passes import ModulePass

import tfir
from tests.support.common import parse_ir
from tfir import pipeline
from tfir.lowering.utils.contracts import (
    ContractError,
    check_buffers,
    check_device,
    check_linalg,
    check_reshapes,
)

SRC = "fn main(x: f32[8]) -> f32[8] {\n    return tanh(x * 2.0) + 1.0;\n}\n"


@dataclass(frozen=True)
class DropLocations(ModulePass):
    """Leaves IR that verifies but has lost its source locations."""

    name = "drop-locations"

    def apply(self, ctx, op: ModuleOp) -> None:
        for inner in op.walk():
            if inner is not op:
                inner.location = UnknownLoc()


@pytest.fixture
def broken_buffers_stage(monkeypatch):
    monkeypatch.setattr(pipeline, "PIPELINE", list(pipeline.PIPELINE))
    monkeypatch.setattr(pipeline, "_REGISTERED_PASSES", dict(pipeline._REGISTERED_PASSES))
    pipeline.register_pass(DropLocations, after="bufferize")


def test_a_broken_contract_names_the_stage(broken_buffers_stage) -> None:
    with pytest.raises(pipeline.PassFailed, match=r"pass 'plan-buffers' \(stage buffers\) failed: .* has no source location"):
        tfir.compile_source(SRC, cache=False, verify_each=True).main(pipeline_input())
    # Without verify_each only the final IR is verified (the contract is not checked).
    tfir.compile_source(SRC, cache=False, verify_each=False).main(pipeline_input())


def pipeline_input():
    import numpy as np
    return np.zeros(8, np.float32)


def test_checkers_on_their_own() -> None:
    tf_ir = parse_ir('builtin.module { func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> { '
                     '%y = "tf.neg"(%x) : (tensor<4xf32>) -> tensor<4xf32> '
                     'func.return %y : tensor<4xf32> } }')
    with pytest.raises(ContractError, match="tf.neg is not a linalg-stage op"):
        check_linalg(tf_ir, locations=False)
    with pytest.raises(ContractError, match="a tensor in"):
        check_buffers(tf_ir, locations=False)
    with pytest.raises(ContractError, match="tf.neg is not a device-stage host op"):
        check_device(tf_ir, locations=False)


def test_check_uses_finds_a_user_outside_the_module() -> None:
    import numpy as np
    import pytest
    from xdsl.dialects import memref
    from xdsl.dialects.builtin import MemRefType, f32

    from tfir.lowering.utils.contracts import ContractError, check_uses
    from tfir.testing.differential import tf_module

    module, _ = tf_module("fn main(x: f32[4]) -> f32[4] {\n    return x * 2.0;\n}\n", "main",
                          {"x": np.ones(4, np.float32)})
    check_uses(module)
    arg = next(iter(module.ops)).body.block.args[0]
    memref.CastOp.get(arg, MemRefType(f32, [4]))  # built, never inserted: a dangling user
    with pytest.raises(ContractError, match="memref.cast uses a result"):
        check_uses(module)


def test_check_reshapes_finds_a_group_of_the_wrong_size() -> None:
    """xDSL verifies this collapse_shape; its group has 4096 elements, not 16
    (what numpy-row-groups once made of a tile, found by `tfir fuzz --gradients`)."""
    bad = parse_ir("""builtin.module {
  func.func @f(%a: memref<16x1x256xf64>) -> memref<16xf64> {
    %0 = memref.collapse_shape %a [[0, 1, 2]] : memref<16x1x256xf64> into memref<16xf64>
    func.return %0 : memref<16xf64>
  }
}""")
    bad.verify()
    with pytest.raises(ContractError, match=r"group \[0, 1, 2\] of \[16, 1, 256\] has 4096 elements"):
        check_reshapes(bad)
    good = parse_ir("""builtin.module {
  func.func @f(%a: memref<16x1x256xf64>) -> memref<16x256x1x1xf64> {
    %0 = memref.collapse_shape %a [[0, 1, 2]] : memref<16x1x256xf64> into memref<4096xf64>
    %1 = memref.expand_shape %0 [[0, 1, 2, 3]] output_shape [16, 256, 1, 1] : memref<4096xf64> into memref<16x256x1x1xf64>
    func.return %1 : memref<16x256x1x1xf64>
  }
}""")
    check_reshapes(good)
