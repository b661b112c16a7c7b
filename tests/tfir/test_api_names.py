"""API and CLI corners of issue 13: a parameter named `self` passed by
keyword; a plugin whose entry point is not named after its dialect."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import tfir
from tfir.errors import CompileError


def test_a_parameter_named_self_by_keyword() -> None:
    prog = tfir.compile_source("fn main(self: f32[2], other: f32[2]) -> f32[2] {\n    return self - other;\n}\n",
                               "s.tf", target="eager")
    got = prog.main(self=np.ones(2, np.float32), other=np.zeros(2, np.float32))
    np.testing.assert_array_equal(got, [1.0, 1.0])


def test_a_plugin_named_otherwise_than_its_dialect(tmp_path: Path) -> None:
    dist = tmp_path / "tfir_fancy-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tfir-fancy\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[tfir.dialects]\nfancy = tfir_fancy_ep\n")
    (tmp_path / "tfir_fancy_ep.py").write_text(
        "from tfir.plugin import Dialect\nlib = Dialect('fancy_ops')\n\n@lib.op(shape=lambda call: call.tensors[0])\n"
        "def twice(x):\n    return x + x\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(CompileError) as info:
            tfir.compile_source("use fancy;\nfn f(x: f32[4]) {\n  return fancy.twice(x);\n}\n", "t.tf",
                                target="eager")
        text = str(info.value)
        assert "did you mean 'fancy'" not in text
        assert ("the installed plugin 'fancy' (module 'tfir_fancy_ep') registers dialect 'fancy_ops', not "
                "'fancy'") in text and "write `use fancy_ops;`" in text
    finally:
        sys.path.remove(str(tmp_path))
