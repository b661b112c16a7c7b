"""`canonicalize-tf`: algebraic simplifications of `tf` ops that are exact.

Precondition: the `tf` form (docs/ir-levels.md, level 1), after `inline-calls`.
Produces the same form. Each rewrite gives bit-identical results under IEEE
arithmetic and NumPy semantics (NaN payloads aside) for every input, so
optimized code may be compared with eager execution exactly. A "constant"
below is a `tf.constant` whose elements are all bit-equal (a splat, of any
shape); when the rewritten value has a smaller shape than the op's result, it
is broadcast with `tf.broadcast_to`. New ops keep the replaced op's location.

Applied (`c` a splat constant; `x`, `y` any values):

- commutative ops (`add mul logical_and logical_or equal not_equal`) put a
  constant operand on the right;
- `x * 1`, `x / 1`, `x ** 1`, `x - 0.0`, `x + -0.0` -> `x`; for integers also
  `x + 0`, `x - 0` -> `x` and `x * 0`, `x - x` -> `0`;
- `x / c` -> `x * (1/c)` for `c` a power of two with a representable inverse
  (both round the same real number);
- `x * -1`, `x / -1` -> `-x`; `-0.0 - x` (integers: `0 - x`) -> `-x`;
  `x ** 0` -> `1` (IEEE `pow(x, 0)` is 1 even for NaN);
- `x + -y` -> `x - y`, `-x + y` -> `y - x`, `x - -y` -> `x + y`, `-x * -y` -> `x * y`;
- `--x`, `not(not(x))` -> `x`; `not(x == y)` <-> `x != y`; for integers and
  booleans also `not(x < y)` <-> `x >= y`, `not(x <= y)` <-> `x > y`;
- `maximum(x, x)`, `minimum(x, x)`, `logical_and(x, x)`, `logical_or(x, x)` -> `x`;
  `logical_and(x, true)`, `logical_or(x, false)` -> `x`, `logical_and(x, false)`
  -> `false`, `logical_or(x, true)` -> `true`;
- `abs(abs(x))`, `abs(-x)` -> `abs(x)`; `relu(relu(x))`, `floor(floor(x))`,
  `ceil(ceil(x))` -> the inner op; `floor`/`ceil` of integers -> `x`;
- `transpose(transpose(x))` -> one transpose with the composed permutation;
  the identity transpose -> `x`; `reshape(reshape(x))` -> `reshape(x)`;
  `broadcast_to(broadcast_to(x))` -> `broadcast_to(x)`; a reshape, broadcast,
  cast or slice to the operand's own type (slice: start 0, stride 1), and a
  one-operand concat -> `x`;
- `select(c, a, b)` with a constant condition -> the chosen branch;
  `select(c, a, a)` -> `a`; `select(not(c), a, b)` -> `select(c, b, a)`;
  `select(c, true, false)` -> `c`;
- (v2) a `tf.check_index` of a `for` loop's variable whose every value is
  inside the checked range -> the index (it cannot fail);
- an operand of an elementwise op or select that is a `tf.broadcast_to`
  whose input broadcasts with the other operands to the same result shape
  is replaced by that input (the op broadcasts anyway).

Not applied because inexact: `x + 0.0` for floats (`-0.0 + 0.0` is `+0.0`);
`x - -0.0` (likewise); `0.0 - x` -> `-x` (`0.0 - 0.0` is `+0.0`, `-0.0` negated
is `-0.0`); `x * 0.0` -> `0.0` (NaN, infinities, signed zeros); `x - x` -> 0
and `x == x` -> true for floats (NaN, infinities); `-(x - y)` -> `y - x`
(`x == y` gives `-0.0` vs `+0.0`); `x ** 2` -> `x * x` and `x / c` ->
`x * (1/c)` for `c` not a power of two (different roundings); `not(x < y)` ->
`x >= y` for floats (NaN); `cast(cast(x))` (narrowing, rounding);
reassociation of `+` and `*`; swapping the operands of `maximum`/`minimum`
(NumPy returns the second operand on a tie, so `maximum(0.0, -0.0)` is `-0.0`
and `maximum(-0.0, 0.0)` is `0.0`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import (
    Float16Type,
    Float32Type,
    Float64Type,
    IntegerType,
    ModuleOp,
    TensorType,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from tfir.dialects import tf
from tfir.dialects.dtypes import numpy_dtype_of
from tfir.lowering.utils.constants import dense_attr, splat_scalar
from tfir.lowering.utils.index_ranges import index_range

# Not maximum/minimum: NumPy's `maximum(0.0, -0.0)` is -0.0 but `maximum(-0.0, 0.0)` is 0.0.
COMMUTATIVE = (tf.AddOp, tf.MulOp, tf.LogicalAndOp, tf.LogicalOrOp, tf.EqualOp, tf.NotEqualOp)
IDEMPOTENT = (tf.MaximumOp, tf.MinimumOp, tf.LogicalAndOp, tf.LogicalOrOp)


# --- helpers -------------------------------------------------------------------------

def _is_float(value: SSAValue) -> bool:
    assert isinstance(value.type, TensorType)
    return isinstance(value.type.get_element_type(), Float16Type | Float32Type | Float64Type)


def _is_bool(value: SSAValue) -> bool:
    assert isinstance(value.type, TensorType)
    return value.type.get_element_type() == IntegerType(1)


def _is_const(value: SSAValue, target: float | bool) -> bool:
    """Whether `value` is a splat constant equal to `target`, zeros compared with their sign."""
    got = splat_scalar(value)
    if got is None or got != target:
        return False
    return not isinstance(got, float) or math.copysign(1.0, got) == math.copysign(1.0, target)


def _is_constant_op(value: SSAValue) -> bool:
    return isinstance(value.owner, tf.ConstantOp)


def _defined_by(value: SSAValue, kind: type[Operation] | tuple[type[Operation], ...]) -> Operation | None:
    return value.owner if isinstance(value.owner, kind) else None


def _shape(value: SSAValue | Attribute) -> tuple[int, ...]:
    typ = value.type if isinstance(value, SSAValue) else value
    assert isinstance(typ, TensorType)
    return tuple(typ.get_shape())


def _replace(rewriter: PatternRewriter, op: Operation, value: SSAValue,
             new_ops: Sequence[Operation] = ()) -> None:
    """Replace `op`'s one result by `value` (computed by `new_ops`, inserted before
    `op`), broadcast to the result type when its shape is smaller."""
    ops = list(new_ops)
    result_type = op.results[0].type
    if value.type != result_type:
        ops.append(tf.BroadcastToOp(value, result_type))
        value = ops[-1].results[0]
    for new in ops:
        new.location = op.location
    rewriter.replace(op, ops, [value])


def _replace_by_scalar(rewriter: PatternRewriter, op: Operation, scalar: float | bool) -> None:
    """Replace `op` by a splat of `scalar`: a rank-0 constant, broadcast to the result."""
    result_type = op.results[0].type
    assert isinstance(result_type, TensorType)
    const = tf.ConstantOp(dense_attr(scalar, TensorType(result_type.get_element_type(), [])))
    _replace(rewriter, op, const.result, [const])


# --- patterns --------------------------------------------------------------------------

class CommuteConstantRight(RewritePattern):
    """`c op x` -> `x op c` for commutative ops, so other patterns look at `rhs` only."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if (isinstance(op, COMMUTATIVE) and _is_constant_op(op.lhs)
                and not _is_constant_op(op.rhs)):
            _replace(rewriter, op, (new := type(op)(op.rhs, op.lhs, op.result.type)).result, [new])


class AddSimplification(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tf.AddOp, rewriter: PatternRewriter, /) -> None:
        for x, c in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            if _is_const(c, -0.0) or (not _is_float(x) and _is_const(c, 0)):
                return _replace(rewriter, op, x)
        for x, n in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            if neg := _defined_by(n, tf.NegOp):
                new = tf.SubOp(x, neg.input, op.result.type)
                return _replace(rewriter, op, new.result, [new])


class SubSimplification(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tf.SubOp, rewriter: PatternRewriter, /) -> None:
        x, y = op.lhs, op.rhs
        if _is_const(y, 0.0) or (not _is_float(x) and _is_const(y, 0)):
            return _replace(rewriter, op, x)
        if _is_const(x, -0.0) or (not _is_float(x) and _is_const(x, 0)):
            new = tf.NegOp(y)
            return _replace(rewriter, op, new.result, [new])
        if neg := _defined_by(y, tf.NegOp):
            new = tf.AddOp(x, neg.input, op.result.type)
            return _replace(rewriter, op, new.result, [new])
        if x is y and not _is_float(x):
            return _replace_by_scalar(rewriter, op, 0)


class MulSimplification(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tf.MulOp, rewriter: PatternRewriter, /) -> None:
        for x, c in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            if _is_const(c, 1):
                return _replace(rewriter, op, x)
            if _is_const(c, -1):
                new = tf.NegOp(x)
                return _replace(rewriter, op, new.result, [new])
            if not _is_float(x) and _is_const(c, 0):
                return _replace_by_scalar(rewriter, op, 0)
        if (a := _defined_by(op.lhs, tf.NegOp)) and (b := _defined_by(op.rhs, tf.NegOp)):
            new = tf.MulOp(a.input, b.input, op.result.type)
            return _replace(rewriter, op, new.result, [new])


class DivSimplification(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tf.DivOp, rewriter: PatternRewriter, /) -> None:
        if _is_const(op.rhs, 1):
            return _replace(rewriter, op, op.lhs)
        if _is_const(op.rhs, -1):
            new = tf.NegOp(op.lhs)
            return _replace(rewriter, op, new.result, [new])
        if (inverse := _exact_inverse(op.rhs)) is not None:
            assert isinstance(op.rhs.type, TensorType)
            const = tf.ConstantOp(dense_attr(inverse, op.rhs.type))
            new = tf.MulOp(op.lhs, const.result, op.result.type)
            _replace(rewriter, op, new.result, [const, new])


def _exact_inverse(value: SSAValue) -> float | None:
    """`1 / c` for a splat constant `c` that is a power of two whose inverse is
    representable: then `x / c` and `x * (1 / c)` round the same real number."""
    c = splat_scalar(value)
    if not isinstance(c, float) or c in (1.0, -1.0):
        return None
    dtype = numpy_dtype_of(value.type)
    c_typed = dtype.type(c)
    with np.errstate(all="ignore"):
        inverse = dtype.type(1) / c_typed
    if abs(np.frexp(c_typed)[0]) != 0.5 or not np.isfinite(inverse) or inverse * c_typed != 1:
        return None
    return float(inverse)


class PowSimplification(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tf.PowOp, rewriter: PatternRewriter, /) -> None:
        if _is_const(op.rhs, 1):
            return _replace(rewriter, op, op.lhs)
        if _is_const(op.rhs, 0) or _is_const(op.rhs, -0.0):
            return _replace_by_scalar(rewriter, op, 1)


class IdempotentBinary(RewritePattern):
    """`max(x, x)`, `min(x, x)`, `and(x, x)`, `or(x, x)` -> `x`."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if isinstance(op, IDEMPOTENT) and op.lhs is op.rhs:
            _replace(rewriter, op, op.lhs)


class LogicalConstant(RewritePattern):
    """`and(x, true)`, `or(x, false)` -> `x`; `and(x, false)` -> false; `or(x, true)` -> true."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if not isinstance(op, tf.LogicalAndOp | tf.LogicalOrOp):
            return
        neutral = isinstance(op, tf.LogicalAndOp)
        for x, c in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            if _is_const(c, neutral):
                return _replace(rewriter, op, x)
            if _is_const(c, not neutral):
                return _replace_by_scalar(rewriter, op, not neutral)


class NegSimplification(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tf.NegOp, rewriter: PatternRewriter, /) -> None:
        if inner := _defined_by(op.input, tf.NegOp):
            _replace(rewriter, op, inner.input)


# not(a OP b) == a NEGATED_OP b; for floats only (in)equality, as NaN is unordered.
_NEGATED = {tf.EqualOp: tf.NotEqualOp, tf.NotEqualOp: tf.EqualOp}
_NEGATED_ORDERED = {tf.LessOp: tf.GreaterEqualOp, tf.GreaterEqualOp: tf.LessOp,
                    tf.LessEqualOp: tf.GreaterOp, tf.GreaterOp: tf.LessEqualOp}


class LogicalNotSimplification(RewritePattern):
    """`not(not(x))` -> `x`; `not(a == b)` -> `a != b` and back (exact, NaN
    included); for integers also `not(a < b)` -> `a >= b` and the like."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tf.LogicalNotOp, rewriter: PatternRewriter, /) -> None:
        inner = op.input.owner
        if isinstance(inner, tf.LogicalNotOp):
            return _replace(rewriter, op, inner.input)
        if not isinstance(inner, tf.CompareOp):
            return
        flipped = _NEGATED.get(type(inner))
        if flipped is None and not _is_float(inner.lhs):
            flipped = _NEGATED_ORDERED.get(type(inner))
        if flipped is not None:
            new = flipped(inner.lhs, inner.rhs, op.result.type)
            _replace(rewriter, op, new.result, [new])


class UnarySimplification(RewritePattern):
    """Idempotent unary ops (`abs relu floor ceil`), `abs(-x)`, and `floor`/`ceil` of integers."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if not isinstance(op, tf.AbsOp | tf.ReluOp | tf.FloorOp | tf.CeilOp):
            return
        if isinstance(op, tf.FloorOp | tf.CeilOp) and not _is_float(op.input):
            return _replace(rewriter, op, op.input)
        inner = op.input.owner
        if type(inner) is type(op):
            return _replace(rewriter, op, op.input)
        if isinstance(op, tf.AbsOp) and isinstance(inner, tf.NegOp):
            new = tf.AbsOp(inner.input)
            _replace(rewriter, op, new.result, [new])


class TransposeSimplification(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tf.TransposeOp, rewriter: PatternRewriter, /) -> None:
        perm = op.perm_tuple
        x = op.input
        if inner := _defined_by(x, tf.TransposeOp):
            # result axis j is inner's axis perm[j], which is x's axis inner_perm[perm[j]]
            inner_perm = inner.perm_tuple
            perm = tuple(inner_perm[p] for p in perm)
            x = inner.input
        if perm == tuple(range(len(perm))):
            return _replace(rewriter, op, x)
        if x is not op.input:
            new = tf.TransposeOp(x, perm, op.result.type)
            _replace(rewriter, op, new.result, [new])


class ShapeOpSimplification(RewritePattern):
    """Reshape, broadcast, cast and full slices to the operand's own type, one-input
    concats -> the operand; `reshape(reshape(x))`, `broadcast_to(broadcast_to(x))`
    -> one op on `x`."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if isinstance(op, tf.ConcatOp):
            if len(op.inputs) == 1 and op.inputs[0].type == op.result.type:
                _replace(rewriter, op, op.inputs[0])
            return
        if not isinstance(op, tf.ReshapeOp | tf.BroadcastToOp | tf.CastOp | tf.SliceOp):
            return
        if op.input.type == op.result.type and (
                not isinstance(op, tf.SliceOp)
                or (set(op.start.get_values()) <= {0} and set(op.stride.get_values()) <= {1})):
            return _replace(rewriter, op, op.input)
        if isinstance(op, tf.ReshapeOp | tf.BroadcastToOp) and (
                inner := _defined_by(op.input, type(op))):
            new = type(op)(inner.input, op.result.type)
            _replace(rewriter, op, new.result, [new])


class SelectSimplification(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tf.SelectOp, rewriter: PatternRewriter, /) -> None:
        cond = splat_scalar(op.cond)
        if cond is not None:
            return _replace(rewriter, op, op.lhs if cond else op.rhs)
        if op.lhs is op.rhs:
            return _replace(rewriter, op, op.lhs)
        if inner := _defined_by(op.cond, tf.LogicalNotOp):
            new = tf.SelectOp(inner.input, op.rhs, op.lhs, op.result.type)
            return _replace(rewriter, op, new.result, [new])
        if not _is_bool(op.result):  # `select(c, 1, 0)` is an integer: 1 == True in Python
            return
        if _is_const(op.lhs, True) and _is_const(op.rhs, False):
            return _replace(rewriter, op, op.cond)
        if _is_const(op.lhs, False) and _is_const(op.rhs, True):
            new = tf.LogicalNotOp(op.cond)
            _replace(rewriter, op, new.result, [new])


class DropOperandBroadcast(RewritePattern):
    """An elementwise op or select broadcasts its operands itself: a `broadcast_to`
    operand is not needed when its input gives the same result shape."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if not isinstance(op, (*tf.ELEMENTWISE_BINARY, tf.SelectOp)):
            return
        operands = list(op.operands)
        for i, value in enumerate(operands):
            if not (bcast := _defined_by(value, tf.BroadcastToOp)):
                continue
            trial = [*operands[:i], bcast.input, *operands[i + 1:]]
            if tf.broadcast_shapes(*(_shape(v) for v in trial)) == _shape(op.results[0]):
                operands = trial
        if operands != list(op.operands):
            new = type(op)(*operands, op.results[0].type)
            _replace(rewriter, op, new.results[0], [new])


class CheckIndexSimplification(RewritePattern):
    """An index check that cannot fail: the index is a constant inside the
    checked range, or a `for` loop's variable (`tf.from_index` of its induction
    variable, or affine arithmetic of it) whose every value is inside it."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tf.CheckIndexOp, rewriter: PatternRewriter, /) -> None:
        source = op.input.owner
        low = -op.size_value if op.allows_negative else 0
        if isinstance(source, tf.ConstantOp):  # a literal (`x ** 2` of integers): checked here
            values = [int(v) for v in source.value.get_values()]
            found = (min(values), max(values)) if values else None
        elif isinstance(source, tf.FromIndexOp):
            found = index_range(source.input)
        else:
            return
        if found is not None and low <= found[0] and found[1] < op.size_value:
            rewriter.replace(op, [], [op.input])


PATTERNS: tuple[RewritePattern, ...] = (
    CommuteConstantRight(), AddSimplification(), SubSimplification(), MulSimplification(),
    DivSimplification(), PowSimplification(), IdempotentBinary(), LogicalConstant(),
    NegSimplification(), LogicalNotSimplification(), UnarySimplification(),
    TransposeSimplification(), ShapeOpSimplification(), SelectSimplification(),
    DropOperandBroadcast(), CheckIndexSimplification(),
)


@dataclass(frozen=True)
class CanonicalizeTfPass(ModulePass):
    name = "canonicalize-tf"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(GreedyRewritePatternApplier(list(PATTERNS))).rewrite_module(op)
