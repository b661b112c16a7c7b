"""Helpers for the tests of `bufferize`, `plan-buffers`, `tile-linalg` and
`convert-linalg-to-scalar-loops` (tests/lowering/: test_bufferize.py, test_tile_linalg.py,
test_convert_linalg_to_scalar_loops.py; tests/backends/mlir/test_mlir_opt.py).

Inputs are linalg-on-tensors modules written by hand as MLIR text (the §2
form of docs/ir-levels.md). `parse_located` stamps a distinct
`loc("t.tf":N:1)` on every op so the tests can check that each pass keeps
source locations. `differential` runs a module through the passes down to
scalar loops, executes them with xDSL's interpreter (loops_interpreter.py),
and compares with the NumPy reference interpreter of the tensor form
(linalg_ref.py), which shares no code with these passes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects import bufferization, func, tensor
from xdsl.dialects.builtin import FileLineColLoc, IntAttr, ModuleOp, StringAttr, TensorType
from xdsl.ir import Operation
from xdsl.parser import Parser

from tests.support.linalg_ref import run as run_reference
from tests.support.loops_interpreter import run_function
from tfir.pipeline import make_context, pass_class

BUFFER_PASSES = ("bufferize", "plan-buffers")


def parse_located(text: str) -> ModuleOp:
    module = Parser(make_context(), text).parse_module()
    for n, op in enumerate(module.walk()):
        if op is not module:
            op.location = FileLineColLoc(StringAttr("t.tf"), IntAttr(n + 1), IntAttr(1))
    module.verify()
    return module


def apply(module: ModuleOp, *names: str, **options: object) -> ModuleOp:
    """Run passes in order, verifying after each; options go to `tile-linalg`."""
    for name in names:
        opts = options if name == "tile-linalg" else {}
        pass_class(name)(**opts).apply(make_context(), module)  # type: ignore[call-arg]
        module.verify()
    return module


def _value_types(op: Operation):
    yield from op.operand_types
    yield from op.result_types
    for region in op.regions:
        for block in region.blocks:
            yield from (arg.type for arg in block.args)


def check_buffers_form(module: ModuleOp) -> None:
    """The §3 contract: no tensors, no bufferization or tensor ops, and every
    op keeps a source location."""
    for op in module.walk():
        if op is module:
            continue
        assert not any(isinstance(t, TensorType) for t in _value_types(op)), str(op)
        assert op.dialect_name() not in (bufferization.Bufferization.name, tensor.Tensor.name), op.name
        assert isinstance(op.location, FileLineColLoc), f"{op.name} lost its location"


def ops_named(module: ModuleOp, name: str) -> list[Operation]:
    return [op for op in module.walk() if op.name == name]


def lower_to_loops(text: str, passes: Sequence[str] = BUFFER_PASSES, **tile_options: object) -> ModuleOp:
    module = parse_located(text)
    apply(module, *passes, "convert-linalg-to-scalar-loops", **tile_options)
    return module


def differential(
    text: str,
    inputs: Sequence[np.ndarray],
    passes: Sequence[str] = BUFFER_PASSES,
    **tile_options: object,
) -> list[np.ndarray]:
    """Results of the scalar loops, checked against the tensor-level
    reference; returned for further checks."""
    want = run_reference(parse_located(text), "main", *inputs)
    module = lower_to_loops(text, passes, **tile_options)
    got = run_function(module, "main", *inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        if np.issubdtype(w.dtype, np.floating):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
        else:
            np.testing.assert_array_equal(g, w)
    return got


def randn(*shape: int, seed: int = 0, dtype=np.float32) -> np.ndarray:
    return np.random.default_rng(seed + len(shape)).standard_normal(shape).astype(dtype)


def main_func(module: ModuleOp) -> func.FuncOp:
    return next(op for op in module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == "main")
