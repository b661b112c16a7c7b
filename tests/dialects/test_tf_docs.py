"""Every op of the `tf` dialect is an explicit class whose docstring shows its
IR; that IR parses, verifies and prints back as written."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from xdsl.parser import Parser
from xdsl.printer import Printer

from tfir.dialects import tf
from tfir.pipeline import make_context

OPS = sorted(tf.TF.operations, key=lambda op: op.name)


def _example(op: type) -> str:
    found = re.search(r"```mlir\n(.*?)\n\s*```", op.__doc__ or "", re.S)
    assert found, f"{op.name}: no ```mlir example in its docstring"
    return found.group(1).strip()


def _function(line: str) -> str:
    """A function whose arguments are the example's operands, returning its result."""
    result, _, op_text = line.partition(" = ")
    signature = op_text.rsplit(" : ", 1)[1]
    operands = re.findall(r"%\w+", op_text.split(" : ")[0].split("{")[0])
    inputs = re.findall(r"tensor<[^>]*>|\bindex\b", signature.split("->")[0]) if "->" in signature else []
    result_type = signature.rsplit("-> ", 1)[-1]
    args = ", ".join(f"{name}: {typ}" for name, typ in zip(operands, inputs, strict=True))
    return f"func.func @f({args}) -> {result_type} {{\n  {line}\n  func.return {result} : {result_type}\n}}"


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_docstring_ir_round_trips(op: type) -> None:
    assert op.__name__ in tf.__all__ and op.__module__.startswith("tfir.dialects.tf.")
    line = _example(op)
    module = Parser(make_context(), _function(line)).parse_module()
    module.verify()
    out = io.StringIO()
    Printer(out).print_op(module)
    printed = next(row.strip() for row in out.getvalue().splitlines() if f" = {op.name} " in row)
    assert printed.split(" = ", 1)[1] == line.split(" = ", 1)[1]


def test_one_class_statement_per_op() -> None:
    """No op is made by a factory: each has its own `class XOp(...)` in the package."""
    text = "".join(p.read_text() for p in Path(tf.__file__).parent.glob("*.py"))
    for op in OPS:
        assert re.search(rf"^class {op.__name__}\(", text, re.M), op.name
