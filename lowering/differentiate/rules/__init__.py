"""Gradient rules, one module per family of ops; `RULES` maps an op name to its rule.

A rule is `rule(b, op, grads, wants) -> [gradient or None per operand]`:
`grads` holds the adjoint of each result of `op` (zeros where the sweep has
none), `wants[i]` says whether operand `i` needs its gradient (it is a float
value that depends on what is differentiated by), so a rule computes only
what is used. A rule emits `tf` ops through the `GradBuilder` `b` and returns
gradients of exactly the operands' types. Ops listed in `NO_GRADIENT` pass no
gradient (integer results, comparisons, rounding, constants).

Every op a rule emits has a rule itself, so gradients nest (second order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.ir import Operation, SSAValue

from tfir.lowering.differentiate.builder import GradBuilder

Rule = Callable[[GradBuilder, Operation, list[SSAValue], list[bool]], Sequence[SSAValue | None]]

RULES: dict[str, Rule] = {}

# Ops whose results carry no gradient to their operands (TensorFlow's and JAX's
# zero gradients): integer/bool producers, piecewise-constant functions, constants.
NO_GRADIENT: set[str] = set()


def rule(*names: str) -> Callable[[Rule], Rule]:
    """Registers the decorated function as the gradient rule of ops `names`."""
    def register(fn: Rule) -> Rule:
        for name in names:
            RULES[name] = fn
        return fn
    return register


def no_gradient(*names: str) -> None:
    NO_GRADIENT.update(names)
