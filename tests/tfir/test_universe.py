"""tfir's dialects and passes are in xDSL's Universe: `xdsl-opt` parses the
IR tfir prints and runs our passes on it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tfir
from tests.support.common import EXAMPLES, parse_ir
from tfir.cli import random_inputs


def tf_text(path: Path) -> str:
    prog = tfir.compile_file(path, target="eager")
    fn = prog[prog.entries[-1]]
    arrays, statics = fn.bind_inputs((), random_inputs(fn.fn, {}, {}, 0))
    return str(fn.specialize(arrays, statics).tf_module)


def xdsl_opt() -> list[str]:
    exe = Path(sys.executable).with_name("xdsl-opt")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("xdsl-opt")
    if found is None:
        pytest.skip("xdsl-opt is not installed")
    return [found]


def test_universe_lists_our_dialects_and_passes() -> None:
    from xdsl.universe import Universe

    multiverse = Universe.get_multiverse()
    assert "tf" in multiverse.all_dialects
    for name in ("inline-calls", "canonicalize-tf", "convert-tf-to-linalg", "bufferize"):
        assert name in multiverse.all_passes


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_xdsl_opt_runs_our_passes(path: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.mlir"
    src.write_text(tf_text(path))
    proc = subprocess.run([*xdsl_opt(), "-p", "inline-calls,differentiate,decompose-tf-ops,canonicalize-tf,hoist-loop-invariants,cse,"
                           "batch-loop-accumulations,dce,convert-tf-to-linalg,elide-tape-inits,cse",
                           str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    module = parse_ir(proc.stdout)
    module.verify()
    names = {op.name for op in module.walk()}
    assert not any(n.startswith("tf.") for n in names)
    assert "linalg.generic" in names
