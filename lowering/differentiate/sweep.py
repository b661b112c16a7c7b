"""Reverse-mode accumulation over the cone of a gradient.

`backprop` visits the ops that the seeded outputs depend on in reverse order
(consumers before producers), once each. An op none of whose results has an
adjoint yet, or none of whose operands is active, is skipped; otherwise its
rule (rules/) turns the adjoints of its results into contributions to its
active operands, which are summed per value. The adjoint of a value is thus
complete before the op defining it is visited: each gradient is the total
derivative, through every use.

`expand` replaces one `tf.gradients` op: the seed is ones of `y`'s type (the
gradient of `sum(y)`), the backward ops go right before it, and a value `y`
does not depend on gets zeros.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from xdsl.dialects import func, scf
from xdsl.ir import Block, Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.dialects import tf
from tfir.dialects.plugins import CUSTOM_OPS, CustomOp
from tfir.lowering.differentiate import prepare
from tfir.lowering.differentiate.builder import GradBuilder, is_float, is_zero_fill, retyped, shape
from tfir.lowering.differentiate.errors import error_at
from tfir.lowering.differentiate.graph import active_values, cone, dependencies
from tfir.lowering.differentiate.rules import NO_GRADIENT, RULES, Rule

# Rules of ops with regions (loops, branches): `rule(b, op, grads, active)` gets the
# adjoint of each result (None: none reached it) and the active values, and returns
# (value, gradient) pairs for its operands and the values its regions capture.
RegionRule = Callable[..., list[tuple[SSAValue, SSAValue]]]
REGION_RULES: dict[str, RegionRule] = {}


def passes_gradient(op: Operation) -> bool:
    return op.name not in NO_GRADIENT


def _is_active(op: Operation, active: set[SSAValue]) -> bool:
    return passes_gradient(op) and any(v in active for v in dependencies(op))


def prepared_cone(outputs: Callable[[], Sequence[SSAValue]], wrt: Callable[[], Sequence[SSAValue]],
                  scope: Block | None) -> tuple[list[Operation], set[SSAValue]]:
    """The cone of `outputs()` and its active values, once every active call is
    inlined, every custom op with no rule decomposed and every nested
    `tf.gradients` expanded. Both are read anew after each rewrite, since one
    replaces values (a call's results by its body's)."""
    while True:
        order = cone(outputs(), scope)
        active = active_values(order, wrt(), passes_gradient)
        if not any(_is_active(op, active) and _prepare(op) for op in order):
            return order, active


def _prepare(op: Operation) -> bool:
    if isinstance(op, func.CallOp):
        return prepare.inline_call(op)
    custom = CUSTOM_OPS.get(op.name)
    if custom is not None and custom.gradient is None and custom.decomposition is not None:
        prepare.decompose(custom, op)
        return True
    if op.name not in RULES and op.name in prepare.DECOMPOSITIONS:
        prepare.decompose_primitive(op)
        return True
    nested = [inner for inner in op.walk() if isinstance(inner, tf.GradientsOp)]
    for inner in nested:
        expand(inner)
    return bool(nested)


def backprop(b: GradBuilder, seeds: Sequence[tuple[SSAValue, SSAValue | None]], wrt: Sequence[SSAValue],
             scope: Block | None = None) -> list[SSAValue | None]:
    """The adjoints of `wrt` given those of the seeded values (None: no
    gradient reaches it; a value seeded twice gets the sum). The cone must be
    prepared (`prepared_cone`) before the seeds are made."""
    order, active = prepared_cone(lambda: [v for v, _ in seeds], lambda: wrt, scope)
    adjoints = Adjoints(b)
    for value, grad in seeds:
        if grad is not None:
            adjoints.add(value, grad)
    for op in reversed(order):
        if not _is_active(op, active) or not any(r in adjoints.values for r in op.results):
            continue
        b.location = op.location
        for value, grad in _contributions(b, op, adjoints, active):
            adjoints.add(value, grad)
    return [adjoints.values.get(x) for x in wrt]


def _contributions(b: GradBuilder, op: Operation, adjoints: Adjoints,
                   active: set[SSAValue]) -> list[tuple[SSAValue, SSAValue]]:
    if isinstance(op, scf.WhileOp):
        raise error_at(op, "gradients cannot flow through a while loop (its trip count is not known "
                           "when the program is compiled); write it as a for loop")
    if op.name in REGION_RULES:
        return REGION_RULES[op.name](b, op, [adjoints.values.get(r) for r in op.results], active)
    grads = [adjoints.values.get(r) or b.zeros_like(r) for r in op.results]
    rule = rule_of(op)
    wants = [v in active and is_float(v) for v in op.operands]
    out = rule(b, op, grads, wants)
    pairs = []
    for value, grad, want in zip(op.operands, out, wants, strict=True):
        if want and grad is not None:
            pairs.append((value, grad))
    return pairs


def rule_of(op: Operation) -> Rule:
    found = RULES.get(op.name)
    if found is not None:
        return found
    custom = CUSTOM_OPS.get(op.name)
    if custom is not None and custom.gradient is not None:
        return _plugin_rule(custom)
    if custom is not None:
        raise error_at(op, f"cannot differentiate custom op '{op.name}': it has no gradient rule and no "
                           "decomposition into tf ops (register one with @op.gradient or op.decompose)")
    raise error_at(op, f"cannot differentiate '{op.name}': no gradient rule")


def _plugin_rule(custom: CustomOp) -> Rule:
    def apply(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[Any]:
        assert custom.gradient is not None
        g: Any = grads[0] if len(grads) == 1 else tuple(grads)
        out = custom.gradient(b, g, *op.operands, **custom.attr_values(op))
        outs = list(out) if isinstance(out, tuple | list) else [out]
        if len(outs) != len(op.operands):
            raise error_at(op, f"the gradient rule of '{custom.qualname}' gives {len(outs)} gradients "
                               f"for {len(op.operands)} operands")
        for i, (v, grad) in enumerate(zip(op.operands, outs, strict=True)):
            if grad is not None and (not isinstance(grad, SSAValue) or grad.type != v.type):
                got = grad.type if isinstance(grad, SSAValue) else type(grad).__name__
                raise error_at(op, f"the gradient rule of '{custom.qualname}' gives {got} for operand "
                                   f"{i} ({custom.operands[i]}), of type {v.type}")
        return outs
    return apply


class Adjoints:
    """The adjoint of each value reached so far; contributions are summed.

    Contributions that are pieces placed among zeros along one axis (the
    gradients of slices of one value, as the gates of an LSTM) and do not
    overlap are joined into one `concat` of the pieces instead of a sum of
    zero-padded copies."""

    def __init__(self, b: GradBuilder):
        self.b = b
        self.values: dict[SSAValue, SSAValue] = {}

    def add(self, value: SSAValue, grad: SSAValue) -> None:
        if grad.type != value.type:
            raise AssertionError(f"gradient of type {grad.type} for a value of type {value.type}")
        old = self.values.get(value)
        if old is None:
            self.values[value] = grad
            return
        self.values[value] = _joined(self.b, old, grad) or self.b.add(old, grad)


Pieces = tuple[int, list[tuple[int, SSAValue]]]  # axis, (start, piece) along it


def _pieces(value: SSAValue) -> Pieces | None:
    """`value` as pieces along an axis when it is a `concat` with zero fills between them."""
    op = value.owner
    if not isinstance(op, tf.ConcatOp):
        return None
    axis = op.axis.value.data
    out, offset, zeros = [], 0, False
    for part in op.inputs:
        if is_zero_fill(part):
            zeros = True
        else:
            out.append((offset, part))
        offset += shape(part)[axis]
    return (axis, out) if zeros else None


def _joined(b: GradBuilder, x: SSAValue, y: SSAValue) -> SSAValue | None:
    px, py = _pieces(x), _pieces(y)
    if px is None or py is None or px[0] != py[0]:
        return None
    axis = px[0]
    pieces = sorted(px[1] + py[1], key=lambda p: p[0])
    offset, parts = 0, []
    for start, piece in pieces:
        if start < offset:
            return None  # they overlap: summed
        if start > offset:
            parts.append(b.fill(0.0, retyped(piece, [start - offset if i == axis else d
                                                   for i, d in enumerate(shape(piece))])))
        parts.append(piece)
        offset = start + shape(piece)[axis]
    total = shape(x)[axis]
    if offset < total:
        last = pieces[-1][1]
        parts.append(b.fill(0.0, retyped(last, [total - offset if i == axis else d
                                               for i, d in enumerate(shape(last))])))
    return b.concat(parts, axis)


def expand(op: tf.GradientsOp) -> None:
    """Replaces `op` by the backward program of its target and values."""
    prepared_cone(lambda: [op.y], lambda: list(op.xs), None)
    b = GradBuilder(InsertPoint.before(op), op.location)
    xs = list(op.xs)
    grads = backprop(b, [(op.y, b.ones_like(op.y))], xs)
    b.location = op.location
    results = [g if g is not None else b.zeros_like(x) for g, x in zip(grads, xs, strict=True)]
    for old, new in zip(op.grads, results, strict=True):
        old.replace_all_uses_with(new)
    Rewriter.erase_op(op)
