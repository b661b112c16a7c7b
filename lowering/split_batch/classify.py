"""The analysis of `split-batch`: how each value of an entry depends on the
rows of its batch.

Every value gets a kind:

- `INV`: depends on no batched argument (weights, constants);
- `Row(axis)`: has the batch along `axis`, and each slice along it depends
  only on the same rows of the batched arguments: elementwise ops, matmuls
  with the batch as a row (or broadcast) axis, reductions over other axes,
  shape ops that keep the batch axis whole;
- `FIN`: computed once, after the chunks' partial results are combined:
  reductions over the batch axis (`sum`, `mean`, `max`, `min`, `prod`, a
  matmul that contracts the batch) and whatever is computed from them and
  from `INV` values;
- `Shifted`: `r - m` or `exp(r - m)`, `r` a row value and `m` a `FIN` value
  that is the same for every row: allowed only as the operand of a sum over
  the batch (what `logsumexp` decomposes into), split as a max and a sum of
  exponentials per chunk.

An op that would need rows of several chunks at once (a `FIN` value used in
each row, a slice or concatenation along the batch, an argmax over it, an
unknown op given rows) raises `NotSplittable` naming it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from xdsl.dialects import func
from xdsl.ir import Operation, SSAValue

from tfir.dialects import tf
from tfir.dialects.tf.base import shape_of
from tfir.lowering.utils.constants import splat_scalar


class _Inv:
    def __repr__(self) -> str:
        return "INV"


class _Fin:
    def __repr__(self) -> str:
        return "FIN"


INV = _Inv()
FIN = _Fin()


@dataclass(frozen=True)
class Row:
    axis: int


@dataclass(frozen=True)
class Shifted:
    """`row - shift` (or its `exp`), `shift` a FIN value; `at` is the subtraction."""

    axis: int
    row: SSAValue = field(compare=False)
    shift: SSAValue = field(compare=False)
    exp: bool
    at: Operation = field(compare=False)


Kind = _Inv | _Fin | Row | Shifted

REDUCTION_KINDS: dict[type, str] = {tf.SumOp: "sum", tf.MeanOp: "mean", tf.MaxOp: "max",
                                    tf.MinOp: "min", tf.ProdOp: "prod"}
ELEMENTWISE = (tf.ElementwiseBinaryOp, tf.ElementwiseUnaryOp, tf.SelectOp, tf.CastOp)


@dataclass
class Partial:
    """A reduction over the batch axis, split into one partial result per chunk.

    `kind`: sum, mean, max, min, prod (the op over the chunk's rows), matmul
    (a product contracting the batch: summed), lse (a sum of `exp(r - m)`:
    a max and a sum of exponentials per chunk)."""

    op: Operation
    kind: str
    axis: int  # the batch axis of the reduced operand
    shifted: Shifted | None = None


class NotSplittable(Exception):
    """An op mixes the rows of different chunks."""

    def __init__(self, op: Operation, message: str):
        super().__init__(message)
        self.op = op
        self.message = message


def rank(value: SSAValue) -> int:
    return len(shape_of(value))


def _op_name(op: Operation) -> str:
    return f"'{op.name}'"


class Analysis:
    """The kinds of the values of `entry`, whose arguments have the batch along
    `batch_axes` (-1: not batched), and its reductions over the batch."""

    def __init__(self, entry: func.FuncOp, batch_axes: tuple[int, ...]):
        self.entry = entry
        self.kinds: dict[SSAValue, Kind] = {}
        self.partials: dict[Operation, Partial] = {}
        self.origin: dict[SSAValue, Operation] = {}  # a FIN value -> the batch reduction it comes from
        args = entry.body.block.args
        for arg, axis in zip(args, batch_axes, strict=True):
            self.kinds[arg] = Row(axis) if axis >= 0 else INV
        batched = [shape_of(a)[axis] for a, axis in zip(args, batch_axes, strict=True) if axis >= 0]
        self.rows = batched[0] if batched else 0
        for op in entry.body.block.ops:
            if isinstance(op, func.ReturnOp):
                for value in op.operands:
                    self._no_shifted(self.kinds[value])
                continue
            self._transfer(op)

    def kind(self, value: SSAValue) -> Kind:
        return self.kinds[value]

    # -- the transfer functions ---------------------------------------------------

    def _transfer(self, op: Operation) -> None:
        if isinstance(op, ELEMENTWISE):
            kind = self._elementwise(op)
        elif isinstance(op, tf.ReductionOp) and type(op) in REDUCTION_KINDS:
            kind = self._reduction(op)
        elif isinstance(op, tf.ArgReductionOp):
            kind = self._arg_reduction(op)
        elif isinstance(op, tf.MatmulOp):
            kind = self._matmul(op)
        elif isinstance(op, tf.TransposeOp | tf.ReshapeOp | tf.BroadcastToOp | tf.SliceOp):
            kind = self._shape_op(op)
        elif isinstance(op, tf.ConcatOp):
            kind = self._concat(op)
        else:
            kind = self._unknown(op)
        for result in op.results:
            self.kinds[result] = kind
            if kind is FIN:
                self.origin[result] = op if op in self.partials else self._fin_origin(op)

    def _fin_origin(self, op: Operation) -> Operation:
        return next(self.origin[v] for v in used_values(op) if v in self.origin)

    def _no_shifted(self, kind: Kind) -> None:
        if isinstance(kind, Shifted):
            raise NotSplittable(kind.at, self._uses_fin(kind.at, kind.shift))

    def _uses_fin(self, op: Operation, value: SSAValue) -> str:
        source = self.origin[value]
        return (f"{_op_name(op)} uses the result of {_op_name(source)} over the batch axis in every row, "
                "so each chunk would need every other chunk first; only reductions over the batch "
                "may follow one (sum, mean, max, min, prod, logsumexp)")

    def _elementwise(self, op: Operation) -> Kind:
        kinds = [self.kinds[v] for v in op.operands]
        shifted = [k for k in kinds if isinstance(k, Shifted)]
        if shifted:
            if isinstance(op, tf.ExpOp) and not shifted[0].exp:
                s = shifted[0]
                return Shifted(s.axis, s.row, s.shift, True, s.at)
            self._no_shifted(shifted[0])
        out_rank = len(shape_of(op.results[0]))
        axes = {k.axis + out_rank - rank(v) for v, k in zip(op.operands, kinds, strict=True) if isinstance(k, Row)}
        if not axes:
            return FIN if FIN in kinds else INV
        if len(axes) > 1:
            raise NotSplittable(op, f"{_op_name(op)} pairs rows of the batch along different axes "
                                    f"({', '.join(map(str, sorted(axes)))}) of its result")
        axis = axes.pop()
        for value, kind in zip(op.operands, kinds, strict=True):
            if kind is FIN:
                if isinstance(op, tf.SubOp) and value is op.rhs and isinstance(kinds[0], Row) \
                        and self._broadcast_along(value, axis, out_rank):
                    return Shifted(axis, op.lhs, op.rhs, False, op)
                raise NotSplittable(op, self._uses_fin(op, value))
            if kind is INV:
                self._check_inv_operand(op, value, axis, out_rank)
        return Row(axis)

    def _broadcast_along(self, value: SSAValue, axis: int, out_rank: int) -> bool:
        """Whether `value` has no extent (size 1, or no such axis) along result axis `axis`."""
        pos = axis - (out_rank - rank(value))
        return pos < 0 or shape_of(value)[pos] == 1

    def _check_inv_operand(self, op: Operation, value: SSAValue, axis: int, out_rank: int) -> None:
        """An unbatched operand must be the same for every row: broadcast along the
        batch axis, or (a constant, a broadcast) uniform along it."""
        if self._broadcast_along(value, axis, out_rank):
            return
        pos = axis - (out_rank - rank(value))
        if not uniform(value, pos):
            raise NotSplittable(op, f"{_op_name(op)} pairs each row of the batch with a row of an unbatched "
                                    f"value of type {value.type} (axis {pos}), which the chunks cannot split")

    def _reduction(self, op: tf.ReductionOp) -> Kind:
        kind = self.kinds[op.input]
        axes = op.axes_tuple
        if isinstance(kind, Shifted):
            if kind.exp and isinstance(op, tf.SumOp) and kind.axis in axes:
                self.partials[op] = Partial(op, "lse", kind.axis, kind)
                return FIN
            self._no_shifted(kind)
        if not isinstance(kind, Row):
            return kind
        if kind.axis in axes:
            self.partials[op] = Partial(op, REDUCTION_KINDS[type(op)], kind.axis)
            return FIN
        if op.keeps_dims:
            return kind
        return Row(kind.axis - sum(1 for a in axes if a < kind.axis))

    def _arg_reduction(self, op: tf.ArgReductionOp) -> Kind:
        kind = self.kinds[op.input]
        self._no_shifted(kind)
        if not isinstance(kind, Row):
            return kind
        axis = op.axis.value.data
        if axis == kind.axis:
            raise NotSplittable(op, f"{_op_name(op)} along the batch axis needs the position of every "
                                    "chunk's rows in the whole batch; it is not split")
        return Row(kind.axis - (1 if axis < kind.axis else 0))

    def _matmul(self, op: tf.MatmulOp) -> Kind:
        kinds = [self.kinds[op.lhs], self.kinds[op.rhs]]
        for k in kinds:
            self._no_shifted(k)
        places = [matmul_place(op, i, k.axis) if isinstance(k, Row) else None for i, k in enumerate(kinds)]
        if places == [None, None]:
            return FIN if FIN in kinds else INV
        for value, kind in zip(op.operands, kinds, strict=True):
            if kind is FIN:
                raise NotSplittable(op, self._uses_fin(op, value))
        if None not in places:
            if places[0] == places[1] == "contract":
                self.partials[op] = Partial(op, "matmul", -1)
                return FIN
            if places[0] == places[1]:
                return Row(places[0])  # type: ignore[arg-type]
            raise NotSplittable(op, f"{_op_name(op)} multiplies rows of the batch with other rows of it "
                                    "(the batch is a different axis of its two operands)")
        i = 0 if places[0] is not None else 1
        place, other = places[i], op.operands[1 - i]
        if place == "contract":
            raise NotSplittable(op, f"{_op_name(op)} contracts the batch axis with an unbatched operand "
                                    f"of type {other.type}, which the chunks cannot split")
        assert isinstance(place, int)
        pos = matmul_batch_pos(op, 1 - i, place)
        if pos is not None and shape_of(other)[pos] != 1:
            raise NotSplittable(op, f"{_op_name(op)} pairs each row of the batch with a matrix of an unbatched "
                                    f"operand of type {other.type}, which the chunks cannot split")
        return Row(place)

    def _shape_op(self, op: Operation) -> Kind:
        kind = self.kinds[op.operands[0]]
        self._no_shifted(kind)
        if not isinstance(kind, Row):
            return kind
        new = shape_op_axis(op, kind.axis)
        if new is None:
            raise NotSplittable(op, f"{_op_name(op)} does not keep the batch axis whole (axis {kind.axis} of "
                                    f"{op.operands[0].type}), so its rows depend on where the chunks begin")
        return Row(new)

    def _concat(self, op: tf.ConcatOp) -> Kind:
        kinds = [self.kinds[v] for v in op.inputs]
        for k in kinds:
            self._no_shifted(k)
        axes = {k.axis for k in kinds if isinstance(k, Row)}
        if not axes:
            return FIN if FIN in kinds else INV
        axis = axes.pop()
        if axes or axis == op.axis.value.data:
            raise NotSplittable(op, f"{_op_name(op)} joins values along the batch axis, so its rows depend on "
                                    "where the chunks begin")
        for value, kind in zip(op.inputs, kinds, strict=True):
            if kind is FIN:
                raise NotSplittable(op, self._uses_fin(op, value))
            if kind is INV:
                self._check_inv_operand(op, value, axis, rank(op.result))
        return Row(axis)

    def _unknown(self, op: Operation) -> Kind:
        kinds = [self.kinds[v] for v in used_values(op) if v in self.kinds]
        for k in kinds:
            self._no_shifted(k)
            if isinstance(k, Row):
                raise NotSplittable(op, f"{_op_name(op)} is not known to keep the rows of a batch apart, so "
                                        "an entry that gives it batched values is not split")
        return FIN if FIN in kinds else INV


# -- helpers shared with the builder ---------------------------------------------


def used_values(op: Operation) -> list[SSAValue]:
    """The operands of `op` and the values defined outside it that its regions use."""
    inner = {r for o in op.walk() for r in o.results} | {a for o in op.walk() for reg in o.regions
                                                         for b in reg.blocks for a in b.args}
    values = list(op.operands)
    for o in op.walk():
        if o is not op:
            values += [v for v in o.operands if v not in inner]
    return values


def matmul_place(op: tf.MatmulOp, operand: int, axis: int) -> int | str:
    """Where axis `axis` of operand `operand` (0: lhs) goes in `numpy.matmul`:
    the result axis it becomes, or "contract"."""
    ra, rb, out = rank(op.lhs), rank(op.rhs), rank(op.result)
    own = ra if operand == 0 else rb
    if own == 1:
        return "contract"
    if (operand == 0 and axis == own - 1) or (operand == 1 and axis == own - 2):
        return "contract"
    matrix_axes = (ra >= 2) + (rb >= 2)  # result axes after the broadcast batch dims
    batch_rank = out - matrix_axes
    if axis >= own - 2:  # the row axis of lhs, the column axis of rhs
        return batch_rank if operand == 0 else out - 1
    return batch_rank - (own - 2) + axis


def matmul_batch_pos(op: tf.MatmulOp, operand: int, place: int) -> int | None:
    """The axis of `operand` that broadcasts to result axis `place` (a batch
    dim of the product), or None where it has none."""
    own = rank(op.operands[operand])
    matrix_axes = (rank(op.lhs) >= 2) + (rank(op.rhs) >= 2)
    batch_rank = rank(op.result) - matrix_axes
    pos = place - (batch_rank - (own - 2))
    return pos if own > 2 and place < batch_rank and pos >= 0 else None


def shape_op_axis(op: Operation, axis: int) -> int | None:
    """The result axis that operand axis `axis` of a transpose, reshape,
    broadcast_to or slice becomes when the op keeps it whole, else None."""
    src, out = shape_of(op.operands[0]), shape_of(op.results[0])
    if isinstance(op, tf.TransposeOp):
        return op.perm_tuple.index(axis)
    if isinstance(op, tf.BroadcastToOp):
        new = axis + len(out) - len(src)
        return new if out[new] == src[axis] else None
    if isinstance(op, tf.SliceOp):
        start, stride = op.start.get_values()[axis], op.stride.get_values()[axis]
        return axis if start == 0 and stride == 1 and out[axis] == src[axis] else None
    assert isinstance(op, tf.ReshapeOp)
    before = math.prod(src[:axis])
    for new in range(len(out)):
        if math.prod(out[:new]) == before and out[new] == src[axis]:
            return new
    return None


def uniform(value: SSAValue, axis: int) -> bool:
    """Whether `value` (unbatched) is the same along `axis`: a splat constant,
    a broadcast along it, or elementwise ops of such values. Such a value
    with the batch's length is rebuilt with the chunk's length."""
    op = value.owner
    if isinstance(op, tf.ConstantOp):
        return splat_scalar(value) is not None
    if isinstance(op, tf.BroadcastToOp):
        src = op.input
        pos = axis - (rank(value) - rank(src))
        return pos < 0 or shape_of(src)[pos] == 1 or uniform(src, pos)
    if isinstance(op, ELEMENTWISE):
        for operand in op.operands:
            pos = axis - (rank(value) - rank(operand))
            if pos >= 0 and shape_of(operand)[pos] != 1 and not uniform(operand, pos):
                return False
        return True
    return False

