"""`convert-linalg-to-scalar-loops` (docs/ir-levels.md §5): goldens, the form
(only func / scf / memref / arith / math ops left), locations, and
differential runs of the loops in xDSL's interpreter against the
tensor-level reference."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects.builtin import FileLineColLoc

from tests.support.buffers_testing import differential, lower_to_loops, ops_named, randn
from tests.support.common import filecheck
from tests.support.loop_cases import ALL, FULL_REDUCE, SHARED_INIT, SOFTMAXISH, STRIDED_MAPS

ALLOWED_DIALECTS = {"builtin", "func", "scf", "memref", "arith", "math"}


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


def test_rank0_reduction_and_index() -> None:
    a = np.array([[3, -7, 12], [5, 11, -1]], np.int32)
    got = differential(FULL_REDUCE, [a])
    assert got[0] == 12
    np.testing.assert_array_equal(got[1], np.arange(6).reshape(2, 3))


def test_softmax_numerics() -> None:
    a = randn(2, 5)
    got = differential(SOFTMAXISH, [a])
    want = np.exp(a - a.max(1, keepdims=True))
    np.testing.assert_allclose(got[0], want / want.sum(1, keepdims=True), rtol=1e-5)


@pytest.mark.parametrize("name", ALL)
def test_only_scalar_loop_ops_remain_with_locations(name: str) -> None:
    m = lower_to_loops(ALL[name])
    for op in m.walk():
        assert op.dialect_name() in ALLOWED_DIALECTS, op.name
        if op is not m:
            assert isinstance(op.location, FileLineColLoc), f"{op.name} lost its location"
    assert not ops_named(m, "memref.copy")
    assert ops_named(m, "scf.for")
