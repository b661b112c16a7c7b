"""IR builders shared by `convert-tf-to-linalg` (and usable by plugin lowerings).

An `Emitter` collects the ops that replace one `tf` op, in order, and stamps
each of them (and everything nested in their regions) with that op's
location. It knows how to build the linalg-on-tensors forms of
docs/ir-levels.md section 2: `tensor.empty` destinations, `linalg.fill`,
`linalg.generic` with broadcasting maps, and reshapes as
`tensor.collapse_shape` / `tensor.expand_shape`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from xdsl.dialects import arith, linalg, tensor
from xdsl.dialects.builtin import (
    AffineMapAttr,
    AnyFloat,
    ArrayAttr,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineExpr, AffineMap

BodyFn = Callable[["Emitter", Sequence[SSAValue]], Sequence[SSAValue]]
PARALLEL = linalg.attrs.IteratorTypeAttr.parallel()
REDUCTION = linalg.attrs.IteratorTypeAttr.reduction()


def shape_of(value: SSAValue) -> tuple[int, ...]:
    typ = value.type
    assert isinstance(typ, TensorType)
    return tuple(typ.get_shape())


def elem_of(value: SSAValue) -> Attribute:
    typ = value.type
    assert isinstance(typ, TensorType)
    return typ.get_element_type()


def is_float(elem: Attribute) -> bool:
    return isinstance(elem, AnyFloat)


def is_bool(elem: Attribute) -> bool:
    return elem == IntegerType(1)


def int_limits(elem: Attribute) -> tuple[int, int]:
    assert isinstance(elem, IntegerType)
    width = elem.width.data
    return -(1 << (width - 1)), (1 << (width - 1)) - 1


def set_location(op: Operation, loc: Attribute) -> None:
    for inner in op.walk():
        inner.location = loc  # type: ignore[assignment]


def broadcast_map(in_shape: Sequence[int], out_shape: Sequence[int]) -> AffineMap:
    """The map that reads an operand NumPy-broadcast to `out_shape`: trailing
    dims align, a size-1 dim facing a larger one is read at index 0."""
    rank, offset = len(out_shape), len(out_shape) - len(in_shape)
    exprs = [
        AffineExpr.constant(0) if d == 1 and out_shape[i + offset] != 1 else AffineExpr.dimension(i + offset)
        for i, d in enumerate(in_shape)
    ]
    return AffineMap(rank, 0, tuple(exprs))


def projection(rank: int, dims: Sequence[int]) -> AffineMap:
    return AffineMap(rank, 0, tuple(AffineExpr.dimension(d) for d in dims))


def reassociation(groups: Sequence[Sequence[int]]) -> ArrayAttr[ArrayAttr[IntegerAttr]]:
    return ArrayAttr([ArrayAttr([IntegerAttr(i, i64) for i in g]) for g in groups])


def group_dims(small: Sequence[int], big: Sequence[int]) -> list[list[int]] | None:
    """Contiguous groups of `big`'s dims whose products are `small`'s dims, in
    order (size-1 dims of `big` join a neighbouring group); None if none exist."""
    if not small:
        return [] if all(d == 1 for d in big) else None

    def assign(i: int, pos: int) -> list[list[int]] | None:
        if i == len(small):
            return [] if pos == len(big) else None
        prod = 1
        for end in range(pos, len(big)):
            prod *= big[end]
            if prod > small[i] > 0:
                break
            if prod == small[i] and (rest := assign(i + 1, end + 1)) is not None:
                return [list(range(pos, end + 1)), *rest]
        return None

    return assign(0, 0)


class Emitter:
    """Builds a straight-line list of ops, all at one location."""

    def __init__(self, loc: Attribute):
        self.loc = loc
        self.ops: list[Operation] = []

    def op(self, op: Operation) -> Operation:
        set_location(op, self.loc)
        self.ops.append(op)
        return op

    def val(self, op: Operation) -> SSAValue:
        return self.op(op).results[0]

    # Scalars ---------------------------------------------------------------

    def const(self, value: float | int | bool, elem: Attribute) -> SSAValue:
        if is_float(elem):
            return self.val(arith.ConstantOp(FloatAttr(float(value), elem)))  # type: ignore[arg-type]
        assert isinstance(elem, IntegerType)
        if elem.width.data == 1:
            return self.val(arith.ConstantOp(IntegerAttr.from_bool(bool(value))))
        return self.val(arith.ConstantOp(IntegerAttr(int(value), elem)))

    # Tensors ---------------------------------------------------------------

    def empty(self, shape: Sequence[int], elem: Attribute) -> SSAValue:
        return self.val(tensor.EmptyOp([], TensorType(elem, list(shape))))

    def filled(self, shape: Sequence[int], elem: Attribute, value: float | int | bool) -> SSAValue:
        init = self.empty(shape, elem)
        scalar = self.const(value, elem)
        return self.val(linalg.ops.FillOp([scalar], [init]))

    def generic(
        self,
        inputs: Sequence[SSAValue],
        in_maps: Sequence[AffineMap],
        outs: Sequence[SSAValue],
        out_maps: Sequence[AffineMap],
        iterators: Sequence[Attribute],
        body: BodyFn,
    ) -> list[SSAValue]:
        """A `linalg.generic`; `body` gets an emitter for the block and the
        block arguments (inputs, then outputs) and returns the yielded values."""
        block = Block(arg_types=[elem_of(v) for v in (*inputs, *outs)])
        inner = Emitter(self.loc)
        yielded = body(inner, block.args)
        inner.op(linalg.ops.YieldOp(*yielded))
        block.add_ops(inner.ops)
        op = linalg.ops.GenericOp(
            list(inputs), list(outs), Region(block),
            [AffineMapAttr(m) for m in (*in_maps, *out_maps)],
            list(iterators), [v.type for v in outs],
        )
        return list(self.op(op).results)

    def elementwise(
        self, inputs: Sequence[SSAValue], out_shape: Sequence[int], out_elem: Attribute, body: BodyFn
    ) -> SSAValue:
        """An all-parallel generic over `out_shape` reading broadcast inputs."""
        rank = len(out_shape)
        unique: list[tuple[SSAValue, AffineMap]] = []
        slots: list[int] = []
        for value in inputs:
            key = (value, broadcast_map(shape_of(value), out_shape))
            if key not in unique:
                unique.append(key)
            slots.append(unique.index(key))
        init = self.empty(out_shape, out_elem)
        return self.generic(
            [v for v, _ in unique], [m for _, m in unique], [init], [AffineMap.identity(rank)],
            [PARALLEL] * rank, lambda em, args: body(em, [args[s] for s in slots]),
        )[0]

    def collapse(self, value: SSAValue, groups: Sequence[Sequence[int]], shape: Sequence[int]) -> SSAValue:
        return self.val(tensor.CollapseShapeOp.create(
            operands=[value], result_types=[TensorType(elem_of(value), list(shape))],
            properties={"reassociation": reassociation(groups)}))

    def expand(self, value: SSAValue, groups: Sequence[Sequence[int]], shape: Sequence[int]) -> SSAValue:
        typ = TensorType(elem_of(value), list(shape))
        return self.val(tensor.ExpandShapeOp(value, [], reassociation(groups), list(shape), typ))

    def reshape(self, value: SSAValue, shape: Sequence[int]) -> SSAValue:
        """Row-major reshape: one collapse or expand when the dims regroup,
        else collapse to 1-D and expand; to or from rank 0, a copying generic."""
        src = shape_of(value)
        if tuple(shape) == src:
            return value
        if not src or not shape:
            # xDSL's verifier rejects the empty reassociation of a rank-0
            # reshape, so the scalar is copied by a (trivial) generic instead.
            rank = len(shape)
            read = AffineMap(rank, 0, (AffineExpr.constant(0),) * len(src))
            init = self.empty(shape, elem_of(value))
            return self.generic([value], [read], [init], [AffineMap.identity(rank)],
                                [PARALLEL] * rank, lambda em, args: [args[0]])[0]
        if len(shape) <= len(src) and (groups := group_dims(shape, src)) is not None:
            return self.collapse(value, groups, shape)
        if len(shape) >= len(src) and (groups := group_dims(src, shape)) is not None:
            return self.expand(value, groups, shape)
        n = math.prod(src)
        flat = self.collapse(value, [list(range(len(src)))], [n]) if len(src) != 1 else value
        return self.expand(flat, [list(range(len(shape)))], shape)
