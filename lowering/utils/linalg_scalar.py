"""Scalar semantics of the elementwise `tf` ops, as `arith` / `math` ops for
`linalg.generic` bodies (used by `convert-tf-to-linalg`).

Every function takes the body's `Emitter` and scalar SSA values and returns
the scalar result, with NumPy's semantics for the element type:

- floats: `maximum` / `minimum` propagate NaN (`arith.maximumf/minimumf`);
  `sign(NaN)` is NaN; `floordiv` is `floor(a / b)` and `mod` is
  `a - floordiv(a, b) * b`, with NumPy's results for infinities and
  underflowing quotients (NumPy's fmod-based forms can still differ by one
  when `a / b` rounds onto an integer; xDSL has no `arith.remf`).
- signed integers: `floordiv` / `mod` round toward -inf, and a zero divisor
  gives 0 as NumPy does (MLIR leaves it undefined, so the divisor is guarded);
  `INT_MIN // -1` wraps to `INT_MIN`.
- `i1`: comparisons are unsigned (`false < true`), `maximum` is `or`,
  `minimum` is `and`.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import arith, math
from xdsl.ir import Attribute, SSAValue
from xdsl.utils.exceptions import DiagnosticException

from tfir.lowering.utils.linalg_builders import Emitter, is_bool, is_float

Binary = Callable[[Emitter, SSAValue, SSAValue], SSAValue]
Unary = Callable[[Emitter, SSAValue], SSAValue]

_CMPF = {"equal": "oeq", "not_equal": "une", "less": "olt", "less_equal": "ole",
         "greater": "ogt", "greater_equal": "oge"}
_CMPI = {"equal": "eq", "not_equal": "ne", "less": "slt", "less_equal": "sle",
         "greater": "sgt", "greater_equal": "sge"}
_CMPI_BOOL = {**_CMPI, "less": "ult", "less_equal": "ule", "greater": "ugt", "greater_equal": "uge"}


def _float_floordiv(em: Emitter, a: SSAValue, b: SSAValue) -> SSAValue:
    """`floor(a / b)`, corrected where NumPy's fmod-based form differs by more
    than rounding: a quotient that underflows to zero (or a divisor of +-inf)
    floors to -1 when the signs differ, and an infinite dividend gives NaN."""
    zero = em.const(0, a.type)
    ratio = em.val(arith.DivfOp(a, b))
    floored = em.val(math.FloorOp(ratio))
    tiny = em.val(arith.AndIOp(em.val(arith.CmpfOp(ratio, zero, "oeq")),
                               em.val(arith.CmpfOp(a, zero, "one"))))
    differ = em.val(arith.XOrIOp(em.val(arith.CmpfOp(a, zero, "olt")),
                                 em.val(arith.CmpfOp(b, zero, "olt"))))
    small = em.val(arith.SelectOp(differ, em.const(-1, a.type), zero))
    quotient = em.val(arith.SelectOp(tiny, small, floored))
    a_inf = em.val(arith.CmpfOp(em.val(math.AbsFOp(a)), em.const(float("inf"), a.type), "oeq"))
    to_nan = em.val(arith.AndIOp(a_inf, em.val(arith.CmpfOp(b, zero, "one"))))
    return em.val(arith.SelectOp(to_nan, em.const(float("nan"), a.type), quotient))


def _float_mod(em: Emitter, a: SSAValue, b: SSAValue) -> SSAValue:
    """`a - floordiv(a, b) * b`, but `a` itself for a zero quotient (so an
    infinite divisor of the same sign leaves `a`, as fmod does); a zero
    remainder has the divisor's sign, as NumPy's (`mod(-0.5, 0.25)` is +0.0)."""
    zero = em.const(0, a.type)
    quotient = _float_floordiv(em, a, b)
    rest = em.val(arith.SubfOp(a, em.val(arith.MulfOp(quotient, b))))
    is_zero = em.val(arith.CmpfOp(quotient, zero, "oeq"))
    result = em.val(arith.SelectOp(is_zero, a, rest))
    signed_zero = em.val(arith.SelectOp(em.val(arith.CmpfOp(b, zero, "olt")), em.const(-0.0, a.type), zero))
    return em.val(arith.SelectOp(em.val(arith.CmpfOp(result, zero, "oeq")), signed_zero, result))


def _safe_divisor(em: Emitter, b: SSAValue) -> tuple[SSAValue, SSAValue, SSAValue]:
    """`(b or 1 where b is 0 or -1, b == 0, b == -1)`: 0 and -1 are the divisors
    for which `floordivsi` / `remsi` are undefined for some dividend."""
    zero, one, minus_one = em.const(0, b.type), em.const(1, b.type), em.const(-1, b.type)
    is_zero = em.val(arith.CmpiOp(b, zero, "eq"))
    is_minus_one = em.val(arith.CmpiOp(b, minus_one, "eq"))
    bad = em.val(arith.OrIOp(is_zero, is_minus_one))
    return em.val(arith.SelectOp(bad, one, b)), is_zero, is_minus_one


def _int_floordiv(em: Emitter, a: SSAValue, b: SSAValue) -> SSAValue:
    safe, is_zero, is_minus_one = _safe_divisor(em, b)
    quotient = em.val(arith.FloorDivSIOp(a, safe))
    negated = em.val(arith.SubiOp(em.const(0, a.type), a))
    quotient = em.val(arith.SelectOp(is_minus_one, negated, quotient))
    return em.val(arith.SelectOp(is_zero, em.const(0, a.type), quotient))


def _int_mod(em: Emitter, a: SSAValue, b: SSAValue) -> SSAValue:
    safe, _, _ = _safe_divisor(em, b)
    rem = em.val(arith.RemSIOp(a, safe))
    zero = em.const(0, a.type)
    # remsi takes the dividend's sign; NumPy wants the divisor's.
    nonzero = em.val(arith.CmpiOp(rem, zero, "ne"))
    signs_differ = em.val(arith.XOrIOp(em.val(arith.CmpiOp(rem, zero, "slt")),
                                       em.val(arith.CmpiOp(b, zero, "slt"))))
    fix = em.val(arith.AndIOp(nonzero, signs_differ))
    return em.val(arith.SelectOp(fix, em.val(arith.AddiOp(rem, b)), rem))


_FLOAT_BINARY: dict[str, Binary] = {
    "add": lambda em, a, b: em.val(arith.AddfOp(a, b)),
    "sub": lambda em, a, b: em.val(arith.SubfOp(a, b)),
    "mul": lambda em, a, b: em.val(arith.MulfOp(a, b)),
    "div": lambda em, a, b: em.val(arith.DivfOp(a, b)),
    "pow": lambda em, a, b: em.val(math.PowFOp(a, b)),
    "maximum": lambda em, a, b: em.val(arith.MaximumfOp(a, b)),
    "minimum": lambda em, a, b: em.val(arith.MinimumfOp(a, b)),
    "floordiv": _float_floordiv,
    "mod": _float_mod,
    "atan2": lambda em, a, b: em.val(math.Atan2Op(a, b)),
}
_INT_BINARY: dict[str, Binary] = {
    "add": lambda em, a, b: em.val(arith.AddiOp(a, b)),
    "sub": lambda em, a, b: em.val(arith.SubiOp(a, b)),
    "mul": lambda em, a, b: em.val(arith.MuliOp(a, b)),
    "pow": lambda em, a, b: em.val(math.IPowIOp(a, b)),
    "maximum": lambda em, a, b: em.val(arith.MaxSIOp(a, b)),
    "minimum": lambda em, a, b: em.val(arith.MinSIOp(a, b)),
    "floordiv": _int_floordiv,
    "mod": _int_mod,
}
_BOOL_BINARY: dict[str, Binary] = {
    "logical_and": lambda em, a, b: em.val(arith.AndIOp(a, b)),
    "logical_or": lambda em, a, b: em.val(arith.OrIOp(a, b)),
    "maximum": lambda em, a, b: em.val(arith.OrIOp(a, b)),
    "minimum": lambda em, a, b: em.val(arith.AndIOp(a, b)),
}


def binary(em: Emitter, kind: str, a: SSAValue, b: SSAValue) -> SSAValue:
    """`kind` (a `tf` op name without the prefix) applied to scalars `a`, `b`."""
    elem = a.type
    if kind in _CMPF:
        if is_float(elem):
            return em.val(arith.CmpfOp(a, b, _CMPF[kind]))
        table = _CMPI_BOOL if is_bool(elem) else _CMPI
        return em.val(arith.CmpiOp(a, b, table[kind]))
    table = _FLOAT_BINARY if is_float(elem) else _BOOL_BINARY if is_bool(elem) else _INT_BINARY
    if kind not in table:
        raise DiagnosticException(f"tf.{kind} has no lowering for element type {elem}")
    return table[kind](em, a, b)


def _sign(em: Emitter, x: SSAValue) -> SSAValue:
    zero, one, minus_one = em.const(0, x.type), em.const(1, x.type), em.const(-1, x.type)
    if is_float(x.type):
        positive = em.val(arith.CmpfOp(x, zero, "ogt"))
        negative = em.val(arith.CmpfOp(x, zero, "olt"))
        # x itself where neither holds: keeps NaN (and the zero's sign).
        rest = x
    else:
        positive = em.val(arith.CmpiOp(x, zero, "sgt"))
        negative = em.val(arith.CmpiOp(x, zero, "slt"))
        rest = zero
    return em.val(arith.SelectOp(positive, one, em.val(arith.SelectOp(negative, minus_one, rest))))


def _softplus(em: Emitter, x: SSAValue) -> SSAValue:
    """`max(x, 0) + log1p(exp(-|x|))`: no overflow, full precision in the tail."""
    tail = em.val(math.Log1pOp(em.val(math.ExpOp(em.val(arith.NegfOp(em.val(math.AbsFOp(x))))))))
    return em.val(arith.AddfOp(em.val(arith.MaximumfOp(x, em.const(0, x.type))), tail))


def _sigmoid(em: Emitter, x: SSAValue) -> SSAValue:
    one = em.const(1, x.type)
    denom = em.val(arith.AddfOp(one, em.val(math.ExpOp(em.val(arith.NegfOp(x))))))
    return em.val(arith.DivfOp(one, denom))


_FLOAT_UNARY: dict[str, Unary] = {
    "neg": lambda em, x: em.val(arith.NegfOp(x)),
    "abs": lambda em, x: em.val(math.AbsFOp(x)),
    "exp": lambda em, x: em.val(math.ExpOp(x)),
    "log": lambda em, x: em.val(math.LogOp(x)),
    "sqrt": lambda em, x: em.val(math.SqrtOp(x)),
    "rsqrt": lambda em, x: em.val(math.RsqrtOp(x)),
    "tanh": lambda em, x: em.val(math.TanhOp(x)),
    "sin": lambda em, x: em.val(math.SinOp(x)),
    "cos": lambda em, x: em.val(math.CosOp(x)),
    "floor": lambda em, x: em.val(math.FloorOp(x)),
    "ceil": lambda em, x: em.val(math.CeilOp(x)),
    "erf": lambda em, x: em.val(math.ErfOp(x)),
    "sign": _sign,
    "sigmoid": _sigmoid,
    "relu": lambda em, x: em.val(arith.MaximumfOp(x, em.const(0, x.type))),
    "log1p": lambda em, x: em.val(math.Log1pOp(x)),
    "expm1": lambda em, x: em.val(math.ExpM1Op(x)),
    "tan": lambda em, x: em.val(math.TanOp(x)),
    "atan": lambda em, x: em.val(math.AtanOp(x)),
    "square": lambda em, x: em.val(arith.MulfOp(x, x)),
    "reciprocal": lambda em, x: em.val(arith.DivfOp(em.const(1, x.type), x)),
    "softplus": _softplus,
    "isnan": lambda em, x: em.val(arith.CmpfOp(x, x, "uno")),
    "isinf": lambda em, x: em.val(arith.CmpfOp(em.val(math.AbsFOp(x)), em.const(float("inf"), x.type), "oeq")),
}
_INT_UNARY: dict[str, Unary] = {
    "neg": lambda em, x: em.val(arith.SubiOp(em.const(0, x.type), x)),
    "abs": lambda em, x: em.val(math.AbsIOp(x)),
    "floor": lambda em, x: x,
    "ceil": lambda em, x: x,
    "sign": _sign,
    "relu": lambda em, x: em.val(arith.MaxSIOp(x, em.const(0, x.type))),
    "square": lambda em, x: em.val(arith.MuliOp(x, x)),
    # integers are never NaN or infinite: `x != x` is false, of the operand's shape
    "isnan": lambda em, x: em.val(arith.CmpiOp(x, x, "ne")),
    "isinf": lambda em, x: em.val(arith.CmpiOp(x, x, "ne")),
}
_BOOL_UNARY: dict[str, Unary] = {
    "logical_not": lambda em, x: em.val(arith.XOrIOp(x, em.const(True, x.type))),
}


def unary(em: Emitter, kind: str, x: SSAValue) -> SSAValue:
    elem = x.type
    table = _FLOAT_UNARY if is_float(elem) else _BOOL_UNARY if is_bool(elem) else _INT_UNARY
    if kind not in table:
        raise DiagnosticException(f"tf.{kind} has no lowering for element type {elem}")
    return table[kind](em, x)


def _width(elem: Attribute) -> int:
    return elem.bitwidth  # type: ignore[attr-defined]


def cast(em: Emitter, x: SSAValue, to: Attribute) -> SSAValue:
    """NumPy's `astype` on a scalar: to `i1` is `!= 0` (NaN is true), from
    `i1` is 0 / 1, ints are sign-extended or truncated."""
    src = x.type
    if src == to:
        return x
    if is_bool(to):
        if is_float(src):
            return em.val(arith.CmpfOp(x, em.const(0, src), "une"))
        return em.val(arith.CmpiOp(x, em.const(0, src), "ne"))
    if is_float(src) and is_float(to):
        op = arith.ExtFOp if _width(to) > _width(src) else arith.TruncFOp
        return em.val(op(x, to))
    if is_float(src):
        return em.val(arith.FPToSIOp(x, to))  # type: ignore[arg-type]
    if is_float(to):
        op = arith.UIToFPOp if is_bool(src) else arith.SIToFPOp
        return em.val(op(x, to))  # type: ignore[arg-type]
    if is_bool(src):
        return em.val(arith.ExtUIOp(x, to))  # type: ignore[arg-type]
    op = arith.ExtSIOp if _width(to) > _width(src) else arith.TruncIOp
    return em.val(op(x, to))  # type: ignore[arg-type]
