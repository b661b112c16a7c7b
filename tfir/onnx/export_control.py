"""`.tf` control flow written as ONNX control flow.

At the `tf` level a loop is `scf.for` / `scf.while` and a branch `scf.if`, whose
carried values are tensors (docs/ir-levels.md):

- `scf.for %i = lb to ub step s iter_args(...)` -> `Loop` with the trip count
  `ceil((ub - lb) / s)` (bounds are compile-time integers), no condition; the
  body computes `i = lb + iteration * s`.
- `scf.while` -> `Loop` with a condition and no trip count. ONNX tests the
  condition before the first iteration (the `Loop`'s input) and then at the end
  of each: the `before` region is written once outside, for the first test,
  and again at the end of the body, on the values the body yields.
- `scf.if` -> `If` with one graph per branch.

`arith.constant`s of type `index` (loop bounds) are kept as integers; a
`tensor.extract` of a `bool` rank-0 tensor (a condition) is that tensor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from xdsl.dialects.builtin import IndexType, TensorType, i1, i64

from tfir.onnx.export_util import dtype_of
from tfir.onnx.model import ELEM_OF, OnnxError

if TYPE_CHECKING:
    from tfir.onnx.exporter import Exporter

I64_SCALAR = TensorType(i64, [])
BOOL_SCALAR = TensorType(i1, [])


def _arith_constant(ex: Exporter, op: Any) -> None:
    value = op.value
    if not isinstance(op.results[0].type, IndexType):
        raise OnnxError(f"{ex.where(op)}arith.constant of type {op.results[0].type} is not exported")
    ex.ints[op.results[0]] = int(value.value.data)


_INDEX_ARITH = {"arith.addi": ("Add", lambda a, b: a + b), "arith.subi": ("Sub", lambda a, b: a - b),
                "arith.muli": ("Mul", lambda a, b: a * b)}


def _index_arith(ex: Exporter, op: Any) -> None:
    """Arithmetic on `index` values (a loop index counted down, `start + i * step`):
    folded where both operands are known, else on int64 rank-0 tensors."""
    onnx_op, fold = _INDEX_ARITH[op.name]
    a, b = op.operands
    if a in ex.ints and b in ex.ints:
        ex.ints[op.results[0]] = fold(ex.ints[a], ex.ints[b])
        return
    ex.node(onnx_op, [_index_name(ex, a), _index_name(ex, b)], [ex.name(op.results[0])])


def _index_name(ex: Exporter, value: Any) -> str:
    if value in ex.ints:
        return ex.const(np.array(ex.ints[value], np.int64), "index")
    return ex.name(value)


def _extract(ex: Exporter, op: Any) -> None:
    if op.indices:
        raise OnnxError(f"{ex.where(op)}tensor.extract with indices is not exported")
    ex.names[op.results[0]] = ex.name(op.operands[0])  # a rank-0 tensor is what ONNX conditions are


def _from_index(ex: Exporter, op: Any) -> None:
    ex.node("Cast", [_index_name(ex, op.operands[0])], [ex.name(op.results[0])],
            to=ELEM_OF[dtype_of(op.results[0].type)])


def _int(ex: Exporter, op: Any, value: Any, what: str) -> int:
    if value not in ex.ints:
        raise OnnxError(f"{ex.where(op)}the {what} of a loop must be a compile-time integer")
    return ex.ints[value]


def _for(ex: Exporter, op: Any) -> None:
    lb, ub, step = (_int(ex, op, v, w) for v, w in ((op.lb, "lower bound"), (op.ub, "upper bound"),
                                                    (op.step, "step")))
    if step == 0:
        raise OnnxError(f"{ex.where(op)}a loop step of 0 never ends")
    trips = max(0, -(-(ub - lb) // step))
    body = op.body.blocks[0]
    inits = [ex.name(v) for v in op.iter_args]
    iteration, cond = ex.fresh("iteration"), ex.fresh("cond")
    carried = [ex.fresh(f"{ex.name(v)}_in") for v in op.iter_args]

    def emit() -> list[Any]:
        index = iteration
        if step != 1:
            index = ex.node("Mul", [index, ex.const(np.array(step, np.int64), "step")])
        if lb != 0:
            index = ex.node("Add", [index, ex.const(np.array(lb, np.int64), "start")])
        results = ex.block(body, [index, *carried])
        return [(ex.node("Identity", [cond]), BOOL_SCALAR), *results]

    inputs = [(iteration, I64_SCALAR), (cond, BOOL_SCALAR),
              *((name, v.type) for name, v in zip(carried, op.iter_args, strict=True))]
    graph = ex.subgraph(ex.fresh("for_body"), inputs, emit)
    trip_count = ex.const(np.array(trips, np.int64), "trip_count")
    ex.node("Loop", [trip_count, "", *inits], [ex.name(r) for r in op.results], body=graph)


def _while(ex: Exporter, op: Any) -> None:
    before, after = op.before_region.blocks[0], op.after_region.blocks[0]
    cond0, *first = ex.block(before, [ex.name(v) for v in op.arguments])
    start = [ex.name(cond0), *(ex.name(v) for v in first)]
    iteration, cond = ex.fresh("iteration"), ex.fresh("cond")
    carried = [ex.fresh(f"{ex.name(r)}_in") for r in op.results]

    def emit() -> list[Any]:
        yielded = ex.block(after, carried)
        again, *forwarded = ex.block(before, [ex.name(v) for v in yielded])
        return [(ex.name(again), BOOL_SCALAR), *forwarded]

    inputs = [(iteration, I64_SCALAR), (cond, BOOL_SCALAR),
              *((name, r.type) for name, r in zip(carried, op.results, strict=True))]
    graph = ex.subgraph(ex.fresh("while_body"), inputs, emit)
    ex.node("Loop", ["", *start], [ex.name(r) for r in op.results], body=graph)


def _if(ex: Exporter, op: Any) -> None:
    if not op.results:
        raise OnnxError(f"{ex.where(op)}an if without results is not exported")
    cond = ex.name(op.cond)
    branches = []
    for region, label in ((op.true_region, "then"), (op.false_region, "else")):
        if not region.blocks:
            raise OnnxError(f"{ex.where(op)}an if with results needs both branches")
        branches.append(ex.subgraph(ex.fresh(f"{label}_branch"), [],
                                    lambda region=region: ex.block(region.blocks[0], [])))
    ex.node("If", [cond], [ex.name(r) for r in op.results], then_branch=branches[0], else_branch=branches[1])


CONTROL: dict[str, Callable[[Exporter, Any], None]] = {
    "arith.constant": _arith_constant,
    **{name: _index_arith for name in _INDEX_ARITH},
    "tensor.extract": _extract,
    "tf.from_index": _from_index,
    "scf.for": _for,
    "scf.while": _while,
    "scf.if": _if,
}
