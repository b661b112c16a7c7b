"""Insert-slice chain analysis for `bufferize`.

A chain is `%d0 = tensor.empty`, `%s1 = insert_slice %a into %d0[...]`,
`%s2 = insert_slice %b into %s1[...]`, ... (how concat and stack are built),
where `%d0` and every `%si` but the last have exactly one use (the next insert)
and the inserted regions are pairwise disjoint. Nothing outside the chain can
observe its intermediate values, so every insert may write its region of the
one destination buffer in any order. The value inserted is, where it has no
other use, produced straight into its region: the analysis finds the
`tensor.empty` its producer writes into (through `linalg.fill` and reshapes)
and `bufferize` makes that empty a view of the destination.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xdsl.dialects import tensor
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Operation, OpResult, SSAValue


@dataclass
class Redirect:
    """Make `tensor.empty` result `empty` a view of `dest_empty`'s buffer at
    `insert`'s region, through the inverse of `reshapes` (ordered from the
    inserted value back to the producer)."""

    insert: tensor.InsertSliceOp
    dest_empty: SSAValue
    reshapes: list[Operation]


@dataclass
class InsertChains:
    redirects: dict[SSAValue, Redirect] = field(default_factory=dict)
    exclusive: set[SSAValue] = field(default_factory=set)


def find_insert_chains(ops: Sequence[Operation]) -> InsertChains:
    chains = InsertChains()
    for op in ops:
        if isinstance(op, tensor.InsertSliceOp) and isinstance(op.dest.owner, tensor.EmptyOp):
            _analyse_chain(op, chains)
    return chains


def _single_user(value: SSAValue) -> Operation | None:
    uses = list(value.uses)
    return uses[0].operation if len(uses) == 1 else None


def _chain_from(first: tensor.InsertSliceOp) -> list[tensor.InsertSliceOp]:
    chain = [first]
    while True:
        user = _single_user(chain[-1].result)
        if not isinstance(user, tensor.InsertSliceOp) or user.dest is not chain[-1].result:
            return chain
        chain.append(user)


def _box(op: tensor.InsertSliceOp) -> list[tuple[int, int]] | None:
    if op.offsets or op.sizes or op.strides:
        return None
    offsets = op.static_offsets.get_values()
    sizes = op.static_sizes.get_values()
    strides = op.static_strides.get_values()
    return [
        (o, o + (n - 1) * s) for o, n, s in zip(offsets, sizes, strides, strict=True)
    ]


def _disjoint(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    return any(hi_a < lo_b or hi_b < lo_a for (lo_a, hi_a), (lo_b, hi_b) in zip(a, b, strict=True))


def _analyse_chain(first: tensor.InsertSliceOp, chains: InsertChains) -> None:
    d0 = first.dest
    if _single_user(d0) is not first:
        return
    chain = _chain_from(first)
    boxes = [_box(op) for op in chain]
    if any(b is None for b in boxes):
        return
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if not _disjoint(a, b):  # type: ignore[arg-type]
                return
    chains.exclusive.add(d0)
    chains.exclusive.update(op.result for op in chain[:-1])
    for op in chain:
        _plan_producer(op, d0, chains)


def _plan_producer(insert: tensor.InsertSliceOp, d0: SSAValue, chains: InsertChains) -> None:
    value = insert.source
    if _single_user(value) is not insert:
        return
    reshapes: list[Operation] = []
    owned: list[SSAValue] = [value]
    while isinstance(value.owner, tensor.CollapseShapeOp | tensor.ExpandShapeOp):
        reshape = value.owner
        value = reshape.src
        if _single_user(value) is not reshape:
            return
        reshapes.append(reshape)
        owned.append(value)
    # Follow the destination operands back to the empty the producer writes.
    while isinstance(value, OpResult) and isinstance(value.op, LinalgStructuredOperation):
        value = value.op.outputs[value.index]
        if _single_user(value) is None:
            return
        owned.append(value)
    if not isinstance(value.owner, tensor.EmptyOp) or value is owned[0]:
        return
    chains.redirects[value] = Redirect(insert, d0, reshapes)
    chains.exclusive.update(owned)
