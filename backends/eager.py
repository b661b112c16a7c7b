"""The eager backend (target "eager"): runs the `tf` IR op by op with NumPy.

It is the reference every compiled target is checked against. Its pipeline
is empty and the code it "generates" is the `tf` IR itself, printed with
its locations; loading parses it back and runs it. Execution reuses xDSL's
interpreter framework (`func.call`/`func.return` from xDSL, one `@impl` per
op type dispatching to the registry's eager implementation); values are
NumPy arrays, not xDSL's pure-Python ShapedArray.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls
from xdsl.interpreters.func import FuncFunctions
from xdsl.ir import Operation
from xdsl.parser import Parser
from xdsl.printer import Printer

from tfir.backends.base import Backend, Runner
from tfir.backends.common.emitter import SourceLine
from tfir.dialects.context import make_context
from tfir.dialects.evaluate import run_op
from tfir.dialects.registry import REGISTRY


def _functions_for(module: ModuleOp) -> InterpreterFunctions:
    """An InterpreterFunctions with one `@impl` per op type the module holds."""
    op_types = {type(op) for op in module.walk() if REGISTRY.for_op(op.name) is not None}
    namespace: dict[str, Any] = {}
    for i, op_type in enumerate(sorted(op_types, key=lambda t: t.name)):
        def run(self: Any, interpreter: Interpreter, op: Operation, args: tuple[Any, ...]) -> tuple[Any, ...]:
            return run_op(op, args)
        namespace[f"run_{i}"] = impl(op_type)(run)
    cls = register_impls(type("TfEagerFunctions", (InterpreterFunctions,), namespace))
    return cls()


def compile_module(module: ModuleOp, entry: str) -> Callable[..., tuple[np.ndarray, ...]]:
    """A callable running `entry` of the `tf` module op by op."""
    interpreter = Interpreter(module)
    interpreter.register_implementations(FuncFunctions())
    interpreter.register_implementations(_functions_for(module))
    fop = next(op for op in module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == entry)
    n_args = len(fop.args)

    def run(*args: np.ndarray) -> tuple[np.ndarray, ...]:
        if len(args) != n_args:
            raise TypeError(f"{entry} takes {n_args} arrays, got {len(args)}")
        return tuple(np.array(r) for r in interpreter.call_op(entry, args))

    return run


class EagerBackend(Backend):
    """The `tf` IR, interpreted op by op."""

    name = "eager"
    cacheable = False  # the IR is its own code: nothing to save
    runs_tf_ir = True
    inspect_as = "numpy"  # it lowers nothing: show how the default target lowers the program

    def generate(self, module: ModuleOp, entry: str, source_line: SourceLine | None = None,
                 options: Any = None) -> str:
        out = io.StringIO()
        Printer(stream=out, print_debuginfo=True).print_op(module)
        return out.getvalue()

    def load(self, source: str, entry: str, filename: str = "<tfir-eager>") -> Runner:
        return compile_module(Parser(make_context(), source, filename).parse_module(), entry)

    def compile(self, module: ModuleOp, entry: str, source_line: SourceLine | None, options: Any,
                filename: str) -> tuple[Runner, str | None]:
        """Runs `module` itself: printing and parsing it back would only cost time."""
        return compile_module(module, entry), None
