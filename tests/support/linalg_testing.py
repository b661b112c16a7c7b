"""Helpers for the `linalg`-stage tests (test_convert_tf_to_linalg.py, test_fuse_elementwise.py):
`tf` programs written as MLIR text with a location on every op, lowering
with a check of the IR contract (docs/ir-levels.md section 2), running
through the reference interpreter, and FileCheck goldens."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence

import numpy as np
from xdsl.dialects import builtin, func
from xdsl.dialects.builtin import FileLineColLoc, ModuleOp
from xdsl.ir import Operation
from xdsl.ir.affine import AffineBinaryOpExpr, AffineBinaryOpKind, AffineConstantExpr, AffineDimExpr
from xdsl.parser import Parser
from xdsl.printer import Printer

from tests.support.linalg_ref import run
from tfir.pipeline import make_context, pass_class

MLIR_DTYPE = {np.dtype(np.bool_): "i1", np.dtype(np.int32): "i32", np.dtype(np.int64): "i64",
              np.dtype(np.float16): "f16", np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}

TOP_LEVEL_OPS = {"linalg.generic", "linalg.matmul", "linalg.transpose", "linalg.fill",
                 "tensor.empty", "tensor.collapse_shape", "tensor.expand_shape",
                 "tensor.extract_slice", "tensor.insert_slice", "arith.constant", "func.return"}


def ttype(dtype: np.dtype | str, shape: Sequence[int]) -> str:
    elem = dtype if isinstance(dtype, str) else MLIR_DTYPE[np.dtype(dtype)]
    return "tensor<" + "".join(f"{d}x" for d in shape) + elem + ">"


def tf_module(args: Sequence[str], body: Sequence[str], results: Sequence[tuple[str, str]]) -> str:
    """`func.func @main` with argument types `args` (named %a0, %a1, ...), the
    body lines (each gets `loc("t.tf":LINE:1)`) and results (value, type)."""
    params = ", ".join(f"%a{i}: {t}" for i, t in enumerate(args))
    lines = [f"    {line} loc(\"t.tf\":{n + 2}:1)" for n, line in enumerate(body)]
    values = ", ".join(v for v, _ in results)
    types = ", ".join(t for _, t in results)
    return "\n".join([
        "builtin.module {",
        f"  func.func @main({params}) -> ({types}) {{",
        *lines,
        f"    func.return {values} : {types} loc(\"t.tf\":{len(body) + 2}:1)",
        "  }",
        "}",
    ])


def parse(text: str) -> ModuleOp:
    module = Parser(make_context(), text).parse_module()
    module.verify()
    return module


def apply(module: ModuleOp, name: str, **options: object) -> ModuleOp:
    pass_class(name)(**options).apply(make_context(), module)
    module.verify()
    return module


def _check_map_expr(expr: object, op: Operation) -> None:
    if isinstance(expr, AffineDimExpr | AffineConstantExpr):
        return
    # Only slices read through `dI * stride + start` (or `dI * stride`).
    assert isinstance(expr, AffineBinaryOpExpr), f"{op.name}: map result {expr}"
    term = expr.lhs if expr.kind == AffineBinaryOpKind.Add else expr
    if expr.kind == AffineBinaryOpKind.Add:
        assert isinstance(expr.rhs, AffineConstantExpr), f"{op.name}: map result {expr}"
    assert isinstance(term, AffineBinaryOpExpr) and term.kind == AffineBinaryOpKind.Mul, str(expr)
    assert isinstance(term.lhs, AffineDimExpr) and isinstance(term.rhs, AffineConstantExpr), str(expr)


def _check_generic(op: Operation) -> None:
    n_in = len(op.inputs)  # type: ignore[attr-defined]
    maps = [m.data for m in op.indexing_maps]  # type: ignore[attr-defined]
    for m in maps[:n_in]:
        for expr in m.results:
            _check_map_expr(expr, op)
    for m in maps[n_in:]:
        assert m.is_projected_permutation(), f"output map {m} is not a projected permutation"
    for inner in op.body.block.ops:  # type: ignore[attr-defined]
        assert inner.dialect_name() in ("arith", "math") or inner.name in (
            "linalg.yield", "linalg.index"), f"{inner.name} in a linalg.generic body"
        for operand in inner.operands:
            assert not isinstance(operand.type, builtin.TensorType), "tensor op in a generic body"


def check_contract(module: ModuleOp, source_locations: bool = True) -> None:
    """The module is in the `linalg` form: only the listed ops, generic bodies
    of arith/math on scalars, maps of the allowed shapes, and (when every
    source op had one) a file location on every op."""
    for fn in module.ops:
        assert isinstance(fn, func.FuncOp)
        for op in fn.body.block.ops:
            assert op.name in TOP_LEVEL_OPS, f"{op.name} is not a linalg-stage op"
            if op.name == "linalg.generic":
                _check_generic(op)
            if op.name.startswith("linalg."):
                # Destination-passing: every `outs` is a fresh tensor.empty,
                # or one a linalg.fill initialised.
                for out in op.outputs:  # type: ignore[attr-defined]
                    owner = out.owner
                    assert isinstance(owner, Operation) and owner.name in (
                        "tensor.empty", "linalg.fill"), f"{op.name} writes into {out}"
            if source_locations:
                for inner in op.walk():
                    assert isinstance(inner.location, FileLineColLoc), f"{inner.name} has no location"


def lower(text: str) -> ModuleOp:
    module = apply(parse(text), "convert-tf-to-linalg")
    check_contract(module)
    return module


def run_main(module: ModuleOp, *arrays: np.ndarray) -> list[np.ndarray]:
    return run(module, "main", *arrays)


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    """Equal shape and dtype; ints and bools exact, floats close (NaN == NaN)."""
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if got.dtype.kind == "f":
        tol = {2: 4e-3, 4: 2e-6, 8: 1e-12}[got.dtype.itemsize]
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64),
                                   rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def print_ir(module: ModuleOp) -> str:
    out = io.StringIO()
    Printer(stream=out).print_op(module)
    return out.getvalue()


def print_ir_debug(module: ModuleOp) -> str:
    """The module printed with its locations."""
    out = io.StringIO()
    Printer(stream=out, print_debuginfo=True).print_op(module)
    return out.getvalue()


def filecheck(ir: str, checks: str) -> None:
    """Runs the `filecheck` package's matcher on `ir` with the CHECK lines."""
    with tempfile.NamedTemporaryFile("w", suffix=".mlir", delete=False) as f:
        f.write(checks)
    try:
        proc = subprocess.run([sys.executable, "-m", "filecheck", f.name], input=ir,
                              capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    assert proc.returncode == 0, proc.stdout + proc.stderr + "\n--- IR ---\n" + ir
