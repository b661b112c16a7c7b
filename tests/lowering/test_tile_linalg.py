"""`tile-linalg` (docs/ir-levels.md §4): goldens on realistic sizes, the tile
size choice, and differential runs of tiled ops (small thresholds, so that
small shapes tile) lowered to scalar loops against the tensor reference."""

from __future__ import annotations

from math import prod

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects import scf
from xdsl.dialects.builtin import FileLineColLoc
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation

from tests.support.buffers_testing import (
    apply,
    differential,
    main_func,
    ops_named,
    parse_located,
    randn,
)
from tests.support.common import filecheck
from tests.support.loop_cases import (
    ARGMAX,
    CONCAT_STACK,
    FULL_REDUCE,
    MATMUL_BIAS,
    SMALL,
    SOFTMAXISH,
    STRIDED_MAPS,
    big,
)
from tfir.lowering.utils.tiling import choose_tiles, tile_bytes, tileable_dims


def test_golden_large_ops() -> None:
    m = apply(parse_located(big(512, 300, 64)), "bufferize", "plan-buffers", "tile-linalg")
    # 32 rows of a and of the result (2 x 37.5 KiB) per bias-add tile, 64
    # rows (75 KiB) per row-sum tile with the reduced dim whole; the matmul
    # tiles rows of M only, the right operand (75 KiB) whole in every tile.
    filecheck(str(m), """
CHECK:      %[[X:.*]] = memref.alloc() {tfir.buffer = 0 : i64} : memref<512x300xf32>
CHECK:      "scf.parallel"
CHECK-NEXT: ^{{.*}}(%[[I:.*]]: index):
CHECK-NEXT:   %[[A:.*]] = memref.subview %a[%[[I]], 0] [32, 300] [1, 1] : memref<512x300xf32> to memref<32x300xf32, strided<[300, 1], offset: ?>>
CHECK-NEXT:   %[[O:.*]] = memref.subview %[[X]][%[[I]], 0] [32, 300] [1, 1]
CHECK-NEXT:   linalg.generic {{.*}} ins(%[[A]], %b : memref<32x300xf32, strided<[300, 1], offset: ?>>, memref<300xf32>) outs(%[[O]]
CHECK:        scf.reduce
CHECK-NEXT: }) {tfir.tile = array<i64: 32>}
CHECK:      "scf.parallel"
CHECK:        memref.subview %a[%{{.*}}, 0] [64, 300] [1, 1]
CHECK:        linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
CHECK:      }) {tfir.tile = array<i64: 64>}
CHECK:      "scf.parallel"
CHECK:        linalg.fill
CHECK:      }) {tfir.tile = array<i64: 256>}
CHECK:      "scf.parallel"
CHECK:        memref.subview %a[%{{.*}}, 0] [32, 300] [1, 1]
CHECK:        linalg.matmul ins(%{{.*}}, %w : memref<32x300xf32, strided<[300, 1], offset: ?>>, memref<300x64xf32>)
CHECK:      }) {tfir.tile = array<i64: 32>}
""")
    for op in m.walk():
        if op is not m:
            assert isinstance(op.location, FileLineColLoc), op.name


def test_small_ops_stay_untiled() -> None:
    m = apply(parse_located(MATMUL_BIAS), "bufferize", "plan-buffers", "tile-linalg")
    assert not ops_named(m, "scf.parallel")


def test_remainder_tiles_are_static() -> None:
    # 1021 rows (prime): no divisor near the ideal tile, so a main loop of
    # whole tiles and one static remainder op.
    m = apply(parse_located(big(1021, 100, 8)), "bufferize", "tile-linalg")
    loops = ops_named(m, "scf.parallel")
    assert loops
    for loop in loops:
        assert isinstance(loop, scf.ParallelOp)
        (tile,) = loop.attributes["tfir.tile"].get_values()  # type: ignore[attr-defined]
        ub = loop.upperBound[0].owner.value.value.data  # type: ignore[attr-defined]
        assert ub % tile == 0 and ub // tile >= 2 and 1021 - ub < tile
    top = list(main_func(m).body.block.ops)
    remainders = [op for op in top if isinstance(op, LinalgStructuredOperation)
                  and op.outputs[0].type.get_shape()[0] not in (1021,)]
    assert remainders


@pytest.mark.parametrize("m,n,k", [(512, 300, 64), (1021, 100, 8), (4096, 4096, 2), (3, 50000, 2)])
def test_tile_choice_fits_cache_and_spreads(m: int, n: int, k: int) -> None:
    mod = apply(parse_located(big(m, n, k)), "bufferize")
    for op in mod.walk():
        if not isinstance(op, LinalgStructuredOperation):
            continue
        ranges = op.get_static_loop_ranges()
        tiles = choose_tiles(op, 128 * 1024, 2)
        dims = tileable_dims(op)
        assert all(t == r for d, (t, r) in enumerate(zip(tiles, ranges, strict=True)) if d not in dims)
        one_tile = [1 if d in dims else r for d, r in enumerate(ranges)]
        if tile_bytes(op, one_tile) <= 128 * 1024:
            assert tile_bytes(op, tiles) <= 128 * 1024
        if prod(ranges) >= 16384 and any(ranges[d] > 1 for d in dims):
            assert prod(-(-r // t) for r, t in zip(ranges, tiles, strict=True)) >= 2


def test_matmul_tiles_only_rows() -> None:
    mod = apply(parse_located(big(64, 32, 16)), "bufferize")
    (mm,) = ops_named(mod, "linalg.matmul")
    assert tileable_dims(mm) == [0]  # type: ignore[arg-type]


def test_strided_maps_are_not_tiled_along_their_dim() -> None:
    mod = apply(parse_located(STRIDED_MAPS), "bufferize")
    generics = ops_named(mod, "linalg.generic")
    # `d0 * 2 + 1` and `d1 * -1 + 3` keep those dims whole.
    assert tileable_dims(generics[0]) == [1]  # type: ignore[arg-type]
    assert tileable_dims(generics[1]) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [big(6, 5, 3), big(7, 4, 5), MATMUL_BIAS, ARGMAX, CONCAT_STACK,
                                  SOFTMAXISH, STRIDED_MAPS, FULL_REDUCE],
                         ids=["big6", "big7", "matmul", "argmax", "concat", "softmax", "maps",
                              "full_reduce"])
def test_tiled_numerics(text: str) -> None:
    mod = apply(parse_located(text), "bufferize", "plan-buffers", "tile-linalg", **SMALL)
    inputs = []
    for arg in main_func(mod).body.block.args:
        shape = arg.type.get_shape()  # type: ignore[attr-defined]
        dtype = np.int32 if "i32" in str(arg.type) else np.float32
        inputs.append(randn(*shape, seed=len(inputs)).astype(dtype) * (7 if dtype == np.int32 else 1))
    differential(text, inputs, passes=("bufferize", "plan-buffers", "tile-linalg"), **SMALL)


@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, 9), n=st.integers(1, 9), budget=st.integers(8, 200))
def test_tiles_cover_the_iteration_space(m: int, n: int, budget: int) -> None:
    """Whatever the tile sizes and remainders, every element is computed once."""
    text = big(m, n, 2)
    a, b, w = randn(m, n), randn(n, seed=1), randn(n, 2, seed=2)
    differential(text, [a, b, w], passes=("bufferize", "tile-linalg"),
                 min_points=1, max_tile_bytes=budget)
