"""merge-tile-pieces (stage `device`, target triton): the pieces untile-loops
left (a loop's range and its remainder) merged into one op on the whole buffer."""

from __future__ import annotations

from tests.support.common import filecheck
from tests.support.stages import PIECES, ir_after_each_pass


def test_merge_tile_pieces_makes_one_op_of_two_pieces() -> None:
    ir = ir_after_each_pass(PIECES, "triton")
    assert ir["untile-loops"].count("linalg.generic") == 2
    filecheck(ir["merge-tile-pieces"], """
CHECK:     linalg.generic {{.*}} ins(%x, %0 : memref<997x300xf32>, memref<f32>) outs(%1 : memref<997x300xf32>)
CHECK-NOT: linalg.generic
""")
