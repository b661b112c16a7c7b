"""`convert-tf-to-linalg`: `tf` ops to linalg on tensors.

Precondition: the module is at stage `tf` after the tf-level optimizations
(docs/ir-levels.md section 1): one public `func.func` per entry, no calls,
bodies of `tf` ops on static-shape tensors.

Produces stage `linalg` (docs/ir-levels.md section 2): `linalg.generic` for
elementwise ops (NumPy broadcasting through broadcasting indexing maps),
casts, `iota`, reductions, arg-reductions and negative-stride slices;
`linalg.matmul` for matmuls (a batched matmul is a `linalg.generic` with a
reduction dim, as xDSL 0.74 defines no `linalg.batch_matmul`),
`linalg.transpose`, `linalg.fill` for reduction inits, `tensor.empty`
destinations, `tensor.collapse_shape` / `expand_shape` for reshapes,
`tensor.extract_slice` / `insert_slice`, and `arith.constant` tensors.
Generic bodies hold `arith` / `math` ops only. Every created op carries the
location of the `tf` op it replaces.

Ops of other dialects (plugins) are lowered by the callable registered for
their name in `LINALG_LOWERINGS` (lowering/utils/custom_ops.py, where the
plugin layer registers those of custom ops); ops with none are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects import arith, linalg, tensor
from xdsl.dialects.builtin import DenseArrayBase, ModuleOp, UnknownLoc, i64
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineExpr, AffineMap
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)
from xdsl.utils.exceptions import DiagnosticException

from tfir.dialects import tf
from tfir.lowering.utils import linalg_indexing as indexing
from tfir.lowering.utils.custom_ops import LINALG_LOWERINGS
from tfir.lowering.utils.linalg_builders import (
    PARALLEL,
    REDUCTION,
    Emitter,
    elem_of,
    is_bool,
    is_float,
    projection,
    shape_of,
)
from tfir.lowering.utils.linalg_matmul import matmul
from tfir.lowering.utils.linalg_ops import identity
from tfir.lowering.utils.linalg_scalar import binary, cast, unary
from tfir.lowering.utils.linalg_v2 import V2_PATTERNS


def _kind(op: Operation) -> str:
    return op.name.removeprefix("tf.")


def _replace(rewriter: PatternRewriter, op: Operation, em: Emitter, result: SSAValue) -> None:
    rewriter.replace(op, em.ops, [result])


class _TfLowering(RewritePattern):
    """Base of the patterns below: matches `OP` exactly."""

    OP: ClassVar[type[Operation]]

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if isinstance(op, self.OP):
            em = Emitter(op.location)
            _replace(rewriter, op, em, self.lower(op, em))

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        raise NotImplementedError


# Elementwise ---------------------------------------------------------------


class _BinaryLowering(_TfLowering):
    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.ElementwiseBinaryOp)
        kind = _kind(op)
        return em.elementwise([op.lhs, op.rhs], shape_of(op.result), elem_of(op.result),
                              lambda b, args: [binary(b, kind, args[0], args[1])])


class _UnaryLowering(_TfLowering):
    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.ElementwiseUnaryOp)
        kind = _kind(op)
        return em.elementwise([op.input], shape_of(op.result), elem_of(op.result),
                              lambda b, args: [unary(b, kind, args[0])])


def _pattern(base: type[_TfLowering], op_cls: type[Operation]) -> type[_TfLowering]:
    name = op_cls.__name__.removesuffix("Op") + "Lowering"
    return type(name, (base,), {"OP": op_cls, "__doc__": f"Lowers `{op_cls.name}`."})


# One pattern per op of the dialect's elementwise tuples: a new elementwise op
# needs its scalar body in linalg_scalar.py, not a line here.
ELEMENTWISE_PATTERNS: tuple[type[_TfLowering], ...] = (
    *(_pattern(_BinaryLowering, op) for op in tf.ELEMENTWISE_BINARY),
    *(_pattern(_UnaryLowering, op) for op in tf.ELEMENTWISE_UNARY),
)





class SelectLowering(_TfLowering):
    OP = tf.SelectOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.SelectOp)
        return em.elementwise([op.cond, op.lhs, op.rhs], shape_of(op.result), elem_of(op.result),
                              lambda b, args: [b.val(arith.SelectOp(*args))])


class CastLowering(_TfLowering):
    OP = tf.CastOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.CastOp)
        to = elem_of(op.result)
        if elem_of(op.input) == to:
            return op.input
        return em.elementwise([op.input], shape_of(op.result), to,
                              lambda b, args: [cast(b, args[0], to)])


# Reductions ----------------------------------------------------------------

# kind -> (float combiner, int combiner)
_COMBINERS: dict[str, tuple[type[Operation], type[Operation]]] = {
    "sum": (arith.AddfOp, arith.AddiOp),
    "mean": (arith.AddfOp, arith.AddiOp),
    "prod": (arith.MulfOp, arith.MuliOp),
    "max": (arith.MaximumfOp, arith.MaxSIOp),
    "min": (arith.MinimumfOp, arith.MinSIOp),
}


def _reduce(em: Emitter, x: SSAValue, axes: tuple[int, ...], kind: str) -> SSAValue:
    """One `linalg.generic` reducing `axes` of `x` (dropped from the result)
    into a `linalg.fill`ed identity."""
    shape, elem = shape_of(x), elem_of(x)
    if is_bool(elem):
        raise DiagnosticException(f"tf.{kind} has no lowering for i1")
    combiner = _COMBINERS[kind][0 if is_float(elem) else 1]
    kept = [d for d in range(len(shape)) if d not in axes]
    out = em.filled([shape[d] for d in kept], elem, identity("sum" if kind == "mean" else kind, elem))
    iterators = [REDUCTION if d in axes else PARALLEL for d in range(len(shape))]
    return em.generic([x], [AffineMap.identity(len(shape))], [out], [projection(len(shape), kept)],
                      iterators, lambda b, args: [b.val(combiner(args[0], args[1]))])[0]


class _ReductionLowering(_TfLowering):
    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.ReductionOp)
        x, axes, kind = op.input, op.axes_tuple, _kind(op)
        if not axes:
            return x
        reduced = _reduce(em, x, axes, kind)
        if kind == "mean":
            count = 1
            for a in axes:
                count *= shape_of(x)[a]
            reduced = em.elementwise(
                [reduced], shape_of(reduced), elem_of(reduced),
                lambda b, args: [b.val(arith.DivfOp(args[0], b.const(count, args[0].type)))])
        return em.reshape(reduced, shape_of(op.result))


SumLowering = _pattern(_ReductionLowering, tf.SumOp)
MeanLowering = _pattern(_ReductionLowering, tf.MeanOp)
MaxLowering = _pattern(_ReductionLowering, tf.MaxOp)
MinLowering = _pattern(_ReductionLowering, tf.MinOp)
ProdLowering = _pattern(_ReductionLowering, tf.ProdOp)


def _better(b: Emitter, x: SSAValue, best: SSAValue, is_max: bool) -> SSAValue:
    """Whether `x` replaces the running extreme `best`: strictly better, so the
    first index wins ties; for floats a NaN wins once, as NumPy returns the
    first NaN's index."""
    if is_float(x.type):
        beats = b.val(arith.CmpfOp(x, best, "ugt" if is_max else "ult"))
        best_is_number = b.val(arith.CmpfOp(best, best, "ord"))
        return b.val(arith.AndIOp(beats, best_is_number))
    signed = "sgt" if is_max else "slt"
    return b.val(arith.CmpiOp(x, best, ("ugt" if is_max else "ult") if is_bool(x.type) else signed))


class _ArgReductionLowering(_TfLowering):
    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.ArgReductionOp)
        x, axis, is_max = op.input, op.axis.value.data, _kind(op) == "argmax"
        shape, elem = shape_of(x), elem_of(x)
        kept = [d for d in range(len(shape)) if d != axis]
        out_shape = [shape[d] for d in kept]
        init = identity("argmax" if is_max else "argmin", elem)
        values, indices = em.filled(out_shape, elem, init), em.filled(out_shape, i64, 0)

        def body(b: Emitter, args: tuple[SSAValue, ...]) -> list[SSAValue]:
            v, best, best_i = args
            i = b.val(arith.IndexCastOp(b.val(linalg.ops.IndexOp(axis)), i64))
            better = _better(b, v, best, is_max)
            return [b.val(arith.SelectOp(better, v, best)), b.val(arith.SelectOp(better, i, best_i))]

        iterators = [REDUCTION if d == axis else PARALLEL for d in range(len(shape))]
        out_map = projection(len(shape), kept)
        return em.generic([x], [AffineMap.identity(len(shape))], [values, indices],
                          [out_map, out_map], iterators, body)[1]


ArgmaxLowering = _pattern(_ArgReductionLowering, tf.ArgmaxOp)
ArgminLowering = _pattern(_ArgReductionLowering, tf.ArgminOp)


# Structured and shape ops ----------------------------------------------------


class MatmulLowering(_TfLowering):
    OP = tf.MatmulOp

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        transposes = [v.owner for v in op.operands if isinstance(v.owner, linalg.ops.TransposeOp)]
        super().match_and_rewrite(op, rewriter)
        for t in transposes:  # read through a permuted map instead (utils/linalg_matmul.py)
            if t.parent is not None and not any(r.uses for r in t.results):
                rewriter.erase(t)

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.MatmulOp)
        return matmul(em, op.lhs, op.rhs, shape_of(op.result))


class TransposeLowering(_TfLowering):
    OP = tf.TransposeOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.TransposeOp)
        perm = op.perm_tuple
        if list(perm) == sorted(perm):
            return op.input
        init = em.empty(shape_of(op.result), elem_of(op.result))
        return em.val(linalg.ops.TransposeOp(op.input, init, DenseArrayBase.from_list(i64, perm)))


class ReshapeLowering(_TfLowering):
    OP = tf.ReshapeOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.ReshapeOp)
        return em.reshape(op.input, shape_of(op.result))


class BroadcastToLowering(_TfLowering):
    OP = tf.BroadcastToOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.BroadcastToOp)
        if shape_of(op.input) == shape_of(op.result):
            return op.input
        return em.elementwise([op.input], shape_of(op.result), elem_of(op.result),
                              lambda b, args: [args[0]])


class SliceLowering(_TfLowering):
    """Positive strides: `tensor.extract_slice`. A negative stride: the
    extract_slice of the same elements in increasing order, then a generic
    that reads it reversed along those axes (`(n - 1) - dI`). A generic that
    read the whole operand through `dI * stride + start` would give loop `dI`
    two sizes wherever another axis is a plain `dI` of a different extent."""

    OP = tf.SliceOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.SliceOp)
        x, out = op.input, shape_of(op.result)
        start, stride = op.start.get_values(), op.stride.get_values()
        if out == shape_of(x) and all(k == 1 for k in stride):
            return x
        # The lowest index read on each axis, and the step as a positive stride.
        low = [s + (n - 1) * k if k < 0 and n > 0 else s for s, k, n in zip(start, stride, out, strict=True)]
        step = [abs(k) for k in stride]
        if out != shape_of(x) or any(k != 1 for k in step):
            x = em.val(tensor.ExtractSliceOp.from_static_parameters(x, low, out, step))
        flip = [k < 0 and n > 1 for k, n in zip(stride, out, strict=True)]
        if not any(flip):
            return x
        rank = len(out)
        exprs = [AffineExpr.dimension(d) * -1 + (n - 1) if f else AffineExpr.dimension(d)
                 for d, (n, f) in enumerate(zip(out, flip, strict=True))]
        init = em.empty(out, elem_of(x))
        return em.generic([x], [AffineMap(rank, 0, tuple(exprs))], [init], [AffineMap.identity(rank)],
                          [PARALLEL] * rank, lambda b, args: [args[0]])[0]


class ConcatLowering(_TfLowering):
    """`tensor.insert_slice` of each operand into a `tensor.empty`."""

    OP = tf.ConcatOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.ConcatOp)
        if len(op.inputs) == 1:
            return op.inputs[0]
        axis, out = op.axis.value.data, shape_of(op.result)
        dest, offset = em.empty(out, elem_of(op.result)), 0
        for value in op.inputs:
            shape = shape_of(value)
            offsets = [offset if d == axis else 0 for d in range(len(out))]
            dest = em.val(tensor.InsertSliceOp.from_static_parameters(value, dest, offsets, shape))
            offset += shape[axis]
        return dest


class ConstantLowering(_TfLowering):
    OP = tf.ConstantOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.ConstantOp)
        return indexing.large_splat(em, op) or em.val(arith.ConstantOp(op.value))


class IotaLowering(_TfLowering):
    """A generic with no inputs whose body casts `linalg.index 0`."""

    OP = tf.IotaOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.IotaOp)
        out, elem = shape_of(op.result), elem_of(op.result)

        def body(b: Emitter, args: tuple[SSAValue, ...]) -> list[SSAValue]:
            index = b.val(linalg.ops.IndexOp(0))
            if is_float(elem):
                return [b.val(arith.SIToFPOp(b.val(arith.IndexCastOp(index, i64)), elem))]
            return [b.val(arith.IndexCastOp(index, elem))]

        init = em.empty(out, elem)
        return em.generic([], [], [init], [AffineMap.identity(1)], [PARALLEL], body)[0]


# Indexing with tensors and the loop variable (v2): lowering/utils/linalg_indexing.py


class TakeLowering(_TfLowering):
    """`tf.take` -> `linalgx.gather` into a `tensor.empty`."""

    OP = tf.TakeOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.TakeOp)
        return indexing.take(em, op)


class TakeAlongAxisLowering(_TfLowering):
    """`tf.take_along_axis` -> its operands broadcast, a `linalgx.gather` along the axis."""

    OP = tf.TakeAlongAxisOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.TakeAlongAxisOp)
        return indexing.take_along_axis(em, op)


class ScatterLowering(_TfLowering):
    """`tf.scatter` -> `linalgx.scatter` into the operand."""

    OP = tf.ScatterOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.ScatterOp)
        return indexing.scatter(em, op)


class ScatterAddLowering(_TfLowering):
    """`tf.scatter_add` -> `linalgx.scatter {accumulate}` into the operand."""

    OP = tf.ScatterAddOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.ScatterAddOp)
        return indexing.scatter(em, op)


class CheckIndexLowering(_TfLowering):
    """`tf.check_index` -> `linalgx.check_index`."""

    OP = tf.CheckIndexOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.CheckIndexOp)
        return indexing.check_index(em, op)


class FromIndexLowering(_TfLowering):
    """`tf.from_index` -> `tensor.from_elements` of an `arith.index_cast`."""

    OP = tf.FromIndexOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.FromIndexOp)
        return indexing.from_index(em, op)


# Plugin ops ----------------------------------------------------------------


class PluginLowering(RewritePattern):
    """Applies the registered lowering of a non-`tf` op, if there is one."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if (lower := LINALG_LOWERINGS.get(op.name)) is None:
            return
        block = op.parent_block()
        before = set(block.ops) if block is not None else set()
        loc = op.location
        lower(op, rewriter)
        if block is None:
            return
        for new in block.ops:
            if new not in before:
                for inner in new.walk():
                    if isinstance(inner.location, UnknownLoc):
                        inner.location = loc


TF_PATTERNS: tuple[type[RewritePattern], ...] = (
    *ELEMENTWISE_PATTERNS, SelectLowering, CastLowering,
    SumLowering, MeanLowering, MaxLowering, MinLowering, ProdLowering, ArgmaxLowering, ArgminLowering,
    MatmulLowering, TransposeLowering, ReshapeLowering, BroadcastToLowering, SliceLowering,
    ConcatLowering, ConstantLowering, IotaLowering,
    # language version 2: indexing and the loop variable (lowering/utils/linalg_indexing.py),
    # the other builtins (lowering/utils/linalg_v2.py)
    TakeLowering, TakeAlongAxisLowering, ScatterLowering, ScatterAddLowering, CheckIndexLowering,
    FromIndexLowering, *V2_PATTERNS,
)
"""Every pattern of the pass, one per `tf` op that `decompose-tf-ops` leaves (test_convert_tf_to_linalg
checks each op has one)."""


@dataclass(frozen=True)
class ConvertTfToLinalg(ModulePass):
    name = "convert-tf-to-linalg"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        patterns = [*(cls() for cls in TF_PATTERNS), PluginLowering()]
        PatternRewriteWalker(GreedyRewritePatternApplier(patterns)).rewrite_module(op)
