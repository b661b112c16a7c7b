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
