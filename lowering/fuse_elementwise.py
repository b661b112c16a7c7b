"""`fuse-elementwise`: producer-consumer fusion of `linalg.generic`s.

Precondition: linalg on tensors (docs/ir-levels.md section 2), as
`convert-tf-to-linalg` leaves it.

An elementwise producer (a `linalg.generic` with only parallel iterators, one
result, a permutation as output map and a body that does not read its `outs`)
is inlined into every `linalg.generic` that reads its result as an input,
elementwise or reduction: the producer's body is cloned into the consumer's
body in place of the consumer's block argument, and each producer input is
read through `producer_input_map o inverse(producer_output_map) o
consumer_map` (a broadcasting consumer map composes like any other). This
repeats until nothing fuses, so a whole expression becomes one generic. A
producer is fused only when all of its uses can take it (it is then erased,
and so is its `tensor.empty` when dead); otherwise it is left alone. Dead
generics are erased too. Identical inputs (same value, same map) of a fused
op are merged.

Fusion never makes a value computed twice unless that is cheap: a producer
read by one consumer through one map is inlined once (a consumer reading it
twice shares the one copy of its body); a producer that would be cloned
more than once (several consumers, or one consumer reading it through
different maps) is fused only when its body is a few cheap ops
(`is_cheap`: add, sub, mul, compare, select, min/max, casts; no division,
no `math` op), e.g. `x - max` or `x + b`. Anything else, an `exp` or a
`tanh`, stays materialized in its own buffer and is read by every user.
Nothing is fused into a contraction (`is_contraction`: a batched matmul
as a generic), whose operands BLAS reads from memory anyway: the producer
then stays an elementwise op that later stages can run in parallel.

Target rule: with `recompute=false` (the numpy target without its native
kernels, `NumpyOptions(native=False)`) nothing is ever computed twice, not
even a cheap producer: each scalar op of a fused body is then one NumPy
call, a full pass over its operands, so a clone costs as much as the pass
that stores the value once and is never cheaper (layernorm's `x - mean`,
read by the variance and by the normalization). With native kernels a
clone is a few instructions in a loop that runs anyway.

Produces the same form, with fewer `linalg.generic`s. Option
`enabled=false` (`fuse-elementwise{enabled=false}`) leaves the IR as it is.
Option `explain=true` records, as the attribute `tfir.fusion` of each
function, every producer/consumer pair left unfused and why
(lowering/utils/fusion_decisions.py; `tfir lower --explain-fusion`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cmp_to_key

from xdsl.context import Context
from xdsl.dialects import func, linalg
from xdsl.dialects.builtin import AffineMapAttr, ModuleOp, ShapedType
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from tfir.lowering.utils import fusion_decisions
from tfir.lowering.utils.control_blocks import structured_blocks
from tfir.lowering.utils.linalg_ops import contraction
from tfir.lowering.utils.linalg_ops import is_contraction as any_contraction

GenericOp = linalg.ops.GenericOp
LinalgOp = LinalgStructuredOperation

Log = dict[tuple[Operation, Operation], tuple[str, str]]
"""(producer, consumer) -> (reason code, detail) of its last refusal
(lowering/utils/fusion_decisions.py)."""


MAX_BODY_OPS = 512
"""A fused body may not grow past this (a long chain of single-use ops)."""

MAX_CHEAP_OPS = 2
"""A producer cloned into several places has at most this many body ops
(constants not counted), all of them in `CHEAP_OPS`."""

CHEAP_OPS = frozenset({
    "arith.addf", "arith.subf", "arith.mulf", "arith.negf", "arith.addi", "arith.subi",
    "arith.muli", "arith.maximumf", "arith.minimumf", "arith.maxnumf", "arith.minnumf",
    "arith.maxsi", "arith.minsi", "arith.cmpf", "arith.cmpi", "arith.select",
    "arith.extf", "arith.truncf", "arith.sitofp", "arith.fptosi", "arith.extsi",
    "arith.trunci", "arith.andi", "arith.ori", "arith.xori", "arith.constant",
})
"""Scalar ops cheap enough to recompute rather than store and reload
(one vector instruction each; division and every `math` op are not)."""


def _maps(op: GenericOp) -> list[AffineMap]:
    return [m.data for m in op.indexing_maps]


def _is_permutation(m: AffineMap) -> bool:
    return m.num_dims == len(m.results) and m.is_projected_permutation()


def is_elementwise_producer(op: Operation) -> bool:
    """A generic whose result element depends only on the input elements at
    the same point: all-parallel, one result through a permutation, and a
    body that never reads its `outs` argument."""
    if not isinstance(op, GenericOp) or len(op.outputs) != 1 or len(op.res) != 1:
        return False
    if any(it.data.value != "parallel" for it in op.iterator_types):
        return False
    if not _is_permutation(_maps(op)[-1]):
        return False
    return not op.body.block.args[len(op.inputs)].uses


def is_contraction(op: GenericOp) -> bool:
    """A batched matmul written as a generic: `out + a * b` of two inputs
    that vary along different loop dims, and nothing else in the body."""
    found = contraction(op)
    return found is not None and found.direct


def is_cheap(producer: GenericOp) -> bool:
    """Whether recomputing the producer's body in each place that reads it
    costs less than a buffer: a few cheap ops."""
    ops = [op for op in producer.body.block.ops if not isinstance(op, linalg.ops.YieldOp)]
    if any(op.name not in CHEAP_OPS for op in ops):
        return False
    return sum(op.name != "arith.constant" for op in ops) <= MAX_CHEAP_OPS


@dataclass
class _Plan:
    """How one consumer takes the producer: the fused op's inputs (value and
    map, deduplicated) and, per consumer input, its slot among them or, for a
    read of the producer, the map to the producer's loops and the slots of
    the producer's inputs."""

    inputs: list[tuple[SSAValue, AffineMap]]
    steps: list[int | tuple[AffineMap, list[int]]]

    def slot(self, value: SSAValue, m: AffineMap) -> int:
        if (value, m) not in self.inputs:
            self.inputs.append((value, m))
        return self.inputs.index((value, m))


def _index_dims(producer: GenericOp, to_producer_loops: AffineMap) -> dict[int, int] | None:
    """For each `linalg.index d` in the producer's body, the consumer loop that
    producer loop `d` is; None when one is not a plain consumer loop."""
    out: dict[int, int] = {}
    for op in producer.body.block.ops:
        if isinstance(op, linalg.ops.IndexOp):
            d = op.dim.value.data
            expr = to_producer_loops.results[d]
            if not isinstance(expr, AffineDimExpr):
                return None
            out[d] = expr.position
    return out


def plan_fusion(producer: GenericOp, consumer: GenericOp) -> _Plan | None:
    """The inputs of the fused op, or None when it would not be a valid
    generic (a loop no map reaches as a plain dim, or a `linalg.index` of the
    producer that is no consumer loop) or its body would be too large."""
    plan = _plan_or_reason(producer, consumer)
    return plan if isinstance(plan, _Plan) else None


def _plan_or_reason(producer: GenericOp, consumer: GenericOp) -> _Plan | str:
    """`plan_fusion`'s plan, or the reason code of its None."""
    result = producer.res[0]
    p_maps, c_maps = _maps(producer), _maps(consumer)
    inverse = p_maps[-1].inverse_permutation()
    assert inverse is not None
    n_in = len(consumer.inputs)
    plan = _Plan([], [])
    for value, c_map in zip(consumer.inputs, c_maps[:n_in], strict=True):
        if value is not result:
            plan.steps.append(plan.slot(value, c_map))
            continue
        to_p = inverse.compose(c_map)
        if _index_dims(producer, to_p) is None:
            return "invalid"
        slots = [plan.slot(v, m.compose(to_p))
                 for v, m in zip(producer.inputs, p_maps[:-1], strict=True)]
        plan.steps.append((to_p, slots))
    clones = len({step[0] for step in plan.steps if not isinstance(step, int)})
    size = len(consumer.body.block.ops) + clones * len(producer.body.block.ops)
    if size > MAX_BODY_OPS:
        return "size-limit"
    maps = [*(m for _, m in plan.inputs), *c_maps[n_in:]]
    loops_to_shapes = AffineMap(len(consumer.iterator_types), 0,
                                tuple(e for m in maps for e in m.results))
    if loops_to_shapes.inverse_permutation() is None:
        return "invalid"
    return plan


def _clone_body(block: Block, body: Block, mapper: dict[SSAValue, SSAValue],
                index_dims: dict[int, int] | None = None) -> list[SSAValue]:
    """Clones the ops of `body` (but its yield) to the end of `block`, mapping
    values through `mapper` and `linalg.index` dims through `index_dims`;
    returns the yielded values, mapped."""
    for op in body.ops:
        if isinstance(op, linalg.ops.YieldOp):
            return [mapper.get(v, v) for v in op.operands]
        if isinstance(op, linalg.ops.IndexOp) and index_dims is not None:
            new = linalg.ops.IndexOp(index_dims[op.dim.value.data])
            new.location = op.location
            mapper[op.result] = new.result
        else:
            new = op.clone(value_mapper=mapper)
        block.add_op(new)
    raise AssertionError("linalg.generic body without linalg.yield")


def build_fused(producer: GenericOp, consumer: GenericOp, plan: _Plan) -> GenericOp:
    """The consumer with the producer's body inlined as `plan` says."""
    n_in = len(consumer.inputs)
    elems = [v.type.get_element_type() if isinstance(v.type, ShapedType) else v.type
             for v, _ in plan.inputs]
    block = Block(arg_types=[*elems, *(a.type for a in consumer.body.block.args[n_in:])])
    mapper: dict[SSAValue, SSAValue] = {}
    inlined: dict[AffineMap, SSAValue] = {}
    for arg, step in zip(consumer.body.block.args[:n_in], plan.steps, strict=True):
        if isinstance(step, int):
            mapper[arg] = block.args[step]
            continue
        to_p, slots = step
        if to_p not in inlined:
            inner = {a: block.args[s] for a, s in zip(producer.body.block.args, slots, strict=False)}
            inlined[to_p] = _clone_body(block, producer.body.block, inner,
                                        _index_dims(producer, to_p))[0]
        mapper[arg] = inlined[to_p]
    for arg, new in zip(consumer.body.block.args[n_in:], block.args[len(elems):], strict=True):
        mapper[arg] = new
    terminator = consumer.body.block.last_op
    assert terminator is not None
    yield_op = linalg.ops.YieldOp(*_clone_body(block, consumer.body.block, mapper))
    yield_op.location = terminator.location
    block.add_op(yield_op)
    fused = GenericOp(
        [v for v, _ in plan.inputs], list(consumer.outputs), Region(block),
        [AffineMapAttr(m) for m in [*(m for _, m in plan.inputs), *_maps(consumer)[n_in:]]],
        consumer.iterator_types, [r.type for r in consumer.res])
    fused.location = consumer.location
    return fused


def _consumers(producer: GenericOp) -> list[GenericOp] | None:
    """The generics reading the producer's result as an input, if that is
    every use of it; else None."""
    out: list[GenericOp] = []
    for use in producer.res[0].uses:
        user = use.operation
        if (not isinstance(user, GenericOp) or user is producer
                or user.parent_block() is not producer.parent_block()
                or use.index >= len(user.inputs)):
            return None
        if user not in out:
            out.append(user)
    # In block order, so that the rewrite does not depend on use-list order.
    out.sort(key=cmp_to_key(lambda a, b: -1 if a.is_before_in_block(b) else 1))
    return out or None


def readers(producer: Operation) -> list[Operation]:
    """The linalg ops of the producer's block that read its result as an input."""
    out: list[Operation] = []
    for res in producer.results:
        for use in res.uses:
            user = use.operation
            if isinstance(user, LinalgOp) and user.parent is producer.parent \
                    and use.index < len(user.inputs) and user not in out:
                out.append(user)
    return out


def _refuse(producer: Operation, log: Log | None, reason: str, detail: str = "",
            consumers: list[Operation] | None = None) -> bool:
    if log is not None:
        for consumer in readers(producer) if consumers is None else consumers:
            log[producer, consumer] = (reason, detail)
    return False


def fuse_producer(producer: GenericOp, recompute: bool = True, log: Log | None = None) -> bool:
    """Fuses `producer` into all its consumers and erases it, if all can take
    it (with `recompute` off, only where it is computed once); each refusal
    goes into `log` when one is given."""
    if not is_elementwise_producer(producer):
        if any_contraction(producer):
            return _refuse(producer, log, "contraction", "the producer is one")
        reduces = any(it.data.value != "parallel" for it in producer.iterator_types)
        return _refuse(producer, log, "reduction" if reduces else "not-generic",
                       "" if reduces else "it reads its output, or has several results")
    consumers = _consumers(producer)
    if consumers is None:
        return _refuse_readers(producer, log)
    blas = [c for c in consumers if is_contraction(c)]
    if blas:
        _refuse(producer, log, "other-use", "another consumer is a contraction",
                [c for c in consumers if c not in blas])
        return _refuse(producer, log, "contraction", "the consumer is one", consumers=blas)
    plans = [_plan_or_reason(producer, c) for c in consumers]
    if any(not isinstance(plan, _Plan) for plan in plans):
        for c, plan in zip(consumers, plans, strict=True):
            _refuse(producer, log, plan if isinstance(plan, str) else "other-use",
                    "" if isinstance(plan, str) else "another consumer cannot take it", [c])
        return False
    clones = sum(len({step[0] for step in plan.steps if not isinstance(step, int)})
                 for plan in plans if isinstance(plan, _Plan))
    if clones > 1 and not (recompute and is_cheap(producer)):  # it would be computed more than once
        return _refuse(producer, log, "recompute" if recompute else "target-recompute",
                       f"{clones} copies of its body")
    for k, consumer in enumerate(consumers):
        # Planned again after the first: replacing an earlier consumer may have
        # changed this one's inputs (one consumer can read another).
        plan = plans[0] if k == 0 else plan_fusion(producer, consumer)
        assert isinstance(plan, _Plan)
        Rewriter.replace_op(consumer, build_fused(producer, consumer, plan))
    return _erase_if_dead(producer)


def _refuse_readers(producer: GenericOp, log: Log | None) -> bool:
    """The refusal of a producer not every use of which is a generic that can
    take it: a named contraction reading it is the target rule, any other
    reader is refused for the use that cannot take it."""
    named = [c for c in readers(producer) if not isinstance(c, GenericOp) and any_contraction(c)]
    if named:
        _refuse(producer, log, "contraction", f"the consumer is a {named[0].name}", named)
    others = [c for c in readers(producer) if c not in named]
    if others:
        _refuse(producer, log, "other-use", _blocking_use(producer) or "a contraction reads it too", others)
    return False


def _blocking_use(producer: GenericOp) -> str:
    """The first use of the producer's result that is no generic of its block
    reading it as an input, in words."""
    for use in producer.res[0].uses:
        user = use.operation
        if isinstance(user, func.ReturnOp):
            return "it is a result of the function"
        if not isinstance(user, GenericOp) or use.index >= len(user.inputs):
            what = "an output operand of " if isinstance(user, GenericOp) else ""
            return f"{what}{user.name} uses it"
        if user.parent_block() is not producer.parent_block():
            return f"a {user.name} in another block uses it"
    return ""


def _erase_if_dead(op: Operation) -> bool:
    """Erases a dead `linalg.generic` (pure on tensors) and its dead `outs`
    producers; True if it was erased."""
    if not isinstance(op, GenericOp) or any(r.uses for r in op.res):
        return False
    outs = list(op.outputs)
    Rewriter.erase_op(op)
    for value in outs:
        owner = value.owner
        if isinstance(owner, Operation) and not value.uses and owner.name in _DEAD_INITS:
            _erase_init(owner)
    return True


_DEAD_INITS = ("tensor.empty", "linalg.fill")


def _erase_init(op: Operation) -> None:
    operands = list(op.operands)
    Rewriter.erase_op(op)
    for value in operands:
        owner = value.owner
        if (isinstance(owner, Operation) and not value.uses
                and owner.name in (*_DEAD_INITS, "arith.constant")):
            _erase_init(owner)


def fuse_block(block: Block, recompute: bool = True, log: Log | None = None) -> int:
    """Fuses until nothing changes; returns the number of producers fused.
    Every sweep tries every producer, so `log` ends with the verdict of the
    last sweep on each pair left."""
    fused = 0
    changed = True
    while changed:
        changed = False
        for op in list(block.ops):
            if op.parent is not block:
                continue
            if _erase_if_dead(op):
                changed = True
            elif isinstance(op, GenericOp) and fuse_producer(op, recompute, log):
                fused += 1
                changed = True
            elif isinstance(op, LinalgOp) and not isinstance(op, GenericOp):
                if any_contraction(op):
                    _refuse(op, log, "contraction", f"the producer is a {op.name}")
                else:
                    _refuse(op, log, "not-generic", op.name)
    return fused


def unfused(block: Block, log: Log) -> list[tuple[Operation, Operation, str, str]]:
    """The producer/consumer pairs of `block` left unfused, with the pass's reason."""
    return [(p, c, *log[p, c]) for p in block.ops for c in readers(p) if (p, c) in log]


@dataclass(frozen=True)
class FuseElementwise(ModulePass):
    """Producer-consumer fusion of `linalg.generic`s."""

    name = "fuse-elementwise"

    enabled: bool = True
    explain: bool = False
    recompute: bool = True

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not self.enabled:
            return
        recompute = self.recompute
        for fn in op.walk():
            if isinstance(fn, func.FuncOp) and fn.body.blocks:
                log: Log | None = {} if self.explain else None
                pairs = []
                for block in structured_blocks(fn):  # each loop body on its own: nothing crosses a loop
                    fuse_block(block, recompute, log)
                    if log is not None:
                        pairs += unfused(block, log)
                if log is not None:
                    fusion_decisions.record(fn, pairs)
