"""Gradient rules of the elementwise ops of language version 2, as JAX
differentiates their namesakes: `log1p`, `expm1`, `tan`, `atan`, `square`,
`reciprocal`, `softplus` (`sigmoid(x)`, no overflow), `atan2`, `clip` (as
`jnp.clip`, `minimum(maximum(x, lo), hi)`: half to each side on a tie),
`leaky_relu` (1 at 0, as `x >= 0` picks `x`), `elu` (`alpha` at 0).
`isnan` and `isinf` give bools: no gradient."""

from __future__ import annotations

from xdsl.ir import Operation, SSAValue

from tfir.dialects import tf
from tfir.lowering.differentiate.builder import GradBuilder, shape
from tfir.lowering.differentiate.rules import no_gradient, rule
from tfir.lowering.differentiate.rules.elementwise import UNARY, tie

no_gradient(tf.IsnanOp.name, tf.IsinfOp.name, tf.AnyOp.name, tf.AllOp.name,
            tf.RandomUniformOp.name, tf.RandomNormalOp.name)

UNARY_V2 = {
    "tf.log1p": lambda b, g, x, y: b.div(g, b.add(x, 1.0)),
    "tf.expm1": lambda b, g, x, y: b.mul(g, b.add(y, 1.0)),
    "tf.tan": lambda b, g, x, y: b.mul(g, b.add(b.mul(y, y), 1.0)),
    "tf.atan": lambda b, g, x, y: b.div(g, b.add(b.mul(x, x), 1.0)),
    "tf.square": lambda b, g, x, y: b.mul(g, b.mul(x, 2.0)),
    "tf.reciprocal": lambda b, g, x, y: b.neg(b.mul(g, b.mul(y, y))),
    "tf.softplus": lambda b, g, x, y: b.mul(g, b.sigmoid(x)),
}
UNARY.update(UNARY_V2)


@rule(*UNARY_V2)
def _unary(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    return [UNARY[op.name](b, grads[0], op.operands[0], op.results[0])]


@rule("tf.leaky_relu", "tf.elu")
def _activation(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    x, g, alpha = op.operands[0], grads[0], op.alpha_value  # type: ignore[attr-defined]
    if op.name == tf.LeakyReluOp.name:
        return [b.where(b.greater_equal(x, 0.0), g, b.mul(g, alpha))]
    # jax.nn.elu: alpha * expm1(x) below 0, whose rule is (g * alpha) * (expm1(x) + 1)
    return [b.where(b.greater(x, 0.0), g, b.mul(b.mul(g, alpha), b.add(b.expm1(x), 1.0)))]


@rule("tf.atan2")
def _atan2(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    y, x = op.operands
    g = b.div(grads[0], b.add(b.mul(x, x), b.mul(y, y)))
    parts = [b.mul(g, x) if wants[0] else None, b.neg(b.mul(g, y)) if wants[1] else None]
    out_shape = shape(op.results[0])
    return [None if p is None else b.unbroadcast(b.broadcast_to(p, out_shape), shape(v))
            for p, v in zip(parts, op.operands, strict=True)]


@rule("tf.clip")
def _clip(b: GradBuilder, op: Operation, grads: list[SSAValue], wants: list[bool]) -> list[SSAValue | None]:
    x, lo, hi = op.operands
    out, g = op.results[0], grads[0]
    low = b.maximum(x, lo)
    g_low = b.mul(g, tie(b, low, hi, out))
    parts = [b.mul(g_low, tie(b, x, lo, low)) if wants[0] else None,
             b.mul(g_low, tie(b, lo, x, low)) if wants[1] else None,
             b.mul(g, tie(b, hi, low, out)) if wants[2] else None]
    return [None if p is None else b.unbroadcast(b.broadcast_to(p, shape(out)), shape(v))
            for p, v in zip(parts, op.operands, strict=True)]
