"""`decompose-tf-ops`: after it no decomposable op is left, every op it
creates keeps the location of the op it replaces, and the decomposed program
computes (run op by op by the eager target) what the primitives compute; its
FileCheck test is tests/filecheck/decompose-tf-ops.mlir."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import FileLineColLoc

from tests.support.v2_programs import PROGRAMS, check
from tfir.backends.eager import compile_module
from tfir.dialects.decompositions import DECOMPOSITIONS
from tfir.dialects.dtypes import from_numpy
from tfir.dialects.registry import TType
from tfir.frontend.driver import build_entry, load_and_check
from tfir.pipeline import make_context, pass_class

FILECHECK = Path(__file__).resolve().parents[1] / "filecheck" / "decompose-tf-ops.mlir"


def _modules(program, inputs):
    frontend = load_and_check(program.source, f"{program.name}.tf")
    params = frontend.root.functions["main"].params
    types = {p.name: TType(from_numpy(a.dtype) or "", a.shape) for p, a in zip(params, inputs, strict=True)}
    plain = build_entry(frontend, "main", types, {})
    decomposed = plain.clone()
    pass_class("decompose-tf-ops")().apply(make_context(), decomposed)
    decomposed.verify()
    return plain, decomposed


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_decompositions_compute_what_the_ops_compute(program) -> None:
    inputs = program.inputs(np.random.default_rng(3))
    plain, decomposed = _modules(program, inputs)
    assert not [op for op in decomposed.walk() if op.name in DECOMPOSITIONS]
    got = tuple(compile_module(decomposed, "main")(*inputs))
    check(program, got, tuple(program.reference(*inputs)))
    check(program, got, tuple(compile_module(plain, "main")(*inputs)))


def test_created_ops_keep_the_call_location() -> None:
    program = next(p for p in PROGRAMS if p.name == "nn")
    _, decomposed = _modules(program, program.inputs(np.random.default_rng(0)))
    body = [op for op in decomposed.walk() if op.name.startswith("tf.")]
    assert len(body) > 20
    assert all(isinstance(op.location, FileLineColLoc) and op.location.filename.data == "nn.tf" for op in body)


def test_filecheck() -> None:
    run = FILECHECK.read_text().splitlines()[0].removeprefix("// RUN: ")
    opt, _, check_cmd = run.partition(" | ")
    args = opt.replace("%s", str(FILECHECK)).split()
    xdsl_opt = Path(sys.executable).with_name("xdsl-opt")
    out = subprocess.run([str(xdsl_opt), *args[1:]], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    done = subprocess.run([sys.executable, "-m", "filecheck", str(FILECHECK)], input=out.stdout,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr + out.stdout
