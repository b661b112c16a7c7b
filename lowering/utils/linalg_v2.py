"""Patterns of `convert-tf-to-linalg` for the `tf` ops of language version 2
that reach linalg (the others are decomposed by `decompose-tf-ops`):

- the elementwise ops of `dialects/tf/math.py`: one all-parallel
  `linalg.generic` each, their scalar semantics in `linalg_scalar.py` (and
  below for `clip` and the activations);
- `tf.pad`: a `linalg.fill` of the result with the padding value and a
  `tensor.insert_slice` of the operand into it;
- the scans `tf.cumsum` / `tf.cumprod`: a `linalg.generic` with the scan axis
  twice, as output dim `i` (parallel) and input dim `j` (reduction), whose
  body folds `select(j <= i, x[j], identity)` into the output. That is the
  scan's exact meaning in linalg's terms (quadratic if run as written, as the
  `mlir` target does); the NumPy and Triton backends recognise the form
  (`linalg_ops.scan`) and run it as `np.cumsum` / `tl.cumsum`-style scans;
- `tf.random_uniform` / `tf.random_normal`: a `linalg.generic` whose body
  computes Philox-4x32-10 of each element's row-major index from `arith` ops
  on `i64` values below 2**49 (so no backend needs unsigned or wrapping
  arithmetic) and converts it as `dialects/tf/random.py` defines: every
  backend computes the same bits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects import arith, tensor
from xdsl.dialects import math as xmath
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, Float16Type, Float64Type, f32, i64
from xdsl.dialects.linalg.ops import IndexOp
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.ir.affine import AffineExpr, AffineMap
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from tfir.dialects import tf
from tfir.dialects.tf import random as rnd
from tfir.lowering.utils.linalg_builders import (
    PARALLEL,
    REDUCTION,
    Emitter,
    elem_of,
    is_float,
    shape_of,
)
from tfir.lowering.utils.linalg_scalar import binary, unary


class V2Lowering(RewritePattern):
    """Base of the patterns below: matches `OP` exactly."""

    OP: ClassVar[type[Operation]]

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if isinstance(op, self.OP):
            em = Emitter(op.location)
            result = self.lower(op, em)
            rewriter.replace(op, em.ops, [result])

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        raise NotImplementedError


# Elementwise -----------------------------------------------------------------------


class _UnaryV2Lowering(V2Lowering):
    """`log1p expm1 tan atan square reciprocal softplus isnan isinf`."""

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        kind = op.name.removeprefix("tf.")
        x, out = op.operands[0], op.results[0]
        return em.elementwise([x], shape_of(out), elem_of(out), lambda b, args: [unary(b, kind, args[0])])


class Atan2Lowering(V2Lowering):
    OP = tf.Atan2Op

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.Atan2Op)
        return em.elementwise([op.lhs, op.rhs], shape_of(op.result), elem_of(op.result),
                              lambda b, args: [binary(b, "atan2", args[0], args[1])])


class ClipLowering(V2Lowering):
    """`minimum(maximum(x, lo), hi)` with NumPy's NaN-propagating extremes."""

    OP = tf.ClipOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.ClipOp)

        def body(b: Emitter, args: Sequence[SSAValue]) -> list[SSAValue]:
            x, lo, hi = args
            return [binary(b, "minimum", binary(b, "maximum", x, lo), hi)]

        return em.elementwise([op.input, op.lo, op.hi], shape_of(op.result), elem_of(op.result), body)


class _ActivationLowering(V2Lowering):
    """`leaky_relu`: `select(x >= 0, x, alpha * x)`; `elu`: `select(x > 0, x, alpha * expm1(x))`."""

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.AlphaActivationOp)
        elu = isinstance(op, tf.EluOp)

        def body(b: Emitter, args: Sequence[SSAValue]) -> list[SSAValue]:
            (x,) = args
            alpha = b.const(op.alpha_value, x.type)
            keep = b.val(arith.CmpfOp(x, b.const(0, x.type), "ogt" if elu else "oge"))
            neg = b.val(xmath.ExpM1Op(x)) if elu else x
            return [b.val(arith.SelectOp(keep, x, b.val(arith.MulfOp(alpha, neg))))]

        return em.elementwise([op.input], shape_of(op.result), elem_of(op.result), body)


class PadLowering(V2Lowering):
    """A fill with the padding value, then the operand inserted at the low pads."""

    OP = tf.PadOp

    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.PadOp)
        out, elem = shape_of(op.result), elem_of(op.result)
        value: float | int = op.fill_value if is_float(elem) else int(op.fill_value)
        filled = em.filled(out, elem, value)
        offsets = [b for b, _ in op.pairs]
        return em.val(tensor.InsertSliceOp.from_static_parameters(op.input, filled, offsets, shape_of(op.input)))


# Scans --------------------------------------------------------------------------------

SCAN_COMBINERS = {"cumsum": (arith.AddfOp, arith.AddiOp, 0), "cumprod": (arith.MulfOp, arith.MuliOp, 1)}


class _ScanLowering(V2Lowering):
    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.ScanOp)
        kind = op.name.removeprefix("tf.")
        x, axis = op.input, op.axis_value
        shape, elem = shape_of(x), elem_of(x)
        rank = len(shape)
        fop, iop, ident = SCAN_COMBINERS[kind]
        if kind == "cumsum" and is_float(elem):
            ident = -0.0  # IEEE addition's identity: a running sum of -0.0 stays -0.0, as NumPy's
        init = em.filled(shape, elem, ident)
        in_map = AffineMap(rank + 1, 0, tuple(AffineExpr.dimension(rank if d == axis else d) for d in range(rank)))
        out_map = AffineMap(rank + 1, 0, tuple(AffineExpr.dimension(d) for d in range(rank)))

        def body(b: Emitter, args: Sequence[SSAValue]) -> list[SSAValue]:
            value, acc = args
            i = b.val(IndexOp(axis))
            j = b.val(IndexOp(rank))
            keep = b.val(arith.CmpiOp(j, i, "ule"))
            part = b.val(arith.SelectOp(keep, value, b.const(ident, elem)))
            return [b.val((fop if is_float(elem) else iop)(part, acc))]

        return em.generic([x], [in_map], [init], [out_map], [PARALLEL] * rank + [REDUCTION], body)[0]


# Random numbers ------------------------------------------------------------------------

_MASK16, _MASK32 = 0xFFFF, 0xFFFFFFFF


Word = SSAValue | int  # a value in the body, or a constant folded while it is built

_FOLD = {arith.ShRSIOp: lambda a, b: a >> b, arith.ShLIOp: lambda a, b: a << b,
         arith.AndIOp: lambda a, b: a & b, arith.OrIOp: lambda a, b: a | b,
         arith.XOrIOp: lambda a, b: a ^ b, arith.AddiOp: lambda a, b: a + b,
         arith.SubiOp: lambda a, b: a - b, arith.MuliOp: lambda a, b: a * b}


class _Philox:
    """Philox-4x32-10 on `i64` values in [0, 2**32), emitted into a body.
    Constants (the zero words of the counter) are folded as the ops are built."""

    def __init__(self, b: Emitter):
        self.b = b

    def c(self, value: Word) -> SSAValue:
        return self.b.const(value, i64) if isinstance(value, int) else value

    def op(self, cls: type[Operation], x: Word, y: Word) -> Word:
        if isinstance(x, int) and isinstance(y, int):
            return _FOLD[cls](x, y)
        if cls is arith.XOrIOp and 0 in (x, y):
            return y if x == 0 else x
        return self.b.val(cls(self.c(x), self.c(y)))  # type: ignore[call-arg]

    def mul_hi_lo(self, a: Word, k: int) -> tuple[Word, Word]:
        """The high and low words of `a * k` (both < 2**32), in 16-bit halves of `a`
        so that no product reaches 2**63."""
        a_hi, a_lo = self.op(arith.ShRSIOp, a, 16), self.op(arith.AndIOp, a, _MASK16)
        p_hi, p_lo = self.op(arith.MuliOp, a_hi, k), self.op(arith.MuliOp, a_lo, k)
        mid = self.op(arith.AddiOp, p_hi, self.op(arith.ShRSIOp, p_lo, 16))
        hi = self.op(arith.ShRSIOp, mid, 16)
        low = self.op(arith.AddiOp, self.op(arith.ShLIOp, self.op(arith.AndIOp, p_hi, _MASK16), 16), p_lo)
        return hi, self.op(arith.AndIOp, low, _MASK32)

    def xor3(self, a: Word, b: Word, c: Word) -> Word:
        return self.op(arith.XOrIOp, self.op(arith.XOrIOp, a, b), c)

    def run(self, seed: Word, index: SSAValue) -> list[SSAValue]:
        k0 = self.op(arith.AndIOp, seed, _MASK32)
        k1 = self.op(arith.AndIOp, self.op(arith.ShRSIOp, seed, 32), _MASK32)
        c0, c1 = self.op(arith.AndIOp, index, _MASK32), self.op(arith.ShRSIOp, index, 32)
        c2: Word = 0
        c3: Word = 0
        for r in range(rnd.ROUNDS):
            key0 = k0 if r == 0 else self.op(arith.AndIOp, self.op(arith.AddiOp, k0, r * rnd.KEY_A % 2**32), _MASK32)
            key1 = k1 if r == 0 else self.op(arith.AndIOp, self.op(arith.AddiOp, k1, r * rnd.KEY_B % 2**32), _MASK32)
            hi_b, lo_b = self.mul_hi_lo(c2, rnd.ROUND_B)
            hi_a, lo_a = self.mul_hi_lo(c0, rnd.ROUND_A)
            c0, c1, c2, c3 = self.xor3(hi_b, c1, key0), lo_b, self.xor3(hi_a, c3, key1), lo_a
        return [self.c(w) for w in (c0, c1, c2, c3)]

    def fold_sign(self, r: SSAValue) -> SSAValue:
        """`r` as a signed 32-bit value, complemented where negative: `2**32 - 1 - r` from 2**31 on."""
        low = self.b.val(arith.CmpiOp(r, self.c(1 << 31), "slt"))
        return self.b.val(arith.SelectOp(low, r, self.c(self.op(arith.SubiOp, _MASK32, r))))

    def uniform(self, words: Sequence[SSAValue], elem: Attribute) -> SSAValue:
        b = self.b
        if isinstance(elem, Float64Type):
            hi, lo = words[0], words[1]
            low = b.val(arith.CmpiOp(hi, self.c(1 << 31), "slt"))
            hi = b.val(arith.SelectOp(low, hi, self.c(self.op(arith.SubiOp, _MASK32, hi))))
            lo = b.val(arith.SelectOp(low, lo, self.c(self.op(arith.SubiOp, _MASK32, lo))))
            x = self.c(self.op(arith.OrIOp, self.op(arith.ShLIOp, hi, 32), lo))
            return b.val(arith.MulfOp(b.val(arith.SIToFPOp(x, elem)), b.const(rnd.SCALE_64, elem)))
        if isinstance(elem, Float16Type):
            top = b.val(arith.SIToFPOp(self.c(self.op(arith.ShRSIOp, words[0], 21)), f32))
            return b.val(arith.TruncFOp(b.val(arith.MulfOp(top, b.const(2.0 ** -11, f32))), elem))
        x = b.val(arith.SIToFPOp(self.fold_sign(words[0]), f32))
        return b.val(arith.MulfOp(x, b.const(rnd.SCALE_32, f32)))

    def normal(self, words: Sequence[SSAValue], elem: Attribute) -> SSAValue:
        b = self.b
        wide = isinstance(elem, Float64Type)
        typ = elem if wide else f32
        if wide:
            u1, u2 = self.uniform(words[:2], elem), self.uniform(words[2:], elem)
        else:
            u1, u2 = self.uniform(words[:1], f32), self.uniform(words[1:2], f32)
        u1 = b.val(arith.MaximumfOp(u1, b.const(rnd.MIN_U64 if wide else rnd.MIN_U32, typ)))
        radius = b.val(xmath.SqrtOp(b.val(arith.MulfOp(b.const(-2.0, typ), b.val(xmath.LogOp(u1))))))
        angle = b.val(arith.MulfOp(b.const(rnd.TWO_PI, typ), u2))
        z = b.val(arith.MulfOp(radius, b.val(xmath.CosOp(angle))))
        return z if typ == elem else b.val(arith.TruncFOp(z, elem))


def _linear_index(b: Emitter, shape: Sequence[int]) -> SSAValue:
    """The row-major index of the current element, as `i64`."""
    total: SSAValue | None = None
    for d, _ in enumerate(shape):
        stride = math.prod(shape[d + 1:])
        term = b.val(arith.IndexCastOp(b.val(IndexOp(d)), i64))
        if stride != 1:
            term = b.val(arith.MuliOp(term, b.const(stride, i64)))
        total = term if total is None else b.val(arith.AddiOp(total, term))
    return total if total is not None else b.const(0, i64)


class _RandomLowering(V2Lowering):
    def lower(self, op: Operation, em: Emitter) -> SSAValue:
        assert isinstance(op, tf.RandomOp)
        out, elem = shape_of(op.result), elem_of(op.result)
        normal = isinstance(op, tf.RandomNormalOp)

        known = _constant_seed(op.seed)

        def body(b: Emitter, args: Sequence[SSAValue]) -> list[SSAValue]:
            seed: Word = known if known is not None else args[0]
            if not isinstance(seed, int) and seed.type != i64:
                seed = b.val(arith.ExtSIOp(seed, i64))
            gen = _Philox(b)
            words = gen.run(seed, _linear_index(b, out))
            return [gen.normal(words, elem) if normal else gen.uniform(words, elem)]

        rank = len(out)
        init = em.empty(out, elem)
        ins = [] if known is not None else [op.seed]  # a constant seed folds into the key schedule
        return em.generic(ins, [AffineMap(rank, 0, ())] * len(ins), [init], [AffineMap.identity(rank)],
                          [PARALLEL] * rank, body)[0]


def _constant_seed(seed: SSAValue) -> int | None:
    """The value of a seed defined by a constant (`tf.constant` or its lowering)."""
    owner = seed.owner
    value = getattr(owner, "value", None) if isinstance(owner, tf.ConstantOp | arith.ConstantOp) else None
    if not isinstance(value, DenseIntOrFPElementsAttr):
        return None
    values = value.get_values()
    return int(values[0]) if len(values) == 1 else None


def _pattern(base: type[V2Lowering], op_cls: type[Operation]) -> type[V2Lowering]:
    name = op_cls.__name__.removesuffix("Op") + "Lowering"
    return type(name, (base,), {"OP": op_cls, "__doc__": f"Lowers `{op_cls.name}`."})


V2_PATTERNS: tuple[type[RewritePattern], ...] = (
    *(_pattern(_UnaryV2Lowering, op) for op in (*tf.ELEMENTWISE_UNARY_V2, *tf.PREDICATES)),
    *(_pattern(_ActivationLowering, op) for op in tf.ACTIVATIONS),
    *(_pattern(_ScanLowering, op) for op in tf.SCAN_OPS),
    *(_pattern(_RandomLowering, op) for op in tf.RANDOM_OPS),
    Atan2Lowering, ClipLowering, PadLowering,
)

