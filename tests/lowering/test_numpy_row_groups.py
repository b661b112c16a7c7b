"""numpy-row-groups (stage `schedule`, target numpy), on the IR tile-linalg
left: the loops of a row-wise chain become one loop over blocks of rows."""

from __future__ import annotations

from tests.support.common import filecheck
from tests.support.stages import PROGRAMS, ir_after_each_pass


def test_row_groups_run_softmax_block_of_rows_by_block_of_rows() -> None:
    ir = ir_after_each_pass(PROGRAMS / "softmax.tf", "numpy", M=512, K=1024)
    assert ir["tile-linalg"].count('"scf.parallel"') == 4
    filecheck(ir["numpy-row-groups"], """
CHECK:      "scf.parallel"
CHECK:        %buf0_tile = memref.alloc() : memref<128xf32>
CHECK:        linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
CHECK:        %buf1_tile = memref.alloc() : memref<128x1024xf32>
CHECK:        linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
CHECK:        linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
CHECK:        linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
CHECK:      }) {tfir.tile = array<i64: 128>}
CHECK-NOT:  "scf.parallel"
""")


def test_a_slice_of_the_columns_keeps_the_rows() -> None:
    """Softmax of `x[:, 2:1026]`: the view takes every row, so the group still
    forms; a slice of the rows (`x[2:514]`) would shift them and stops it."""
    columns = ir_after_each_pass("fn main(x: f32[512, 1030]) -> f32[512, 1024] {\n"
                                 "    return softmax(x[:, 2:1026], axis=-1);\n}\n", "numpy")
    filecheck(columns["numpy-row-groups"], """
CHECK:      memref.subview %x[0, 2] [512, 1024] [1, 1]
CHECK:      "scf.parallel"
CHECK:        %buf1_tile = memref.alloc() : memref<128x1024xf32>
CHECK:      }) {tfir.tile = array<i64: 128>}
CHECK-NOT:  "scf.parallel"
""")
    rows = ir_after_each_pass("fn main(x: f32[520, 1024]) -> f32[512, 1024] {\n"
                              "    return softmax(x[2:514], axis=-1);\n}\n", "numpy")
    assert "_tile = memref.alloc()" not in rows["numpy-row-groups"]
