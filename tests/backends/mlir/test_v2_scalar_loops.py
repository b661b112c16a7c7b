"""The builtins of language version 2 on the `mlir` target: lowered to scalar
loops (stage `scalar-loops`: only scf / memref / arith / math ops, every op
located) and run by xDSL's interpreter (tests/loops_interpreter.py) against
the NumPy references; random numbers bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects.builtin import FileLineColLoc

from tests.support.loops_interpreter import run_function
from tests.support.v2_programs import PROGRAMS, V2Program, check
from tfir.dialects.dtypes import from_numpy
from tfir.dialects.registry import TType
from tfir.frontend.driver import build_entry, load_and_check
from tfir.pipeline import run_pipeline

ALLOWED = {"builtin", "func", "scf", "memref", "arith", "math"}

SMALL_RANDOM = V2Program(
    "random_small", """
fn main(s: i32) {
    return random_uniform(s, [2, 3]), random_uniform(s, [5], f64), random_normal(s, [4]), random_uniform(-2, [3]);
}
""", lambda r: [np.array(-123456, np.int32)], lambda s: _random_ref(int(s)), exact=(0, 1, 3), tol=(1e-6, 1e-6))


def _random_ref(s: int):
    from tfir.dialects.tf.random import random_normal, random_uniform

    return (random_uniform(s, (2, 3), np.float32), random_uniform(s, (5,), np.float64),
            random_normal(s, (4,), np.float32), random_uniform(-2, (3,), np.float32))


def _lower(program: V2Program, inputs: list[np.ndarray]):
    frontend = load_and_check(program.source, f"{program.name}.tf")
    params = frontend.root.functions["main"].params
    types = {p.name: TType(from_numpy(a.dtype) or "", a.shape) for p, a in zip(params, inputs, strict=True)}
    return run_pipeline(build_entry(frontend, "main", types, {}), "mlir")


CASES = [p for p in PROGRAMS if p.name != "random"] + [SMALL_RANDOM]


@pytest.mark.parametrize("program", CASES, ids=[p.name for p in CASES])
def test_scalar_loops_compute_the_reference(program: V2Program) -> None:
    inputs = (program.small or program.inputs)(np.random.default_rng(4))
    module = _lower(program, inputs)
    for op in module.walk():
        assert op.dialect_name() in ALLOWED, op.name
        if op is not module and op.dialect_name() != "builtin":
            assert isinstance(op.location, FileLineColLoc), f"{op.name} lost its location"
    with np.errstate(all="ignore"):
        got = run_function(module, "main", *inputs)
    check(program, tuple(np.asarray(g) for g in got), tuple(program.reference(*inputs)))
