"""The eager backend (target "eager"): runs the `tf` IR op by op with NumPy.

It is the reference every compiled target is checked against. Each `tf` op
(and op of a registered dialect) runs its registry entry's eager
implementation (`dialects.evaluate.run_op`, as `fold-constants` does);
structured control flow runs as Python loops and branches around the ops of
its regions (`scf.for`, `scf.while`, `scf.if`), with the `index` arithmetic
of loop bounds (`arith`) on Python ints, `tf.from_index` and
`tensor.extract` (a condition read as a bool). `func.call`s run the callee.
Its pipeline is empty and the code it "generates" is the `tf` IR itself,
printed with its locations; loading parses it back and runs it.

A block is prepared once (its ops resolved to small closures), so a loop of
many iterations pays a dictionary lookup and a call per op, not a dispatch:
the same shape as xDSL's interpreter (`xdsl.interpreter`), without its
generality.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
from xdsl.dialects import arith, func, scf, tensor
from xdsl.dialects.builtin import IntegerAttr, ModuleOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.parser import Parser
from xdsl.printer import Printer

from tfir.backends.base import Backend, Runner
from tfir.backends.common.emitter import SourceLine
from tfir.dialects import tf
from tfir.dialects.context import make_context
from tfir.dialects.dtypes import numpy_dtype_of
from tfir.dialects.evaluate import EagerError, run_op
from tfir.errors import ExecutionError

Env = dict[SSAValue, Any]
Step = Callable[[Env], None]

# A `while` may legitimately never end (the program's own semantics, as in
# TensorFlow). The fuzzers bound it, so a mutated source that loops forever
# reads as "does not terminate" rather than as a hang of the compiler.
_WHILE_LIMIT: ContextVar[int | None] = ContextVar("tfir_eager_while_limit", default=None)


class LoopLimitExceeded(ExecutionError):
    """A `while` ran more iterations than `while_limit` allows."""


@contextmanager
def while_limit(iterations: int) -> Iterator[None]:
    """Eager `while` loops raise LoopLimitExceeded after ITERATIONS iterations."""
    token = _WHILE_LIMIT.set(iterations)
    try:
        yield
    finally:
        _WHILE_LIMIT.reset(token)

_INDEX_ARITH: dict[type[Operation], Callable[[int, int], int]] = {
    arith.AddiOp: lambda a, b: a + b, arith.SubiOp: lambda a, b: a - b, arith.MuliOp: lambda a, b: a * b,
    arith.FloorDivSIOp: lambda a, b: a // b, arith.MinSIOp: min, arith.MaxSIOp: max,
}


class _Program:
    """The prepared functions of a module."""

    def __init__(self, module: ModuleOp):
        self.funcs = {op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)}
        self.blocks: dict[Block, tuple[list[Step], Operation | None]] = {}

    def call(self, name: str, args: Sequence[Any]) -> tuple[Any, ...]:
        fop = self.funcs[name]
        return self.run(fop.body.block, args, {})

    def run(self, block: Block, args: Sequence[Any], env: Env) -> tuple[Any, ...]:
        """Runs a block on its argument values: the operands of its terminator.
        `env` holds the values of the enclosing blocks; the block's own values
        go into it too (each SSA value is defined once, so nothing clashes)."""
        prepared = self.blocks.get(block)
        if prepared is None:
            prepared = self.blocks[block] = self._prepare(block)
        steps, term = prepared
        env.update(zip(block.args, args, strict=True))
        for step in steps:
            step(env)
        return tuple(env[v] for v in term.operands) if term is not None else ()

    # -- preparing a block ----------------------------------------------------------------

    def _prepare(self, block: Block) -> tuple[list[Step], Operation | None]:
        steps: list[Step] = []
        term = None
        for op in block.ops:
            if isinstance(op, func.ReturnOp | scf.YieldOp | scf.ConditionOp):
                term = op
            else:
                steps.append(self._step(op))
        return steps, term

    def _step(self, op: Operation) -> Step:
        operands, results = tuple(op.operands), tuple(op.results)
        if isinstance(op, scf.ForOp):
            return self._for(op)
        if isinstance(op, scf.WhileOp):
            return self._while(op)
        if isinstance(op, scf.IfOp):
            return self._if(op)
        if isinstance(op, func.CallOp):
            callee = op.callee.root_reference.data
            return _assign(results, lambda env: self.call(callee, [env[v] for v in operands]))
        fn = _scalar_op(op)
        if fn is not None:
            return _assign(results, lambda env: (fn(*[env[v] for v in operands]),))
        return _assign(results, lambda env: run_op(op, [env[v] for v in operands]))

    def _for(self, op: scf.ForOp) -> Step:
        body, results = op.body.block, tuple(op.results)
        lb, ub, step, *inits = op.operands

        def run(env: Env) -> None:
            carried = tuple(env[v] for v in inits)
            for i in range(env[lb], env[ub], env[step]):
                carried = self.run(body, (i, *carried), env)
            env.update(zip(results, carried, strict=True))

        return run

    def _while(self, op: scf.WhileOp) -> Step:
        before, after, results = op.before_region.block, op.after_region.block, tuple(op.results)
        inits = tuple(op.arguments)

        def run(env: Env) -> None:
            carried = tuple(env[v] for v in inits)
            limit, count = _WHILE_LIMIT.get(), 0
            while True:
                flag, *forwarded = self.run(before, carried, env)
                if not flag:
                    break
                count += 1
                if limit is not None and count > limit:
                    raise LoopLimitExceeded(f"a while loop ran more than {limit} iterations")
                carried = self.run(after, forwarded, env)
            env.update(zip(results, forwarded, strict=True))

        return run

    def _if(self, op: scf.IfOp) -> Step:
        then, orelse, results, cond = op.true_region.block, op.false_region.blocks, tuple(op.results), op.cond

        def run(env: Env) -> None:
            if env[cond]:
                values = self.run(then, (), env)
            else:
                values = self.run(orelse.first, (), env) if orelse.first is not None else ()
            env.update(zip(results, values, strict=True))

        return run


def _assign(results: tuple[SSAValue, ...], compute: Callable[[Env], Sequence[Any]]) -> Step:
    if len(results) == 1:
        (result,) = results

        def one(env: Env) -> None:
            env[result] = compute(env)[0]
        return one

    def many(env: Env) -> None:
        env.update(zip(results, compute(env), strict=True))
    return many


def _scalar_op(op: Operation) -> Callable[..., Any] | None:
    """Ops on scalars (`index` arithmetic, reading a condition, making the loop variable)."""
    if isinstance(op, arith.ConstantOp) and isinstance(op.value, IntegerAttr):
        value = op.value.value.data
        return lambda: value
    if type(op) in _INDEX_ARITH:
        return _INDEX_ARITH[type(op)]
    if isinstance(op, arith.IndexCastOp):
        return int
    if isinstance(op, tensor.ExtractOp):
        return lambda t, *idx: t[tuple(idx)].item()
    if isinstance(op, tf.FromIndexOp):
        dtype = numpy_dtype_of(op.result.type)
        return lambda i: np.array(i, dtype=dtype)
    return None


def compile_module(module: ModuleOp, entry: str) -> Callable[..., tuple[np.ndarray, ...]]:
    """A callable running `entry` of the `tf` module op by op."""
    program = _Program(module)
    fop = program.funcs.get(entry)
    if fop is None:
        raise EagerError(f"no function @{entry} in the module")
    n_args = len(fop.args)

    def run(*args: np.ndarray) -> tuple[np.ndarray, ...]:
        if len(args) != n_args:
            raise TypeError(f"{entry} takes {n_args} arrays, got {len(args)}")
        return tuple(np.array(r) for r in program.call(entry, args))

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
