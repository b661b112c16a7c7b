"""The layouts of reshape views as MLIR computes them (issue 13):
`mlir-opt-22` rejected `memref.expand_shape` of a `strided<[1]>` view into a
strided result, because a 1-D unit-stride layout at offset 0 is the
identity map and so is the result's."""

from __future__ import annotations

from xdsl.dialects.builtin import MemRefType, NoneAttr, StridedLayoutAttr, f32

from tfir.lowering.utils.memref_views import collapsed_type, expanded_type


def _strided(shape: list[int], strides: list[int], offset: int = 0) -> MemRefType:
    return MemRefType(f32, shape, StridedLayoutAttr(strides, offset))


def test_a_unit_stride_view_expands_to_an_identity_layout() -> None:
    assert isinstance(expanded_type(_strided([10], [1]), [[0, 1]], [10, 1]).layout, NoneAttr)
    assert isinstance(collapsed_type(_strided([10], [1]), [[0]]).layout, NoneAttr)


def test_other_views_keep_their_strides() -> None:
    t = expanded_type(_strided([10], [1], 3), [[0, 1]], [10, 1])
    assert isinstance(t.layout, StridedLayoutAttr) and t.get_offset() == 3
    t = expanded_type(_strided([2, 5], [5, 1]), [[0], [1, 2]], [2, 5, 1])
    assert isinstance(t.layout, StridedLayoutAttr)  # as mlir-opt-22 expects: strided<[5, 1, 1]>
    assert list(t.get_strides()) == [5, 1, 1]
