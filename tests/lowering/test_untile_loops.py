"""untile-loops (stage `device`, target triton): the CPU tiling of tile-linalg
undone, a tile loop back to one op per piece of the iteration space."""

from __future__ import annotations

from tests.support.common import filecheck
from tests.support.stages import PIECES, ir_after_each_pass


def test_untile_loops_leaves_the_loop_and_its_remainder_as_two_ops() -> None:
    ir = ir_after_each_pass(PIECES, "triton")
    assert "scf.parallel" in ir["tile-linalg"]
    filecheck(ir["untile-loops"], """
CHECK-NOT: scf.parallel
CHECK:     memref.subview %x[0, 0] [872, 300] [1, 1]
CHECK:     linalg.generic
CHECK:     memref.subview %x[872, 0] [125, 300] [1, 1]
CHECK:     linalg.generic
CHECK-NOT: scf.parallel
""")
