"""Snapshot of the Triton code generated for examples/mlp.tf, and the style
rules every generated kernel keeps (what a Triton programmer would write).

The snapshot is golden/mlp.py; after an intended change of the generated
code, `pytest tests/backends/triton --update-goldens` rewrites it (review the diff).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.common import EXAMPLES, ROOT
from tests.support.golden import Golden
from tfir.cli import main

MLP = ROOT / "examples" / "mlp.tf"


def _compile(path, tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("TFIR_CACHE", "0")
    out = tmp_path / (path.stem + ".py")
    assert main(["compile", str(path), "--target", "triton", "-o", str(out)]) == 0
    return out.read_text()


def test_mlp_matches_snapshot(tmp_path, monkeypatch, golden: Golden) -> None:
    golden.check("mlp.py", _compile(MLP, tmp_path, monkeypatch))


def test_mlp_kernels_read_like_triton() -> None:
    """The points of the snapshot, stated so that a failure says which broke."""
    src = (Path(__file__).parent / "golden" / "mlp.py").read_text()
    assert "    v = w1 * 0.05\n" in src  # the scalar constant is a literal ...
    assert "_TFIR_CONST" not in src and "rt.to_device(_" not in src  # ... not a buffer
    assert "def tf_mul_0(w1_ptr, tmp0_ptr, BLOCK: tl.constexpr):" in src
    assert "tl.maximum(v, 0.0, propagate_nan=tl.PropagateNan.ALL)" in src  # relu's zero
    assert "b1 = tl.load(b1_ptr + rn, mask=mask_n, other=0.0)" in src  # the bias: 1-D
    assert "v = acc + b1[None, :]" in src
    assert "acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)" in src
    assert "acc = tl.dot(a, b, acc, input_precision=\"ieee\")" in src  # updated in place
    assert "for k in range(0, 784, BLOCK_K):" in src
    assert "tf_mul_0[(98,)](w1, tmp0, BLOCK=1024)" in src
    assert "out = rt.empty((32, 10), np.float32)" in src


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples_keep_the_style_rules(path, tmp_path, monkeypatch) -> None:
    src = _compile(path, tmp_path, monkeypatch)
    calls = re.findall(r"tl\.(load|store)\(([^\n]*)\)", src)
    assert calls and all("mask=" in args for _, args in calls)  # every access masked
    assert not re.search(r"\bbuf(_\d+)?\b", src)  # buffers have names
    assert not re.search(r"^\s*(\w+) = (acc\w*)$", src, re.M)  # no copies of accumulators
    assert not re.search(r"^\s*c(_\d+)? = tl\.full", src, re.M)  # constants are inline
    # a one-value constant is never a kernel argument
    assert not re.search(r"np\.array\(\[[^],]*\], dtype=[^)]*\)\.reshape\(\(\)\)", src)
    for kernel in src.split("@triton.jit")[1:]:  # attention: a row's max and sum share a buffer
        stores = re.findall(r"tl\.store\((\w+ \+ \w+), [^\n]*mask=(\w+)\)", kernel)
        assert len(stores) == len(set(stores)), "a store a later one overwrites"
    compile(src, str(path), "exec")
