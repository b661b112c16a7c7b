"""convert-linalg-to-scalar-loops: linalg on memrefs -> `scf.for` nests of
scalar loads and stores (docs/ir-levels.md §3 -> §5).

Precondition: the `buffers` form (§3), untiled: linalg ops (`generic`,
reductions with their `fill`, arg-reductions, `matmul`, `transpose`, `fill`)
on static-shape memrefs with identity or strided layouts, and `memref.copy`;
(v2) inside the program's `scf.for` / `scf.while` / `scf.if` too, and the
`linalgx` gathers, scatters and index checks (lowering/scalar_indexing.py).

Produces: one perfect `scf.for` nest per linalg op, in the op's iterator
order, whose innermost body loads each input and output element the body
reads (`memref.load`), inlines the op's `arith` / `math` body, and stores
every yielded value (`memref.store`). Reductions and arg-reductions need no
special case: the output is loaded, combined and stored back on every
iteration, so the nest computes exactly what the op means. `linalg.index` is
the loop's induction variable. `memref.copy` becomes the same kind of nest.

The nest itself is xDSL's `rewrite_linalg_structured_to_loops`, as its own
`convert-linalg-to-loops` uses it. Index expressions are emitted here as
`arith` ops on `index` (`d0 * 2 + 1` -> `arith.muli` / `arith.addi`, a
broadcast `0` -> `arith.constant 0 : index`) instead of xDSL's
`affine.apply`, so the output holds only `func`, `scf`, `memref` and
`arith` / `math` ops, which upstream `mlir-opt` parses unchanged. A constant
global of i1 with more than 100 elements is stored as i8 and narrowed on
load (`_widen_bool_global` says why). Every op created keeps the location of
the op it lowers.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.context import Context
from xdsl.dialects import arith, memref
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    TensorType,
    UnknownLoc,
    i1,
    i8,
)
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineMap,
)
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.transforms.loop_nest_lowering_utils import (
    _insert_loop_nest,  # pyright: ignore[reportPrivateUsage]
    rewrite_linalg_structured_to_loops,
)
from xdsl.utils.exceptions import PassFailedException

from tfir.lowering.utils.memref_views import VIEW_OPS
from tfir.lowering.utils.scalar_indexing import IndexingToLoops

_BINARY = {
    AffineBinaryOpKind.Add: arith.AddiOp,
    AffineBinaryOpKind.Mul: arith.MuliOp,
    AffineBinaryOpKind.Mod: arith.RemSIOp,  # indices are never negative
    AffineBinaryOpKind.FloorDiv: arith.FloorDivSIOp,
    AffineBinaryOpKind.CeilDiv: arith.CeilDivSIOp,
}


def _index_constant(value: int) -> arith.ConstantOp:
    return arith.ConstantOp(IntegerAttr.from_index_int_value(value))


def emit_expr(
    expr: AffineExpr,
    ivs: Sequence[SSAValue],
    rewriter: PatternRewriter,
    at: InsertPoint,
) -> SSAValue:
    """An `index` value computing `expr` of the loop induction variables."""
    match expr:
        case AffineDimExpr():
            return ivs[expr.position]
        case AffineConstantExpr():
            const = _index_constant(expr.value)
            rewriter.insert(const, at)
            return const.result
        case AffineBinaryOpExpr():
            lhs = emit_expr(expr.lhs, ivs, rewriter, at)
            rhs = emit_expr(expr.rhs, ivs, rewriter, at)
            op = _BINARY[expr.kind](lhs, rhs)
            rewriter.insert(op, at)
            return op.result
        case _:
            raise PassFailedException(f"unsupported affine expression {expr}")


def emit_indices(
    affine_map: AffineMap, ivs: Sequence[SSAValue], rewriter: PatternRewriter, at: InsertPoint
) -> list[SSAValue]:
    return [emit_expr(e, ivs, rewriter, at) for e in affine_map.results]


def _stamp_location(first: Operation | None, stop: Operation | None, block, loc) -> None:
    """Give every op from `first` up to `stop` (nested ops too) that has no
    location the location of the op they were lowered from."""
    op = first if first is not None else block.first_op
    while op is not None and op is not stop:
        for inner in op.walk():
            if isinstance(inner.location, UnknownLoc):
                inner.location = loc
        op = op.next_op


class LinalgOpLowering(RewritePattern):
    """Any linalg structured op on memrefs -> a perfect loop nest."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: LinalgStructuredOperation, rewriter: PatternRewriter) -> None:
        if op.res:
            raise PassFailedException(f"{op.name} on tensors: run bufferize first")
        maps = [m.data for m in op.get_indexing_maps().data]
        operands = list(op.operands)
        n_in = len(op.inputs)

        def insert_load(i: int, ivs: Sequence[SSAValue], rw: PatternRewriter, at: InsertPoint) -> SSAValue:
            value = operands[i]
            if not isinstance(value.type, MemRefType):
                return value  # a scalar operand, e.g. the value of a fill
            load = memref.LoadOp.get(value, emit_indices(maps[i], ivs, rw, at))
            rw.insert(load, at)
            return load.res

        def insert_store(
            k: int, value: SSAValue, ivs: Sequence[SSAValue], rw: PatternRewriter, at: InsertPoint
        ) -> Operation:
            dest = operands[n_in + k]
            store = memref.StoreOp.get(value, dest, emit_indices(maps[n_in + k], ivs, rw, at))
            rw.insert(store, at)
            return store

        prev, stop, block, loc = op.prev_op, op.next_op, op.parent_block(), op.location
        bounds = []
        for size in op.get_static_loop_ranges():
            const = _index_constant(size)
            rewriter.insert(const)
            bounds.append(const.result)
        rewrite_linalg_structured_to_loops(
            rewriter,
            op,
            InsertPoint.before(op),
            bounds,
            op.get_indexing_maps().data,
            op.get_indexing_maps().data[n_in:],
            op.operands,
            op.outputs,
            op.body.block,
            insert_load,
            insert_store,
        )
        _stamp_location(prev.next_op if prev else None, stop, block, loc)


class CopyOpLowering(RewritePattern):
    """`memref.copy` -> a loop nest of element loads and stores."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: memref.CopyOp, rewriter: PatternRewriter) -> None:
        src_type = op.source.type
        assert isinstance(src_type, MemRefType)
        prev, stop, block, loc = op.prev_op, op.next_op, op.parent_block(), op.location
        zero, one = _index_constant(0), _index_constant(1)
        bounds = [_index_constant(n) for n in src_type.get_shape()]
        rewriter.insert((zero, one, *bounds))

        def body(rw: PatternRewriter, at: InsertPoint, ivs, iter_args) -> Sequence[SSAValue]:
            load = memref.LoadOp.get(op.source, list(ivs))
            store = memref.StoreOp.get(load.res, op.destination, list(ivs))
            rw.insert((load, store), at)
            return ()

        _insert_loop_nest(
            rewriter, InsertPoint.before(op), zero, one, [b.result for b in bounds], (), body
        )
        rewriter.erase(op)
        _stamp_location(prev.next_op if prev else None, stop, block, loc)


def _widen_bool_global(glob: memref.GlobalOp, module: ModuleOp) -> None:
    """Store a large i1 constant global as i8 (0 / 1) and narrow each element
    loaded from it with `arith.trunci`.

    xDSL prints a dense i1 attribute of more than 100 elements as hex with one
    byte per element, while MLIR reads hex i1 data bit-packed and rejects it
    ("elements hex data size is invalid"); i8 data reads the same in both.
    """
    value = glob.initial_value
    assert isinstance(value, DenseIntOrFPElementsAttr)
    shape = glob.type.get_shape()
    glob.properties["type"] = MemRefType(i8, shape)
    glob.properties["initial_value"] = DenseIntOrFPElementsAttr.from_list(
        TensorType(i8, shape), [int(v) & 1 for v in value.get_values()]
    )
    name = glob.sym_name.data
    pending = [
        op.memref for op in module.walk()
        if isinstance(op, memref.GetGlobalOp) and op.name_.string_value() == name
    ]
    while pending:
        old = pending.pop()
        t = old.type
        assert isinstance(t, MemRefType)
        new = Rewriter.replace_value_with_new_type(old, MemRefType(i8, t.get_shape(), t.layout))
        for use in list(new.uses):
            user = use.operation
            if isinstance(user, VIEW_OPS):
                pending.append(user.results[0])
            elif isinstance(user, memref.LoadOp):
                loaded = Rewriter.replace_value_with_new_type(user.res, i8)
                narrow = arith.TruncIOp(loaded, i1)
                narrow.location = user.location
                Rewriter.insert_op(narrow, InsertPoint.after(user))
                loaded.replace_uses_with_if(narrow.result, lambda u, n=narrow: u.operation is not n)
            else:
                raise PassFailedException(f"unexpected use of constant @{name}: {user.name}")


def _needs_widening(op: Operation) -> bool:
    if not isinstance(op, memref.GlobalOp) or op.type.get_element_type() != i1:
        return False
    value = op.initial_value
    return isinstance(value, DenseIntOrFPElementsAttr) and len(value) > 100 and not value.is_splat()


class ConvertLinalgToScalarLoopsPass(ModulePass):
    """Every linalg op and memref.copy -> scf.for nests (docs/ir-levels.md §5)."""

    name = "convert-linalg-to-scalar-loops"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier([LinalgOpLowering(), CopyOpLowering(), IndexingToLoops()]),
            apply_recursively=False,
        ).rewrite_module(op)
        for glob in [g for g in op.ops if _needs_widening(g)]:
            _widen_bool_global(glob, op)  # type: ignore[arg-type]
