"""Folding the ops of a kernel whose operands are all literals (splat or scalar
`arith.constant`s) into a literal: `mod(4.0, x)` compares the literal 4.0 with
0.0 and takes its absolute value; printed as is, Triton makes 0-d blocks of
such values, which its interpreter cannot combine with blocks (issue 13).

Only exact operations are folded (IEEE `+ - * /`, fmod, comparisons, logic,
selects, min/max, negation, abs, floor, ceil, casts of finite values), with
NumPy in the element type, so a folded value is bit for bit what the kernel
would compute. Transcendental functions are left to the target.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IntegerAttr,
    TensorType,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.rewriter import Rewriter

from tfir.dialects import device
from tfir.dialects.device import element_of
from tfir.dialects.dtypes import numpy_dtype_of
from tfir.lowering.utils.constants import splat_element


def _int_div(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """C's division (toward zero), as `arith.divsi`; None for a zero divisor (undefined)."""
    x, y = int(a), int(b)
    if y == 0:
        return None
    q = abs(x) // abs(y)
    return np.array(q if (x < 0) == (y < 0) else -q).astype(a.dtype)


def _int_rem(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """C's remainder (the dividend's sign), as `arith.remsi`."""
    q = _int_div(a, b)
    return None if q is None else np.array(int(a) - int(b) * int(q)).astype(a.dtype)


FOLDS: dict[str, Callable[..., Any]] = {
    "arith.addf": np.add, "arith.subf": np.subtract, "arith.mulf": np.multiply, "arith.divf": np.divide,
    "arith.remf": np.fmod, "arith.addi": np.add, "arith.subi": np.subtract, "arith.muli": np.multiply,
    "arith.divsi": _int_div, "arith.remsi": _int_rem, "arith.andi": np.bitwise_and, "arith.ori": np.bitwise_or,
    "arith.xori": np.bitwise_xor, "arith.maxsi": np.maximum, "arith.minsi": np.minimum,
    "arith.maximumf": np.maximum, "arith.minimumf": np.minimum, "arith.maxnumf": np.fmax,
    "arith.minnumf": np.fmin, "arith.negf": np.negative, "math.absf": np.abs, "math.absi": np.abs,
    "math.floor": np.floor, "math.ceil": np.ceil,
}
"""Exact ops by name, as NumPy computes them on arrays of the element type."""

CMP: dict[str, Callable[[Any, Any], Any]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    "one": lambda a, b: (a < b) | (a > b), "ueq": lambda a, b: ~((a < b) | (a > b)),
    "ult": lambda a, b: ~(a >= b), "ule": lambda a, b: ~(a > b), "ugt": lambda a, b: ~(a <= b),
    "uge": lambda a, b: ~(a < b), "ord": lambda a, b: (a == a) & (b == b),
    "uno": lambda a, b: (a != a) | (b != b),
}
"""`device.cmp` predicates, as the Triton kernels print them (`!=` is true for NaN)."""


def _literal(value: SSAValue) -> np.ndarray | None:
    owner = value.owner
    if not isinstance(owner, arith.ConstantOp):
        return None
    attr = owner.value
    if isinstance(attr, DenseIntOrFPElementsAttr):
        scalar = splat_element(attr)
    elif isinstance(attr, IntegerAttr | FloatAttr):
        scalar = attr.value.data
    else:
        return None
    if scalar is None:
        return None
    try:
        return np.array(scalar, dtype=numpy_dtype_of(element_of(value.type)))
    except (KeyError, TypeError, ValueError, OverflowError):
        return None  # an index or a type NumPy has no name for


def _evaluate(op: Operation, args: list[np.ndarray]) -> np.ndarray | None:
    with np.errstate(all="ignore"):
        if op.name in FOLDS:
            return FOLDS[op.name](*args)
        if isinstance(op, device.CmpOp):
            return np.asarray(CMP[op.predicate.data](*args))
        if isinstance(op, device.SelectOp):
            return args[1] if bool(args[0]) else args[2]
        if isinstance(op, device.CastOp):
            if args[0].dtype.kind == "f" and not np.isfinite(args[0]):
                return None  # a non-finite float to an integer: undefined
            return args[0].astype(numpy_dtype_of(element_of(op.result.type)))
    return None


def _constant(value: np.ndarray, typ: Attribute) -> arith.ConstantOp:
    elem = element_of(typ)
    item = value.item()
    if isinstance(typ, TensorType):
        return arith.ConstantOp(DenseIntOrFPElementsAttr.from_list(typ, [item]))
    if isinstance(elem, AnyFloat):
        return arith.ConstantOp(FloatAttr(float(item), elem))
    return arith.ConstantOp(IntegerAttr(int(item), elem))  # type: ignore[arg-type]


def fold_literal_ops(region_op: Operation) -> int:
    """Folds, in order, every exact op under `region_op` whose operands are all literals;
    the number folded."""
    folded = 0
    for op in list(region_op.walk()):
        if op is region_op or len(op.results) != 1 or not op.operands or op.regions:
            continue
        args = [_literal(v) for v in op.operands]
        if any(a is None for a in args):
            continue
        out = _evaluate(op, args)  # type: ignore[arg-type]
        if out is None:
            continue
        try:
            const = _constant(np.asarray(out).astype(numpy_dtype_of(element_of(op.results[0].type))),
                              op.results[0].type)
        except (KeyError, TypeError, ValueError, OverflowError):
            continue
        const.location = op.location
        Rewriter.replace_op(op, const)
        folded += 1
    return folded
