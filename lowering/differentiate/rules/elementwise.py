"""Gradient rules of the elementwise ops: unary, binary (broadcasting undone by
`unbroadcast`), `select` and `cast`. Values at non-smooth points are JAX's
(spec, "Gradients"): `relu` 0 at 0, `abs` 1 at 0, `maximum`/`minimum` half
to each side on a tie; `floor`, `ceil`, `sign` and comparisons pass none.

Rules that can use the forward result do (`exp`, `sqrt`, `rsqrt`, `tanh`,
`sigmoid`): no recomputation, and no `inf - inf` where the input is large
(`sigmoid`'s `y * (1 - y)` stays in [0, 1/4])."""

from __future__ import annotations

import math
from collections.abc import Callable

from xdsl.ir import Operation, SSAValue

from tfir.dialects import tf
from tfir.lowering.differentiate.builder import GradBuilder, dtype, shape
from tfir.lowering.differentiate.rules import no_gradient, rule

no_gradient("tf.floor", "tf.ceil", "tf.sign", "tf.logical_not", "tf.logical_and", "tf.logical_or",
            "tf.equal", "tf.not_equal", "tf.less", "tf.less_equal", "tf.greater", "tf.greater_equal",
            "tf.floordiv", "tf.constant", "tf.iota", "tf.argmax", "tf.argmin")


# -- unary ------------------------------------------------------------------------

Unary = Callable[[GradBuilder, SSAValue, SSAValue, SSAValue], SSAValue]  # (b, g, x, y) -> dx
UNARY: dict[str, Unary] = {
    "tf.neg": lambda b, g, x, y: b.neg(g),
    "tf.abs": lambda b, g, x, y: b.where(b.greater_equal(x, 0.0), g, b.neg(g)),
    "tf.exp": lambda b, g, x, y: b.mul(g, y),
    "tf.log": lambda b, g, x, y: b.div(g, x),
    "tf.sqrt": lambda b, g, x, y: b.div(b.mul(g, 0.5), y),
    "tf.rsqrt": lambda b, g, x, y: b.mul(g, b.mul(b.div(y, x), -0.5)),
    # JAX's form, (g + g*y) * (1 - y): exact near |y| = 1, and NaN where g is infinite and y is 0
    "tf.tanh": lambda b, g, x, y: b.mul(b.add(g, b.mul(g, y)), b.sub(1.0, y)),
    "tf.sin": lambda b, g, x, y: b.mul(g, b.cos(x)),
    "tf.cos": lambda b, g, x, y: b.neg(b.mul(g, b.sin(x))),
    "tf.erf": lambda b, g, x, y: b.mul(g, b.mul(b.exp(b.neg(b.mul(x, x))), 2.0 / math.sqrt(math.pi))),
    "tf.sigmoid": lambda b, g, x, y: b.mul(g, b.mul(y, b.sub(1.0, y))),
    "tf.relu": lambda b, g, x, y: b.where(b.greater(x, 0.0), g, 0.0),
}


@rule(*UNARY)
def _unary(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    return [UNARY[op.name](b, grads[0], op.operands[0], op.results[0])]


@rule(tf.CastOp.name)
def _cast(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    # Only float -> float casts are on a gradient path (integer results are not active).
    return [b.cast(grads[0], dtype(op.operands[0]))]


# -- binary -----------------------------------------------------------------------

Binary = Callable[[GradBuilder, SSAValue, SSAValue, SSAValue, SSAValue], SSAValue]  # (b, g, x, y, out)


def _pow_base(b: GradBuilder, g: SSAValue, x: SSAValue, y: SSAValue, out: SSAValue) -> SSAValue:
    # JAX's rule for a float exponent (lax.pow): y * x ** (y - 1), with no case for y == 0,
    # so 0 ** 0 gives 0 * inf = NaN in x, as jax.grad of `x ** y` does.
    return b.mul(g, b.mul(y, b.pow(x, b.sub(y, 1.0))))


def _pow_exponent(b: GradBuilder, g: SSAValue, x: SSAValue, y: SSAValue, out: SSAValue) -> SSAValue:
    # JAX: log(x) * x ** y with log(1) at x == 0, so 0 ** y passes 0.
    safe = b.where(b.equal(x, 0.0), 1.0, x)
    return b.mul(g, b.mul(b.log(safe), out))


def _mod_quotient(b: GradBuilder, x: SSAValue, y: SSAValue) -> SSAValue:
    return b.where(b.isinf(x), b.div(x, y), b.floordiv(x, y))


def tie(b: GradBuilder, x: SSAValue, other: SSAValue, out: SSAValue) -> SSAValue:
    """JAX's balanced choice for maximum/minimum: 1 where `x` is the result, 1/2 on a tie."""
    share = b.where(b.equal(other, out), b.scalar(0.5, x), b.scalar(1.0, x))
    return b.where(b.equal(x, out), share, 0.0)


BINARY: dict[str, tuple[Binary, Binary]] = {
    "tf.add": (lambda b, g, x, y, o: g, lambda b, g, x, y, o: g),
    "tf.sub": (lambda b, g, x, y, o: g, lambda b, g, x, y, o: b.neg(g)),
    "tf.mul": (lambda b, g, x, y, o: b.mul(g, y), lambda b, g, x, y, o: b.mul(g, x)),
    "tf.div": (lambda b, g, x, y, o: b.div(g, y),
               lambda b, g, x, y, o: b.neg(b.div(b.mul(g, x), b.mul(y, y)))),
    "tf.pow": (_pow_base, _pow_exponent),
    "tf.maximum": (lambda b, g, x, y, o: b.mul(g, tie(b, x, y, o)),
                   lambda b, g, x, y, o: b.mul(g, tie(b, y, x, o))),
    "tf.minimum": (lambda b, g, x, y, o: b.mul(g, tie(b, x, y, o)),
                   lambda b, g, x, y, o: b.mul(g, tie(b, y, x, o))),
    # mod(x, y) = x - y * floordiv(x, y), the quotient as `floordiv` computes it (-1 where
    # x / y rounds to -0.0 with the signs apart: an infinite y), and x / y for an infinite x
    # (where floordiv is NaN): JAX's rule at both
    "tf.mod": (lambda b, g, x, y, o: g, lambda b, g, x, y, o: b.neg(b.mul(g, _mod_quotient(b, x, y)))),
}


@rule(*BINARY)
def _binary(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    x, y = op.operands
    out = []
    for i, (operand, want) in enumerate(zip(op.operands, wants, strict=True)):
        if not want:
            out.append(None)
            continue
        full = BINARY[op.name][i](b, grads[0], x, y, op.results[0])
        out.append(b.unbroadcast(b.broadcast_to(full, shape(op.results[0])), shape(operand)))
    return out


@rule(tf.SelectOp.name)
def _select(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    cond, x, y = op.operands
    g = grads[0]
    out: list[SSAValue | None] = [None]
    for operand, want, picked in ((x, wants[1], True), (y, wants[2], False)):
        if not want:
            out.append(None)
            continue
        routed = b.where(cond, g, 0.0) if picked else b.where(cond, 0.0, g)
        out.append(b.unbroadcast(b.broadcast_to(routed, shape(g)), shape(operand)))
    return out
