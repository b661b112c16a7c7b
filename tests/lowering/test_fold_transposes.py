"""fold-transposes (stage `device`, target triton): a transpose read by an
elementwise op becomes a permuted indexing map of that op."""

from __future__ import annotations

from tests.support.common import filecheck
from tests.support.stages import TRANSPOSED, ir_after_each_pass


def test_fold_transposes_reads_the_source_through_permuted_maps() -> None:
    ir = ir_after_each_pass(TRANSPOSED, "triton")
    assert "linalg.transpose" in ir["merge-tile-pieces"]
    filecheck(ir["fold-transposes"], """
CHECK-NOT: linalg.transpose
CHECK:     linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>
CHECK-SAME: ins(%a
""")
