"""`bufferize` and `plan-buffers` (docs/ir-levels.md §3): goldens, the form
contract, and differential runs against the tensor-level reference."""

from __future__ import annotations

import numpy as np
import pytest
from buffers_testing import (
    apply,
    check_buffers_form,
    differential,
    lower_to_loops,
    ops_named,
    parse_located,
    randn,
)
from conftest import filecheck
from loops_interpreter import run_function
from xdsl.dialects import memref

ID2 = "affine_map<(d0, d1) -> (d0, d1)>"
ROW = "affine_map<(d0, d1) -> (d0)>"


def generic(out: str, ins: list[tuple[str, str]], init: tuple[str, str], maps: list[str],
            iters: str, body: list[str], rtype: str) -> str:
    """One `linalg.generic` line; body args are %x0.. for ins and %o."""
    names = ", ".join(v for v, _ in ins)
    types = ", ".join(t for _, t in ins)
    args = ", ".join([*(f"%x{i}: {elem(t)}" for i, (_, t) in enumerate(ins)), f"%o: {elem(init[1])}"])
    return "\n".join([
        f"  {out} = linalg.generic {{indexing_maps = [{', '.join(maps)}], iterator_types = [{iters}]}}"
        f" ins({names} : {types}) outs({init[0]} : {init[1]}) {{",
        f"  ^bb0({args}):",
        *(f"    {line}" for line in body),
        f"  }} -> {rtype}",
    ])


def elem(t: str) -> str:
    return t.rsplit("x", 1)[-1].rstrip(">") if "x" in t else t.split("<")[1].rstrip(">")


def module(sig: str, results: str, *lines: str) -> str:
    rvals, rtypes = results.split(" : ")
    return "\n".join([f"func.func @main({sig}) -> ({rtypes}) {{", *lines,
                      f"  func.return {rvals} : {rtypes}", "}"])


MATMUL_BIAS = module(
    "%a: tensor<4x8xf32>, %b: tensor<8x3xf32>",
    "%g, %t : tensor<4x3xf32>, tensor<3x4xf32>",
    "  %e = tensor.empty() : tensor<4x3xf32>",
    "  %z = arith.constant 0.0 : f32",
    "  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>",
    "  %m = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x3xf32>) outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>",
    "  %c = arith.constant dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>",
    "  %e2 = tensor.empty() : tensor<3x4xf32>",
    "  %t = linalg.transpose ins(%m : tensor<4x3xf32>) outs(%e2 : tensor<3x4xf32>) permutation = [1, 0]",
    generic("%g", [("%m", "tensor<4x3xf32>"), ("%c", "tensor<1x3xf32>")], ("%e", "tensor<4x3xf32>"),
            [ID2, "affine_map<(d0, d1) -> (0, d1)>", ID2], '"parallel", "parallel"',
            ["%s = arith.addf %x0, %x1 : f32", "linalg.yield %s : f32"], "tensor<4x3xf32>"),
)


def test_matmul_bias_golden() -> None:
    m = apply(parse_located(MATMUL_BIAS), "bufferize")
    check_buffers_form(m)
    # The shared tensor.empty: the matmul writes its buffer in place; the
    # generic reads the matmul's result only where it writes (elementwise,
    # through the output's map) and nothing reads it later, so it writes over
    # it in place too.
    filecheck(str(m), """
CHECK:      "memref.global"() <{sym_name = "[[G:.*]]", type = memref<1x3xf32>, initial_value = dense<{{.*}}> : tensor<1x3xf32>, sym_visibility = "private", constant}>
CHECK:      func.func @main(%a: memref<4x8xf32>, %b: memref<8x3xf32>) -> (memref<4x3xf32>, memref<3x4xf32>)
CHECK:        %[[M:.*]] = memref.alloc() : memref<4x3xf32>
CHECK-NEXT:   linalg.fill ins(%z : f32) outs(%[[M]] : memref<4x3xf32>)
CHECK-NEXT:   linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%[[M]] : memref<4x3xf32>)
CHECK-NEXT:   %[[C:.*]] = memref.get_global @[[G]] : memref<1x3xf32>
CHECK-NEXT:   %[[T:.*]] = memref.alloc() : memref<3x4xf32>
CHECK-NEXT:   linalg.transpose ins(%[[M]]:memref<4x3xf32>) outs(%[[T]]:memref<3x4xf32>)
CHECK-NEXT:   linalg.generic {{.*}} ins(%[[M]], %[[C]] : memref<4x3xf32>, memref<1x3xf32>) outs(%[[M]] : memref<4x3xf32>)
CHECK:        func.return %[[M]], %[[T]] : memref<4x3xf32>, memref<3x4xf32>
CHECK-NOT:  memref.copy
""")


def test_matmul_bias_numerics() -> None:
    a, b = randn(4, 8), randn(8, 3, seed=1)
    got = differential(MATMUL_BIAS, [a, b])
    np.testing.assert_allclose(got[0], a @ b + [[1, 2, 3]], rtol=1e-5, atol=1e-5)


def neg(out: str, src: str, t: str, init: str) -> str:
    return generic(out, [(src, t)], (init, t), [ID2, ID2], '"parallel", "parallel"',
                   ["%s = arith.negf %x0 : f32", "linalg.yield %s : f32"], t)


T23 = "tensor<2x3xf32>"
CONCAT_STACK = module(
    "%a: tensor<2x3xf32>, %b: tensor<4x3xf32>",
    "%s2, %t3, %u2 : tensor<6x3xf32>, tensor<3x2x3xf32>, tensor<2x2x3xf32>",
    # concat([-a, b], axis=0)
    "  %d = tensor.empty() : tensor<6x3xf32>",
    "  %e = tensor.empty() : tensor<2x3xf32>",
    neg("%n", "%a", T23, "%e"),
    "  %s1 = tensor.insert_slice %n into %d[0, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<6x3xf32>",
    "  %s2 = tensor.insert_slice %b into %s1[2, 0] [4, 3] [1, 1] : tensor<4x3xf32> into tensor<6x3xf32>",
    # stack([a, -a, a], axis=0)
    "  %d2 = tensor.empty() : tensor<3x2x3xf32>",
    "  %e2 = tensor.empty() : tensor<2x3xf32>",
    neg("%n2", "%a", T23, "%e2"),
    "  %x2 = tensor.expand_shape %n2 [[0, 1], [2]] output_shape [1, 2, 3] : tensor<2x3xf32> into tensor<1x2x3xf32>",
    "  %xa = tensor.expand_shape %a [[0, 1], [2]] output_shape [1, 2, 3] : tensor<2x3xf32> into tensor<1x2x3xf32>",
    "  %t1 = tensor.insert_slice %xa into %d2[0, 0, 0] [1, 2, 3] [1, 1, 1] : tensor<1x2x3xf32> into tensor<3x2x3xf32>",
    "  %t2 = tensor.insert_slice %x2 into %t1[1, 0, 0] [1, 2, 3] [1, 1, 1] : tensor<1x2x3xf32> into tensor<3x2x3xf32>",
    "  %t3 = tensor.insert_slice %xa into %t2[2, 0, 0] [1, 2, 3] [1, 1, 1] : tensor<1x2x3xf32> into tensor<3x2x3xf32>",
    # stack([-a, a], axis=1)
    "  %d3 = tensor.empty() : tensor<2x2x3xf32>",
    "  %e3 = tensor.empty() : tensor<2x3xf32>",
    neg("%n3", "%a", T23, "%e3"),
    "  %x3 = tensor.expand_shape %n3 [[0], [1, 2]] output_shape [2, 1, 3] : tensor<2x3xf32> into tensor<2x1x3xf32>",
    "  %u1 = tensor.insert_slice %x3 into %d3[0, 0, 0] [2, 1, 3] [1, 1, 1] : tensor<2x1x3xf32> into tensor<2x2x3xf32>",
    "  %ya = tensor.expand_shape %a [[0], [1, 2]] output_shape [2, 1, 3] : tensor<2x3xf32> into tensor<2x1x3xf32>",
    "  %u2 = tensor.insert_slice %ya into %u1[0, 1, 0] [2, 1, 3] [1, 1, 1] : tensor<2x1x3xf32> into tensor<2x2x3xf32>",
)


def test_insert_slice_producers_write_in_place() -> None:
    m = apply(parse_located(CONCAT_STACK), "bufferize")
    check_buffers_form(m)
    # Three destination buffers and no other alloc: each computed operand is
    # produced into a subview of its destination; arguments are copied.
    assert len(ops_named(m, "memref.alloc")) == 3
    assert len(ops_named(m, "memref.copy")) == 4
    filecheck(str(m), """
CHECK:      %[[D:.*]] = memref.alloc() : memref<6x3xf32>
CHECK-NEXT: %[[V:.*]] = memref.subview %[[D]][0, 0] [2, 3] [1, 1] : memref<6x3xf32> to memref<2x3xf32, strided<[3, 1]>>
CHECK-NEXT: linalg.generic {{.*}} ins(%a : memref<2x3xf32>) outs(%[[V]] : memref<2x3xf32, strided<[3, 1]>>)
CHECK:      %[[V2:.*]] = memref.subview %[[D]][2, 0] [4, 3] [1, 1]
CHECK-NEXT: "memref.copy"(%b, %[[V2]])
CHECK:      %[[D2:.*]] = memref.alloc() : memref<3x2x3xf32>
CHECK-NEXT: %[[S:.*]] = memref.subview %[[D2]][1, 0, 0] [1, 2, 3] [1, 1, 1] : memref<3x2x3xf32> to memref<1x2x3xf32, strided<[6, 3, 1], offset: 6>>
CHECK-NEXT: %[[C:.*]] = memref.collapse_shape %[[S]] {{.*}} into memref<2x3xf32, strided<[3, 1], offset: 6>>
CHECK-NEXT: linalg.generic {{.*}} outs(%[[C]] : memref<2x3xf32, strided<[3, 1], offset: 6>>)
CHECK:      %[[D3:.*]] = memref.alloc() : memref<2x2x3xf32>
CHECK:      memref.collapse_shape {{.*}} into memref<2x3xf32, strided<[6, 1]>>
CHECK:      memref.subview %[[D3]][0, 1, 0] [2, 1, 3] [1, 1, 1] : memref<2x2x3xf32> to memref<2x1x3xf32, strided<[6, 3, 1], offset: 3>>
CHECK:      func.return %[[D]], %[[D2]], %[[D3]]
""")


def test_insert_slice_numerics() -> None:
    a, b = randn(2, 3), randn(4, 3, seed=1)
    got = differential(CONCAT_STACK, [a, b])
    np.testing.assert_array_equal(got[0], np.concatenate([-a, b]))
    np.testing.assert_array_equal(got[1], np.stack([a, -a, a]))
    np.testing.assert_array_equal(got[2], np.stack([-a, a], axis=1))


RANK_REDUCING = module(
    "%a: tensor<2x3xf32>",
    "%u2 : tensor<2x2x3xf32>",
    "  %d = tensor.empty() : tensor<2x2x3xf32>",
    "  %e = tensor.empty() : tensor<2x3xf32>",
    neg("%n", "%a", T23, "%e"),
    "  %u1 = tensor.insert_slice %n into %d[0, 0, 0] [2, 1, 3] [1, 1, 1] : tensor<2x3xf32> into tensor<2x2x3xf32>",
    "  %u2 = tensor.insert_slice %a into %u1[0, 1, 0] [2, 1, 3] [1, 1, 1] : tensor<2x3xf32> into tensor<2x2x3xf32>",
)


def test_rank_reducing_insert_slice() -> None:
    m = apply(parse_located(RANK_REDUCING), "bufferize")
    filecheck(str(m), """
CHECK:      %[[D:.*]] = memref.alloc() : memref<2x2x3xf32>
CHECK-NEXT: %[[V:.*]] = memref.subview %[[D]][0, 0, 0] [2, 1, 3] [1, 1, 1] : memref<2x2x3xf32> to memref<2x3xf32, strided<[6, 1]>>
CHECK-NEXT: linalg.generic {{.*}} outs(%[[V]] : memref<2x3xf32, strided<[6, 1]>>)
CHECK:      memref.subview %[[D]][0, 1, 0] [2, 1, 3] [1, 1, 1] : memref<2x2x3xf32> to memref<2x3xf32, strided<[6, 1], offset: 3>>
""")
    a = randn(2, 3)
    got = run_function(lower_to_loops(RANK_REDUCING), "main", a)
    np.testing.assert_array_equal(got[0], np.stack([-a, a], axis=1))


OVERLAP = module(
    "%a: tensor<2x3xf32>",
    "%s2 : tensor<3x3xf32>",
    "  %d = tensor.empty() : tensor<3x3xf32>",
    "  %e = tensor.empty() : tensor<2x3xf32>",
    neg("%n", "%a", T23, "%e"),
    "  %s1 = tensor.insert_slice %n into %d[0, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<3x3xf32>",
    "  %s2 = tensor.insert_slice %a into %s1[1, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<3x3xf32>",
)


def test_overlapping_inserts_keep_their_order() -> None:
    m = apply(parse_located(OVERLAP), "bufferize")
    # Overlapping regions: no producer writes into the destination early.
    assert len(ops_named(m, "memref.alloc")) == 2
    assert len(ops_named(m, "memref.copy")) == 2
    a = randn(2, 3)
    got = differential(OVERLAP, [a])
    np.testing.assert_array_equal(got[0], np.concatenate([-a[:1], a]))


ALIASES = module(
    "%a: tensor<5x6xf32>",
    "%a, %r, %r, %c, %s : tensor<5x6xf32>, tensor<30xf32>, tensor<30xf32>, tensor<5x3xf32>, tensor<3xf32>",
    "  %r = tensor.collapse_shape %a [[0, 1]] : tensor<5x6xf32> into tensor<30xf32>",
    "  %v = tensor.extract_slice %a[0, 1] [5, 3] [1, 2] : tensor<5x6xf32> to tensor<5x3xf32>",
    "  %c = arith.constant dense<2.5> : tensor<5x3xf32>",
    "  %w = tensor.extract_slice %v[2, 0] [1, 3] [1, 1] : tensor<5x3xf32> to tensor<1x3xf32>",
    "  %s = tensor.collapse_shape %w [[0, 1]] : tensor<1x3xf32> into tensor<3xf32>",
)


def test_results_never_alias_arguments_constants_or_each_other() -> None:
    m = apply(parse_located(ALIASES), "bufferize")
    check_buffers_form(m)
    ret = ops_named(m, "func.return")[0]
    allocs = {op.memref for op in ops_named(m, "memref.alloc")}
    # Every result is a fresh identity-laid alloc: an argument, its view, a
    # duplicate, a constant and a strided view are all copied.
    assert all(v in allocs for v in ret.operands)
    assert len(set(ret.operands)) == 5
    a = randn(5, 6)
    got = differential(ALIASES, [a])
    np.testing.assert_array_equal(got[4], a[2, 1::2])


STRIDED_COLLAPSE = module(
    "%a: tensor<4x6xf32>",
    "%r : tensor<12xf32>",
    "  %v = tensor.extract_slice %a[0, 0] [4, 3] [1, 1] : tensor<4x6xf32> to tensor<4x3xf32>",
    "  %c = tensor.collapse_shape %v [[0, 1]] : tensor<4x3xf32> into tensor<12xf32>",
    "  %e = tensor.empty() : tensor<12xf32>",
    generic("%r", [("%c", "tensor<12xf32>")], ("%e", "tensor<12xf32>"),
            ["affine_map<(d0) -> (d0)>", "affine_map<(d0) -> (d0)>"], '"parallel"',
            ["%s = arith.mulf %x0, %x0 : f32", "linalg.yield %s : f32"], "tensor<12xf32>"),
)


def test_collapse_of_a_strided_view_copies_first() -> None:
    m = apply(parse_located(STRIDED_COLLAPSE), "bufferize")
    filecheck(str(m), """
CHECK:      %[[V:.*]] = memref.subview %a[0, 0] [4, 3] [1, 1] : memref<4x6xf32> to memref<4x3xf32, strided<[6, 1]>>
CHECK-NEXT: %[[F:.*]] = memref.alloc() : memref<4x3xf32>
CHECK-NEXT: "memref.copy"(%[[V]], %[[F]])
CHECK-NEXT: memref.collapse_shape %[[F]] {{.*}} : memref<4x3xf32> into memref<12xf32>
""")
    a = randn(4, 6)
    got = differential(STRIDED_COLLAPSE, [a])
    np.testing.assert_array_equal(got[0], (a[:, :3] ** 2).reshape(-1))
    # Every other column of a row of 6 is evenly strided: a view, no copy.
    even = STRIDED_COLLAPSE.replace("[4, 3] [1, 1]", "[4, 3] [1, 2]")
    m = apply(parse_located(even), "bufferize")
    assert not ops_named(m, "memref.copy")
    assert "into memref<12xf32, strided<[2]>>" in str(m)
    got = differential(even, [a])
    np.testing.assert_array_equal(got[0], (a[:, ::2] ** 2).reshape(-1))


SHARED_INIT = module(
    "%a: tensor<3x4xf32>",
    "%s, %p : tensor<3xf32>, tensor<3xf32>",
    "  %e = tensor.empty() : tensor<3xf32>",
    "  %z = arith.constant 1.0 : f32",
    "  %f = linalg.fill ins(%z : f32) outs(%e : tensor<3xf32>) -> tensor<3xf32>",
    generic("%s", [("%a", "tensor<3x4xf32>")], ("%f", "tensor<3xf32>"), [ID2, ROW],
            '"parallel", "reduction"', ["%r = arith.addf %x0, %o : f32", "linalg.yield %r : f32"],
            "tensor<3xf32>"),
    generic("%p", [("%a", "tensor<3x4xf32>")], ("%f", "tensor<3xf32>"), [ID2, ROW],
            '"parallel", "reduction"', ["%r = arith.mulf %x0, %o : f32", "linalg.yield %r : f32"],
            "tensor<3xf32>"),
)


def test_reduction_init_read_twice_is_copied_once() -> None:
    m = apply(parse_located(SHARED_INIT), "bufferize")
    # The first reduction must not clobber the fill the second one reads:
    # it accumulates into a copy; the second accumulates in place.
    filecheck(str(m), """
CHECK:      %[[F:.*]] = memref.alloc() : memref<3xf32>
CHECK-NEXT: linalg.fill ins(%z : f32) outs(%[[F]] : memref<3xf32>)
CHECK-NEXT: %[[S:.*]] = memref.alloc() : memref<3xf32>
CHECK-NEXT: "memref.copy"(%[[F]], %[[S]])
CHECK-NEXT: linalg.generic {{.*}} outs(%[[S]] : memref<3xf32>)
CHECK:      linalg.generic {{.*}} outs(%[[F]] : memref<3xf32>)
CHECK:      func.return %[[S]], %[[F]]
""")
    a = randn(3, 4)
    got = differential(SHARED_INIT, [a])
    np.testing.assert_allclose(got[0], 1 + a.sum(1), rtol=1e-5)
    np.testing.assert_allclose(got[1], a.prod(1), rtol=1e-5)


ARGMAX = module(
    "%a: tensor<3x5xf32>",
    "%r#0, %r#1 : tensor<3xf32>, tensor<3xi64>",
    "  %ev = tensor.empty() : tensor<3xf32>",
    "  %ei = tensor.empty() : tensor<3xi64>",
    "  %ninf = arith.constant 0xFF800000 : f32",
    "  %zero = arith.constant 0 : i64",
    "  %fv = linalg.fill ins(%ninf : f32) outs(%ev : tensor<3xf32>) -> tensor<3xf32>",
    "  %fi = linalg.fill ins(%zero : i64) outs(%ei : tensor<3xi64>) -> tensor<3xi64>",
    "  %r:2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = [\"parallel\", \"reduction\"]} ins(%a : tensor<3x5xf32>) outs(%fv, %fi : tensor<3xf32>, tensor<3xi64>) {",
    "  ^bb0(%x: f32, %v: f32, %i: i64):",
    "    %idx = linalg.index 1 : index",
    "    %ii = arith.index_cast %idx : index to i64",
    "    %gt = arith.cmpf ogt, %x, %v : f32",
    "    %nv = arith.select %gt, %x, %v : f32",
    "    %ni = arith.select %gt, %ii, %i : i64",
    "    linalg.yield %nv, %ni : f32, i64",
    "  } -> tensor<3xf32>, tensor<3xi64>",
)


def test_argmax_numerics() -> None:
    a = randn(3, 5)
    a[1, 3] = a[1, 1] = 9.0  # a tie: the first index wins
    got = differential(ARGMAX, [a])
    np.testing.assert_array_equal(got[1], a.argmax(1))


# -- plan-buffers ------------------------------------------------------------------

CHAIN = module(
    "%a: tensor<4x6xf32>",
    "%x5 : tensor<24xf32>",
    "  %e1 = tensor.empty() : tensor<4x6xf32>",
    neg("%x1", "%a", "tensor<4x6xf32>", "%e1"),
    "  %e2 = tensor.empty() : tensor<4x6xf32>",
    generic("%x2", [("%x1", "tensor<4x6xf32>")], ("%e2", "tensor<4x6xf32>"), [ID2, ID2],
            '"parallel", "parallel"', ["%s = arith.mulf %x0, %x0 : f32", "linalg.yield %s : f32"],
            "tensor<4x6xf32>"),
    "  %e3 = tensor.empty() : tensor<6x4xf32>",
    "  %x3 = linalg.transpose ins(%x2 : tensor<4x6xf32>) outs(%e3 : tensor<6x4xf32>) permutation = [1, 0]",
    "  %e4 = tensor.empty() : tensor<6x4xf32>",
    generic("%x4", [("%x3", "tensor<6x4xf32>")], ("%e4", "tensor<6x4xf32>"), [ID2, ID2],
            '"parallel", "parallel"', ["%s = arith.addf %x0, %x0 : f32", "linalg.yield %s : f32"],
            "tensor<6x4xf32>"),
    "  %c = tensor.collapse_shape %x4 [[0, 1]] : tensor<6x4xf32> into tensor<24xf32>",
    "  %e5 = tensor.empty() : tensor<24xf32>",
    generic("%x5", [("%c", "tensor<24xf32>")], ("%e5", "tensor<24xf32>"),
            ["affine_map<(d0) -> (d0)>", "affine_map<(d0) -> (d0)>"], '"parallel"',
            ["%s = arith.addf %x0, %x0 : f32", "linalg.yield %s : f32"], "tensor<24xf32>"),
)


def test_plan_buffers_reuses_dead_buffers() -> None:
    m = apply(parse_located(CHAIN), "bufferize")
    assert len(ops_named(m, "memref.alloc")) == 5
    apply(m, "plan-buffers")
    check_buffers_form(m)
    allocs = ops_named(m, "memref.alloc")
    assert [op.attributes["tfir.buffer"].value.data for op in allocs] == [0, 1, 2]
    # x3 reuses x1's buffer (dead after x2), x4 reuses x2's (dead after x3),
    # seen through views of another shape; the returned x5 keeps its own,
    # even though x3's buffer is dead by then: a view of x4 (the collapse)
    # keeps x4's buffer alive up to x5.
    filecheck(str(m), """
CHECK:      %[[B0:.*]] = memref.alloc() {tfir.buffer = 0 : i64} : memref<4x6xf32>
CHECK:      %[[B1:.*]] = memref.alloc() {tfir.buffer = 1 : i64} : memref<4x6xf32>
CHECK:      %[[F0:.*]] = memref.collapse_shape %[[B0]] {{.*}} into memref<24xf32>
CHECK-NEXT: %[[X3:.*]] = memref.expand_shape %[[F0]] {{.*}} into memref<6x4xf32>
CHECK-NEXT: linalg.transpose ins(%[[B1]]:memref<4x6xf32>) outs(%[[X3]]:memref<6x4xf32>)
CHECK:      %[[X4:.*]] = memref.expand_shape {{.*}} into memref<6x4xf32>
CHECK-NEXT: linalg.generic {{.*}} ins(%[[X3]] : memref<6x4xf32>) outs(%[[X4]] : memref<6x4xf32>)
CHECK-NEXT: ^
CHECK:      %[[C:.*]] = memref.collapse_shape %[[X4]]
CHECK-NEXT: %[[R:.*]] = memref.alloc() {tfir.buffer = 2 : i64} : memref<24xf32>
CHECK:      func.return %[[R]]
""")
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


@pytest.mark.parametrize("text", [MATMUL_BIAS, CONCAT_STACK, ALIASES, STRIDED_COLLAPSE,
                                  SHARED_INIT, ARGMAX, CHAIN, OVERLAP],
                         ids=["matmul", "concat", "aliases", "strided", "shared", "argmax",
                              "chain", "overlap"])
def test_every_op_keeps_a_location_and_no_global_is_written(text: str) -> None:
    m = apply(parse_located(text), "bufferize", "plan-buffers")
    check_buffers_form(m)
    for op in m.walk():
        if isinstance(op, memref.GetGlobalOp):
            for use in op.memref.uses:
                user = use.operation
                if hasattr(user, "outputs"):
                    assert op.memref not in user.outputs


EXTERNAL_CALL = "\n".join([
    "func.func @main(%a: tensor<4x6xf32>) -> tensor<4x3xf32> {",
    "  %v = tensor.extract_slice %a[0, 0] [4, 3] [1, 1] : tensor<4x6xf32> to tensor<4x3xf32>",
    "  %r = func.call @mylib_cumsum(%v) : (tensor<4x3xf32>) -> tensor<4x3xf32>",
    "  func.return %r : tensor<4x3xf32>",
    "}",
    'func.func private @mylib_cumsum(tensor<4x3xf32>) -> tensor<4x3xf32> attributes {tfir.external = "mylib.cumsum"}',
])


def test_external_call_is_destination_passing() -> None:
    m = apply(parse_located(EXTERNAL_CALL), "bufferize", "plan-buffers")
    check_buffers_form(m)
    # The strided view is copied to an identity-laid buffer first; the
    # result is a fresh buffer passed last; the declaration follows.
    filecheck(str(m), """
CHECK:      %[[V:.*]] = memref.subview %a[0, 0] [4, 3] [1, 1] : memref<4x6xf32> to memref<4x3xf32, strided<[6, 1]>>
CHECK-NEXT: %[[IN:.*]] = memref.alloc() {tfir.buffer = 0 : i64} : memref<4x3xf32>
CHECK-NEXT: "memref.copy"(%[[V]], %[[IN]])
CHECK-NEXT: %[[OUT:.*]] = memref.alloc() {tfir.buffer = 1 : i64} : memref<4x3xf32>
CHECK-NEXT: func.call @mylib_cumsum(%[[IN]], %[[OUT]]) : (memref<4x3xf32>, memref<4x3xf32>) -> ()
CHECK-NEXT: func.return %[[OUT]] : memref<4x3xf32>
CHECK:      func.func private @mylib_cumsum(memref<4x3xf32>, memref<4x3xf32>) -> () attributes {tfir.external = "mylib.cumsum"}
""")
