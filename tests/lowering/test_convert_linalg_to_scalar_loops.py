"""`convert-linalg-to-scalar-loops` (docs/ir-levels.md §5): goldens, the form
(only func / scf / memref / arith / math ops left), locations, and
differential runs of the loops in xDSL's interpreter against the
tensor-level reference."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects.builtin import FileLineColLoc

from tests.conftest import filecheck
from tests.lowering.test_bufferize import (
    ALIASES,
    ARGMAX,
    CHAIN,
    CONCAT_STACK,
    ID2,
    MATMUL_BIAS,
    SHARED_INIT,
    STRIDED_COLLAPSE,
    generic,
    module,
)
from tests.support.buffers_testing import differential, lower_to_loops, ops_named, randn

ALLOWED_DIALECTS = {"builtin", "func", "scf", "memref", "arith", "math"}

STRIDED_MAPS = module(
    "%a: tensor<7x4xf32>, %b: tensor<4xf32>",
    "%r, %v : tensor<3x4xf32>, tensor<4x4xf32>",
    # x[1::2] read through `d0 * 2 + 1`, plus a broadcast row
    "  %e = tensor.empty() : tensor<3x4xf32>",
    generic("%r", [("%a", "tensor<7x4xf32>"), ("%b", "tensor<4xf32>")], ("%e", "tensor<3x4xf32>"),
            ["affine_map<(d0, d1) -> (d0 * 2 + 1, d1)>", "affine_map<(d0, d1) -> (d1)>", ID2],
            '"parallel", "parallel"',
            ["%s = arith.subf %x0, %x1 : f32", "linalg.yield %s : f32"], "tensor<3x4xf32>"),
    # x[6:2:-1, ::-1] read through `d0 * -1 + 6` and `d1 * -1 + 3`
    "  %e2 = tensor.empty() : tensor<4x4xf32>",
    generic("%v", [("%a", "tensor<7x4xf32>")], ("%e2", "tensor<4x4xf32>"),
            ["affine_map<(d0, d1) -> (d0 * -1 + 6, d1 * -1 + 3)>", ID2], '"parallel", "parallel"',
            ["linalg.yield %x0 : f32"], "tensor<4x4xf32>"),
)


def test_strided_map_golden() -> None:
    m = lower_to_loops(STRIDED_MAPS)
    filecheck(str(m), """
CHECK:      scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
CHECK-NEXT:   scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
CHECK-NEXT:     %[[TWO:.*]] = arith.constant 2 : index
CHECK-NEXT:     %[[M:.*]] = arith.muli %[[I]], %[[TWO]] : index
CHECK-NEXT:     %[[ONE:.*]] = arith.constant 1 : index
CHECK-NEXT:     %[[R:.*]] = arith.addi %[[M]], %[[ONE]] : index
CHECK-NEXT:     %[[X:.*]] = memref.load %a[%[[R]], %[[J]]] : memref<7x4xf32>
CHECK-NEXT:     %[[Y:.*]] = memref.load %b[%[[J]]] : memref<4xf32>
CHECK-NEXT:     %[[S:.*]] = arith.subf %[[X]], %[[Y]] : f32
CHECK-NEXT:     memref.store %[[S]], %{{.*}}[%[[I]], %[[J]]] : memref<3x4xf32>
""")
    a, b = randn(7, 4), randn(4, seed=1)
    got = differential(STRIDED_MAPS, [a, b])
    np.testing.assert_array_equal(got[0], a[1::2] - b)
    np.testing.assert_array_equal(got[1], a[6:2:-1, ::-1])


def test_reduction_golden() -> None:
    m = lower_to_loops(SHARED_INIT)
    # The copy of the shared init (see test_bufferize) is a loop too; then
    # the output is loaded, combined and stored back in the innermost loop.
    filecheck(str(m), """
CHECK:      %[[C:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<3xf32>
CHECK-NEXT: memref.store %[[C]], %{{.*}}[%{{.*}}] : memref<3xf32>
CHECK:      scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
CHECK-NEXT:   scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
CHECK-NEXT:     %[[X:.*]] = memref.load %a[%[[I]], %[[K]]] : memref<3x4xf32>
CHECK-NEXT:     %[[O:.*]] = memref.load %[[OUT:.*]][%[[I]]] : memref<3xf32>
CHECK-NEXT:     %[[R:.*]] = arith.addf %[[X]], %[[O]] : f32
CHECK-NEXT:     memref.store %[[R]], %[[OUT]][%[[I]]] : memref<3xf32>
""")


FULL_REDUCE = module(
    "%a: tensor<2x3xi32>",
    "%m, %i : tensor<i32>, tensor<2x3xi64>",
    "  %e = tensor.empty() : tensor<i32>",
    "  %lo = arith.constant -2147483648 : i32",
    "  %f = linalg.fill ins(%lo : i32) outs(%e : tensor<i32>) -> tensor<i32>",
    generic("%m", [("%a", "tensor<2x3xi32>")], ("%f", "tensor<i32>"),
            [ID2, "affine_map<(d0, d1) -> ()>"], '"reduction", "reduction"',
            ["%r = arith.maxsi %x0, %o : i32", "linalg.yield %r : i32"], "tensor<i32>"),
    # iota over the flat index, as `linalg.index` computes it
    "  %e2 = tensor.empty() : tensor<2x3xi64>",
    "  %i = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = [\"parallel\", \"parallel\"]} outs(%e2 : tensor<2x3xi64>) {",
    "  ^bb0(%o: i64):",
    "    %r = linalg.index 0 : index",
    "    %c = linalg.index 1 : index",
    "    %three = arith.constant 3 : index",
    "    %rr = arith.muli %r, %three : index",
    "    %s = arith.addi %rr, %c : index",
    "    %v = arith.index_cast %s : index to i64",
    "    linalg.yield %v : i64",
    "  } -> tensor<2x3xi64>",
)


def test_rank0_reduction_and_index() -> None:
    a = np.array([[3, -7, 12], [5, 11, -1]], np.int32)
    got = differential(FULL_REDUCE, [a])
    assert got[0] == 12
    np.testing.assert_array_equal(got[1], np.arange(6).reshape(2, 3))


SOFTMAXISH = module(
    "%a: tensor<2x5xf32>",
    "%r : tensor<2x5xf32>",
    "  %ninf = arith.constant 0xFF800000 : f32",
    "  %zero = arith.constant 0.0 : f32",
    "  %e = tensor.empty() : tensor<2xf32>",
    "  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<2xf32>) -> tensor<2xf32>",
    generic("%mx", [("%a", "tensor<2x5xf32>")], ("%f", "tensor<2xf32>"),
            [ID2, "affine_map<(d0, d1) -> (d0)>"], '"parallel", "reduction"',
            ["%r = arith.maximumf %x0, %o : f32", "linalg.yield %r : f32"], "tensor<2xf32>"),
    "  %e2 = tensor.empty() : tensor<2xf32>",
    "  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2xf32>) -> tensor<2xf32>",
    generic("%sm", [("%a", "tensor<2x5xf32>"), ("%mx", "tensor<2xf32>")], ("%f2", "tensor<2xf32>"),
            [ID2, "affine_map<(d0, d1) -> (d0)>", "affine_map<(d0, d1) -> (d0)>"],
            '"parallel", "reduction"',
            ["%d = arith.subf %x0, %x1 : f32", "%x = math.exp %d : f32",
             "%r = arith.addf %x, %o : f32", "linalg.yield %r : f32"], "tensor<2xf32>"),
    "  %e3 = tensor.empty() : tensor<2x5xf32>",
    generic("%r", [("%a", "tensor<2x5xf32>"), ("%mx", "tensor<2xf32>"), ("%sm", "tensor<2xf32>")],
            ("%e3", "tensor<2x5xf32>"),
            [ID2, "affine_map<(d0, d1) -> (d0)>", "affine_map<(d0, d1) -> (d0)>", ID2],
            '"parallel", "parallel"',
            ["%d = arith.subf %x0, %x1 : f32", "%x = math.exp %d : f32",
             "%q = arith.divf %x, %x2 : f32", "linalg.yield %q : f32"], "tensor<2x5xf32>"),
)


def test_softmax_numerics() -> None:
    a = randn(2, 5)
    got = differential(SOFTMAXISH, [a])
    want = np.exp(a - a.max(1, keepdims=True))
    np.testing.assert_allclose(got[0], want / want.sum(1, keepdims=True), rtol=1e-5)


ALL = {
    "matmul": MATMUL_BIAS, "concat": CONCAT_STACK, "aliases": ALIASES,
    "strided": STRIDED_COLLAPSE, "shared": SHARED_INIT, "argmax": ARGMAX, "chain": CHAIN,
    "maps": STRIDED_MAPS, "full_reduce": FULL_REDUCE, "softmax": SOFTMAXISH,
}


@pytest.mark.parametrize("name", ALL)
def test_only_scalar_loop_ops_remain_with_locations(name: str) -> None:
    m = lower_to_loops(ALL[name])
    for op in m.walk():
        assert op.dialect_name() in ALLOWED_DIALECTS, op.name
        if op is not m:
            assert isinstance(op.location, FileLineColLoc), f"{op.name} lost its location"
    assert not ops_named(m, "memref.copy")
    assert ops_named(m, "scf.for")
