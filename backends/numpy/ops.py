"""The NumPy statement of each scalar `arith` / `math` op (how a linalg body
op becomes a ufunc call), for the NumPy backend.

A `Kernel` gives the statements that compute an op into an array (`{out}`)
and the expression that computes it on NumPy scalars; `{0}`, `{1}`, ... are
the operands and `{dtype}` the result's NumPy dtype. Every array statement
writes through `out=` (or `np.copyto`), so no temporaries are created except
where NumPy has no single ufunc for the op (noted on the entry).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.ir import Attribute

from tfir.backends.common.numpy_text import dtype_name


@dataclass(frozen=True)
class Kernel:
    """How one scalar op computes on arrays (statements) and on scalars (an expression)."""

    array: tuple[str, ...]
    scalar: str
    inplace: tuple[int, ...] | None = None  # operands whose buffer may receive the result; None: all
    helpers: tuple[str, ...] = ()  # helper functions of numpy/prelude.py the code calls


def _ufunc(name: str, arity: int) -> Kernel:
    args = ", ".join(f"{{{i}}}" for i in range(arity))
    return Kernel((f"{name}({args}, out={{out}})",), f"{name}({args})")


_BINARY = {
    "arith.addf": "np.add", "arith.addi": "np.add",
    "arith.subf": "np.subtract", "arith.subi": "np.subtract",
    "arith.mulf": "np.multiply", "arith.muli": "np.multiply",
    "arith.divf": "np.divide", "arith.floordivsi": "np.floor_divide",
    # C remainder (sign of the dividend), as MLIR's remsi / remf.
    "arith.remsi": "np.fmod", "arith.remf": "np.fmod",
    "arith.maximumf": "np.maximum", "arith.minimumf": "np.minimum",
    "arith.maxnumf": "np.fmax", "arith.minnumf": "np.fmin",
    "arith.maxsi": "np.maximum", "arith.minsi": "np.minimum",
    "arith.andi": "np.bitwise_and", "arith.ori": "np.bitwise_or", "arith.xori": "np.bitwise_xor",
    "arith.shli": "np.left_shift", "arith.shrsi": "np.right_shift",
    "math.powf": "np.power", "math.ipowi": "np.power", "math.fpowi": "np.power",
    "math.atan2": "np.arctan2", "math.copysign": "np.copysign",
}

_LOGICAL = {"arith.andi": "np.logical_and", "arith.ori": "np.logical_or", "arith.xori": "np.logical_xor"}

_UNARY = {
    "arith.negf": "np.negative", "math.absf": "np.absolute", "math.absi": "np.absolute",
    "math.exp": "np.exp", "math.exp2": "np.exp2", "math.expm1": "np.expm1",
    "math.log": "np.log", "math.log2": "np.log2", "math.log10": "np.log10",
    "math.log1p": "np.log1p", "math.sqrt": "np.sqrt", "math.cbrt": "np.cbrt",
    "math.tanh": "np.tanh", "math.sinh": "np.sinh", "math.cosh": "np.cosh",
    "math.sin": "np.sin", "math.cos": "np.cos", "math.tan": "np.tan",
    "math.asin": "np.arcsin", "math.acos": "np.arccos", "math.atan": "np.arctan",
    "math.asinh": "np.arcsinh", "math.acosh": "np.arccosh", "math.atanh": "np.arctanh",
    "math.floor": "np.floor", "math.ceil": "np.ceil", "math.trunc": "np.trunc",
    "math.roundeven": "np.rint", "math.ctpop": "np.bitwise_count",
}

_CASTS = ("arith.extf", "arith.truncf", "arith.sitofp", "arith.uitofp", "arith.fptosi",
          "arith.fptoui", "arith.extsi", "arith.extui", "arith.trunci", "arith.index_cast",
          "arith.index_castui")

_CAST = Kernel(("np.copyto({out}, {0}, casting='unsafe')",), "{dtype}({0})")

KERNELS: dict[str, Kernel] = {
    **{name: _ufunc(uf, 2) for name, uf in _BINARY.items()},
    **{name: _ufunc(uf, 1) for name, uf in _UNARY.items()},
    **{name: _CAST for name in _CASTS},
    "math.rsqrt": Kernel(("np.sqrt({0}, out={out})", "np.divide(1, {out}, out={out})"),
                         "1 / np.sqrt({0})"),
    # NumPy has no erf: `_erf` is emitted into the generated module (float64 inside).
    "math.erf": Kernel(("_erf({0}, out={out})",), "{dtype}(_erf({0}))", helpers=("erf",)),
    # `select` is two copies: the false value, then the true one where the condition holds;
    # the result may only reuse the false value's buffer.
    "arith.select": Kernel(("np.copyto({out}, {2})", "np.copyto({out}, {1}, where={0})"),
                           "({1} if {0} else {2})", inplace=(2,)),
    # Truncating division: floor division, plus one where the signs differ and it is inexact.
    "arith.divsi": Kernel(
        ("np.floor_divide({0}, {1}, out={out})",
         "np.add({out}, (np.fmod({0}, {1}) != 0) & (({0} < 0) != ({1} < 0)), out={out})"),
        "{dtype}(np.trunc({0} / {1}))", inplace=()),
    "arith.ceildivsi": Kernel(
        ("np.negative({0}, out={out})", "np.floor_divide({out}, {1}, out={out})",
         "np.negative({out}, out={out})"),
        "-(-{0} // {1})", inplace=()),
    "math.fma": Kernel(("np.multiply({0}, {1}, out={out})", "np.add({out}, {2}, out={out})"),
                       "{0} * {1} + {2}", inplace=(0, 1)),
    # Round half away from zero (math.round): trunc(x + copysign(0.5 - ulp/2, x)) is exact.
    "math.round": Kernel(("np.copysign(np.nextafter({0}.dtype.type(0.5), 0), {0}, out={out})",
                          "np.add({out}, {0}, out={out})", "np.trunc({out}, out={out})"),
                         "np.trunc({0} + np.copysign(np.nextafter({0}.dtype.type(0.5), 0), {0}))",
                         inplace=()),
}

# arith.cmpf predicates: ordered ones are NumPy's comparisons (False on NaN);
# unordered ones are the negation of the opposite ordered comparison.
CMPF = {
    "oeq": "np.equal({0}, {1}{out})", "ogt": "np.greater({0}, {1}{out})",
    "oge": "np.greater_equal({0}, {1}{out})", "olt": "np.less({0}, {1}{out})",
    "ole": "np.less_equal({0}, {1}{out})", "une": "np.not_equal({0}, {1}{out})",
    "one": "np.logical_or(np.less({0}, {1}), np.greater({0}, {1}){out})",
    "ueq": "np.logical_not(np.logical_or(np.less({0}, {1}), np.greater({0}, {1})){out})",
    "ugt": "np.logical_not(np.less_equal({0}, {1}){out})",
    "uge": "np.logical_not(np.less({0}, {1}){out})",
    "ult": "np.logical_not(np.greater_equal({0}, {1}){out})",
    "ule": "np.logical_not(np.greater({0}, {1}){out})",
    "ord": "np.logical_not(np.logical_or(np.isnan({0}), np.isnan({1})){out})",
    "uno": "np.logical_or(np.isnan({0}), np.isnan({1}){out})",
}

_UNSIGNED = "np.asarray({0}).astype(np.uint64), np.asarray({1}).astype(np.uint64)"
CMPI = {
    "eq": "np.equal({0}, {1}{out})", "ne": "np.not_equal({0}, {1}{out})",
    "slt": "np.less({0}, {1}{out})", "sle": "np.less_equal({0}, {1}{out})",
    "sgt": "np.greater({0}, {1}{out})", "sge": "np.greater_equal({0}, {1}{out})",
    # Sign extension to 64 bits keeps the unsigned order of same-width integers.
    "ult": f"np.less({_UNSIGNED}{{out}})", "ule": f"np.less_equal({_UNSIGNED}{{out}})",
    "ugt": f"np.greater({_UNSIGNED}{{out}})", "uge": f"np.greater_equal({_UNSIGNED}{{out}})",
}


def compare_kernel(op: arith.CmpfOp | arith.CmpiOp) -> Kernel:
    """The kernel of a comparison, by its predicate."""
    index = op.predicate.value.data
    if isinstance(op, arith.CmpfOp):
        pred = arith.CMPF_COMPARISON_OPERATIONS[index]
        if pred in ("false", "true"):
            value = pred == "true"
            return Kernel((f"np.copyto({{out}}, {value})",), f"np.{value}_")
        text = CMPF[pred]
    else:
        text = CMPI[arith.CMPI_COMPARISON_OPERATIONS[index]]
    return Kernel((text.replace("{out}", ", out={out}"),), text.replace("{out}", ""))


def kernel_of(op: Attribute) -> Kernel:
    """The kernel of a scalar `arith` / `math` op of a linalg body."""
    if isinstance(op, arith.CmpfOp | arith.CmpiOp):
        return compare_kernel(op)
    name = op.name
    if name in _LOGICAL and dtype_name(op.results[0].type) == "bool":
        return _ufunc(_LOGICAL[name], 2)
    if name == "arith.trunci" and dtype_name(op.results[0].type) == "bool":
        # MLIR keeps the low bit; NumPy's bool cast would test for non-zero.
        return Kernel(("np.not_equal(np.bitwise_and({0}, 1), 0, out={out})",),
                      "np.bool_({0} & 1)")
    if name == "arith.extsi" and dtype_name(op.operands[0].type) == "bool":
        # Sign extension of i1: true is -1.
        return Kernel(("np.negative({0}, out={out}, dtype={dtype})",),
                      "{dtype}(-int({0}))", inplace=())
    if name == "arith.bitcast":
        return Kernel(("np.copyto({out}, np.asarray({0}).view({dtype}))",),
                      "np.asarray({0}).view({dtype})[()]", inplace=())
    if name not in KERNELS:
        raise NotImplementedError(f"numpy backend: no NumPy kernel for {name}")
    return KERNELS[name]
