"""The part of a program a gradient flows through: the ops a set of outputs
depends on (their *cone*, in an order where producers come first), and which
of their values depend on what is differentiated by (the *active* values).

An op with regions (a loop, a branch) is one node: its dependencies are its
operands and the values its regions use from outside it (its captures).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from xdsl.ir import Block, BlockArgument, Operation, OpResult, SSAValue

from tfir.lowering.differentiate.builder import is_float


def captures(op: Operation) -> list[SSAValue]:
    """Values used inside `op`'s regions and defined outside `op`, in first-use order."""
    if not op.regions:
        return []
    inside: set[SSAValue] = set()
    for region in op.regions:
        for block in region.blocks:
            inside.update(block.args)
        for inner in region.walk():
            inside.update(inner.results)
            for r in inner.regions:
                for block in r.blocks:
                    inside.update(block.args)
    seen: dict[SSAValue, None] = {}
    for region in op.regions:
        for inner in region.walk():
            for v in inner.operands:
                if v not in inside:
                    seen.setdefault(v, None)
    return list(seen)


def dependencies(op: Operation) -> list[SSAValue]:
    return [*op.operands, *(v for v in captures(op) if v not in op.operands)]


def _producer(value: SSAValue, scope: Block | None) -> Operation | None:
    """The op of the cone that defines `value`, or None for a leaf."""
    if isinstance(value, BlockArgument) or not isinstance(value, OpResult):
        return None
    owner = value.op
    if scope is not None and owner.parent_block() is not scope:
        return None
    return owner


def cone(outputs: Iterable[SSAValue], scope: Block | None = None) -> list[Operation]:
    """The ops `outputs` depend on, producers first. With a `scope`, only ops of
    that block count; values from outside it are leaves."""
    order: list[Operation] = []
    done: set[Operation] = set()
    deps: dict[Operation, list[SSAValue]] = {}
    stack: list[tuple[Operation, int]] = []
    for out in outputs:
        root = _producer(out, scope)
        if root is None or root in done:
            continue
        stack.append((root, 0))
        while stack:  # an explicit stack: graphs of thousands of ops are fine
            op, i = stack.pop()
            if op in done:
                continue
            op_deps = deps.setdefault(op, dependencies(op))
            while i < len(op_deps):
                child = _producer(op_deps[i], scope)
                i += 1
                if child is not None and child not in done:
                    stack.append((op, i))
                    stack.append((child, 0))
                    break
            else:
                done.add(op)
                order.append(op)
    return order


def active_values(order: Sequence[Operation], wrt: Iterable[SSAValue],
                  passes_gradient: Callable[[Operation], bool]) -> set[SSAValue]:
    """The float values of the cone that depend on `wrt` through ops that pass a gradient."""
    active = set(wrt)
    for op in order:
        if passes_gradient(op) and any(v in active for v in dependencies(op)):
            active.update(r for r in op.results if is_float(r))
    return active
