"""The `device` dialect: parse/print round trip and the verifiers."""

from __future__ import annotations

import pytest
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException

from tests.support.triton_cases import context

KERNEL = """
builtin.module {
  "device.kernel"() <{sym_name = "k", grid = array<i64: 1>, block_sizes = {BLOCK = 16 : i64}, num_warps = 1 : i64}> ({
  ^bb0(%a: memref<10xf32>, %o: memref<10xf32>):
    %pid = device.program_id 0 : i32
    %r = device.arange 0 to 16 {block = "BLOCK"} : tensor<16xi32>
    %s = device.splat %pid : i32 -> tensor<16xi32>
    %idx = arith.addi %s, %r : tensor<16xi32>
    %n = arith.constant dense<10> : tensor<16xi32>
    %m = device.cmp "lt" %idx, %n : tensor<16xi32> -> tensor<16xi1>
    %x = device.load %a[%idx], %m {other = 0.0 : f32} : memref<10xf32>, tensor<16xi32>, tensor<16xi1> -> tensor<16xf32>
    %e = device.expand_dims %x {axis = 0 : i64} : tensor<16xf32> -> tensor<1x16xf32>
    %b = device.broadcast %e : tensor<1x16xf32> -> tensor<16x16xf32>
    %d = device.dot %b, %b, %b : tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
    %red = device.reduce "sum" %d {axis = 0 : i64} : tensor<16x16xf32> -> tensor<16xf32>
    %am = device.reduce "argmax" %x {axis = 0 : i64} : tensor<16xf32> -> i32
    %w = device.select %m, %red, %x : tensor<16xi1>, tensor<16xf32>
    %c = device.cast %idx : tensor<16xi32> -> tensor<16xf64>
    device.store %o[%idx], %w, %m : memref<10xf32>, tensor<16xi32>, tensor<16xf32>, tensor<16xi1>
    device.return
  }) : () -> ()
  func.func @f(%a: memref<10xf32>) -> memref<10xf32> {
    %o = memref.alloc() : memref<10xf32>
    device.launch @k(%a, %o) : memref<10xf32>, memref<10xf32>
    func.return %o : memref<10xf32>
  }
}
"""


def _parse(text: str):
    return Parser(context(), text).parse_module()


def test_round_trip() -> None:
    module = _parse(KERNEL)
    module.verify()
    again = _parse(str(module))
    again.verify()
    assert str(again) == str(module)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("%m {other = 0.0 : f32} : memref<10xf32>, tensor<16xi32>, tensor<16xi1> -> tensor<16xf32>",
     "%idx {other = 0.0 : f32} : memref<10xf32>, tensor<16xi32>, tensor<16xi32> -> tensor<16xf32>",
     "expected mask type tensor<16xi1>, got tensor<16xi32>"),
    ("device.arange 0 to 16 {block", "device.arange 0 to 12 {block",
     "expected a power-of-two range, got 12"),
    ('{block = "BLOCK"}', '{block = "BLOCK_K"}', "expected block size BLOCK_K None, got 16"),
    ("tensor<16xf32> -> i32", "tensor<16xf32> -> i64", "expected result type i32, got i64"),
    ("device.launch @k(%a, %o) : memref<10xf32>, memref<10xf32>",
     "device.launch @k(%a) : memref<10xf32>", "expected argument types"),
    ("%b = device.broadcast %e : tensor<1x16xf32> -> tensor<16x16xf32>",
     "%b = device.broadcast %x : tensor<16xf32> -> tensor<16x16xf32>",
     "expected a shape broadcastable to (16, 16), got (16,)"),
    ("%w, %m : memref<10xf32>, tensor<16xi32>, tensor<16xf32>",
     "%d, %m : memref<10xf32>, tensor<16xi32>, tensor<16x16xf32>",
     "expected block shape (16,), got (16, 16)"),
])
def test_verifier_rejects(old: str, new: str, message: str) -> None:
    assert old in KERNEL
    module = _parse(KERNEL.replace(old, new))
    with pytest.raises(VerifyException, match=message.replace("(", r"\(").replace(")", r"\)")):
        module.verify()


def test_dot_needs_16() -> None:
    small = KERNEL.replace("16", "8").replace("array<i64: 1>", "array<i64: 1>")
    module = _parse(small)
    with pytest.raises(VerifyException, match="expected dot blocks of at least 16"):
        module.verify()
