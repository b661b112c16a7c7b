"""`convert-linalg-to-scalar-loops` for the `linalgx` ops (docs/ir-levels.md §5):
`scf.for` nests of scalar `memref.load` / `memref.store`, like the linalg ops.

- `linalgx.gather`: a nest over the destination; each point loads its index
  (`arith.index_cast` to `index`), counts a negative one from the end, clamps
  it into the axis and copies the source element.
- `linalgx.scatter`: a nest over the updates; a point whose index is inside
  the axis stores its update (or adds it to the destination element); the
  others store nothing (`scf.if`).
- `linalgx.check_index`: a nest over the indices with a `cf.assert` that each
  is inside `[-size, size)` (`[0, size)`), whose message names the op's
  location and the size (upstream MLIR aborts the program with it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects import arith, cf, memref, scf
from xdsl.dialects.builtin import AnyFloat, FileLineColLoc, IndexType, IntegerAttr, MemRefType
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from tfir.dialects import linalgx

Body = Callable[[list[SSAValue]], None]


class _Nest:
    """Appends ops to the innermost block of a loop nest being built."""

    def __init__(self, loc) -> None:
        self.ops: list[Operation] = []
        self.blocks: list[list[Operation] | Block] = [self.ops]
        self.loc = loc

    def emit(self, op: Operation) -> SSAValue:
        op.location = self.loc
        target = self.blocks[-1]
        if isinstance(target, Block):
            target.add_op(op)
        else:
            target.append(op)
        return op.results[0] if op.results else None  # type: ignore[return-value]

    def index(self, value: int) -> SSAValue:
        return self.emit(arith.ConstantOp(IntegerAttr(value, IndexType())))

    def loops(self, shape: Sequence[int], body: Body, ivs: list[SSAValue] | None = None) -> None:
        """`for` over every point of `shape` (row-major), calling `body` with the indices."""
        ivs = ivs or []
        if len(ivs) == len(shape):
            body(ivs)
            return
        zero, size, one = self.index(0), self.index(shape[len(ivs)]), self.index(1)
        block = Block(arg_types=[IndexType()])
        loop = scf.ForOp(zero, size, one, [], Region(block))
        self.emit(loop)
        self.blocks.append(block)
        try:
            self.loops(shape, body, [*ivs, block.args[0]])
            self.emit(scf.YieldOp())
        finally:
            self.blocks.pop()

    def load_index(self, idx: SSAValue, at: Sequence[SSAValue], size: int) -> tuple[SSAValue, SSAValue]:
        """The index at `at` as an `index`, counted from the end when negative, and the raw index."""
        raw = self.emit(memref.LoadOp.get(idx, list(at)))
        j = self.emit(arith.IndexCastOp(raw, IndexType()))
        negative = self.emit(arith.CmpiOp(j, self.index(0), "slt"))
        return self.emit(arith.SelectOp(negative, self.emit(arith.AddiOp(j, self.index(size))), j)), raw


def _shape(value: SSAValue) -> list[int]:
    typ = value.type
    assert isinstance(typ, MemRefType)
    return list(typ.get_shape())


def _gather(op: linalgx.GatherOp) -> list[Operation]:
    nest = _Nest(op.location)
    axis, n = op.axis_value, _shape(op.source)[op.axis_value]
    rank = len(_shape(op.indices))

    def body(ivs: list[SSAValue]) -> None:
        at = ivs if op.is_along else ivs[axis:axis + rank]
        j, _ = nest.load_index(op.indices, at, n)
        j = nest.emit(arith.MaxSIOp(nest.emit(arith.MinSIOp(j, nest.index(n - 1))), nest.index(0)))
        src = [*ivs[:axis], j, *ivs[axis + (1 if op.is_along else rank):]]
        value = nest.emit(memref.LoadOp.get(op.source, src))
        nest.emit(memref.StoreOp.get(value, op.dest, ivs))

    if n:
        nest.loops(_shape(op.dest), body)
    return nest.ops


def _scatter(op: linalgx.ScatterOp) -> list[Operation]:
    nest = _Nest(op.location)
    axis, n = op.axis_value, _shape(op.dest)[op.axis_value]
    rank = len(_shape(op.indices))

    def body(ivs: list[SSAValue]) -> None:
        j, _ = nest.load_index(op.indices, ivs[axis:axis + rank], n)
        inside = nest.emit(arith.AndIOp(nest.emit(arith.CmpiOp(j, nest.index(0), "sge")),
                                        nest.emit(arith.CmpiOp(j, nest.index(n), "slt"))))
        then, orelse = Block(), Block([scf.YieldOp()])
        orelse.last_op.location = nest.loc  # type: ignore[union-attr]
        nest.emit(scf.IfOp(inside, [], Region(then), Region(orelse)))
        nest.blocks.append(then)
        try:
            value = nest.emit(memref.LoadOp.get(op.updates, ivs))
            at = [*ivs[:axis], j, *ivs[axis + rank:]]
            if op.accumulates:
                old = nest.emit(memref.LoadOp.get(op.dest, at))
                add = arith.AddfOp if isinstance(value.type, AnyFloat) else arith.AddiOp
                value = nest.emit(add(old, value))
            nest.emit(memref.StoreOp.get(value, op.dest, at))
            nest.emit(scf.YieldOp())
        finally:
            nest.blocks.pop()

    nest.loops(_shape(op.updates), body)
    return nest.ops


def _check(op: linalgx.CheckIndexOp) -> list[Operation]:
    nest = _Nest(op.location)
    size, low = op.size_value, -op.size_value if op.allows_negative else 0
    loc = op.location
    where = f"{loc.filename.data}:{loc.line.data}:{loc.column.data}" if isinstance(loc, FileLineColLoc) else "?"
    message = (f"{where}: error: {op.what.data}: an index is out of range for axis {op.axis.value.data} "
               f"of size {size}")

    def body(ivs: list[SSAValue]) -> None:
        raw = nest.emit(memref.LoadOp.get(op.indices, ivs))
        typ = raw.type
        lo = nest.emit(arith.ConstantOp(IntegerAttr(low, typ)))
        hi = nest.emit(arith.ConstantOp(IntegerAttr(size, typ)))
        inside = nest.emit(arith.AndIOp(nest.emit(arith.CmpiOp(raw, lo, "sge")),
                                        nest.emit(arith.CmpiOp(raw, hi, "slt"))))
        nest.emit(cf.AssertOp(inside, message))

    nest.loops(_shape(op.indices), body)
    return nest.ops


class IndexingToLoops(RewritePattern):
    """Lowers the `linalgx` ops on buffers to scalar loop nests."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if isinstance(op, linalgx.GatherOp):
            ops = _gather(op)
        elif isinstance(op, linalgx.ScatterOp):
            ops = _scatter(op)
        elif isinstance(op, linalgx.CheckIndexOp) and not op.res:
            ops = _check(op)
        else:
            return
        rewriter.replace(op, ops, [])
