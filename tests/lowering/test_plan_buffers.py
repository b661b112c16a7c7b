"""`plan-buffers` (docs/ir-levels.md §3): dead buffers reused, never across
overlapping lifetimes, views or element types; results unchanged."""

from __future__ import annotations

import numpy as np

from tests.support.buffers_testing import (
    apply,
    check_buffers_form,
    differential,
    ops_named,
    parse_located,
    randn,
)
from tests.support.loop_cases import (
    CHAIN,
    generic,
    module,
)


def test_plan_buffers_reuses_dead_buffers() -> None:
    m = apply(parse_located(CHAIN), "bufferize")
    assert len(ops_named(m, "memref.alloc")) == 5
    apply(m, "plan-buffers")
    check_buffers_form(m)
    allocs = ops_named(m, "memref.alloc")
    assert [op.attributes["tfir.buffer"].value.data for op in allocs] == [0, 1, 2]
    # the reuse itself is checked in tests/filecheck/plan-buffers.mlir
    a = randn(4, 6)
    got = differential(CHAIN, [a])
    np.testing.assert_allclose(got[0], 4 * (a * a).T.reshape(-1), rtol=1e-6)


def test_plan_buffers_never_reuses_across_overlap_or_types() -> None:
    text = module(
        "%a: tensor<4xf32>",
        "%y : tensor<4xf32>",
        "  %e1 = tensor.empty() : tensor<4xf32>",
        generic("%v1", [("%a", "tensor<4xf32>")], ("%e1", "tensor<4xf32>"),
                ["affine_map<(d0) -> (d0)>"] * 2, '"parallel"',
                ["%s = arith.negf %x0 : f32", "linalg.yield %s : f32"], "tensor<4xf32>"),
        "  %e2 = tensor.empty() : tensor<4xi32>",
        generic("%v2", [("%v1", "tensor<4xf32>")], ("%e2", "tensor<4xi32>"),
                ["affine_map<(d0) -> (d0)>"] * 2, '"parallel"',
                ["%s = arith.fptosi %x0 : f32 to i32", "linalg.yield %s : i32"], "tensor<4xi32>"),
        "  %e3 = tensor.empty() : tensor<4xf32>",
        generic("%y", [("%v2", "tensor<4xi32>"), ("%v1", "tensor<4xf32>")], ("%e3", "tensor<4xf32>"),
                ["affine_map<(d0) -> (d0)>"] * 3, '"parallel"',
                ["%s = arith.sitofp %x0 : i32 to f32", "%t = arith.addf %s, %x1 : f32",
                 "linalg.yield %t : f32"], "tensor<4xf32>"),
    )
    m = apply(parse_located(text), "bufferize", "plan-buffers")
    # x1 is live until y reads it, x2 has another element type: no reuse.
    assert len(ops_named(m, "memref.alloc")) == 3
    a = np.array([1.5, -2.25, 3.0, 0.5], np.float32)
    got = differential(text, [a])
    np.testing.assert_array_equal(got[0], np.trunc(-a) - a)
