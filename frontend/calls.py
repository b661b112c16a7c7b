"""Binding call arguments to parameters, and converting values to what a
parameter kind needs (static ints, axes, shapes, dtypes, tensors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfir.dialects import registry as R
from tfir.errors import Span, did_you_mean
from tfir.frontend import ast
from tfir.frontend.values import (
    DTypeValue,
    ListValue,
    Literal,
    StrValue,
    SymDim,
    Tensor,
    Value,
    describe,
)


class CheckError(Exception):
    """One diagnostic, raised inside the checker and recorded by its caller."""

    def __init__(self, message: str, span: Span):
        super().__init__(message)
        self.message = message
        self.span = span


@dataclass
class Arg:
    value: Value
    span: Span


@dataclass(frozen=True)
class Slot:
    """A parameter as the binder sees it: builtin Param or user-function Param."""

    name: str
    has_default: bool


def bind(callee: str, slots: Sequence[Slot], args: list[Arg], kwargs: list[tuple[ast.KwArg, Arg]],
         call_span: Span) -> dict[str, Arg]:
    """Positional then keyword arguments onto parameters, as Python does."""
    if len(args) > len(slots):
        raise CheckError(
            f"'{callee}' takes {_count(slots)} argument{'s' * (len(slots) != 1)} but {len(args)} were given",
            args[len(slots)].span if len(slots) else call_span)
    bound: dict[str, Arg] = {s.name: a for s, a in zip(slots, args, strict=False)}
    names = [s.name for s in slots]
    for kw, arg in kwargs:
        if kw.name not in names:
            raise CheckError(f"'{callee}' has no keyword argument '{kw.name}'{did_you_mean(kw.name, names)}",
                             kw.span)
        if kw.name in bound:
            raise CheckError(f"'{callee}' got argument '{kw.name}' twice", kw.span)
        bound[kw.name] = arg
    missing = [s.name for s in slots if s.name not in bound and not s.has_default]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise CheckError(
            f"'{callee}' expects {_count(slots)} argument{'s' * (len(slots) != 1)}; missing argument{plural} "
            + ", ".join(f"'{m}'" for m in missing), call_span)
    return bound


def _count(slots: Sequence[Slot]) -> str:
    required = sum(1 for s in slots if not s.has_default)
    return str(len(slots)) if required == len(slots) else f"{required} to {len(slots)}"


def _static_error(what: str, name: str, arg: Arg) -> CheckError:
    got = "a tensor" if isinstance(arg.value, Tensor) else _kind(arg.value)
    return CheckError(f"argument '{name}' must be a static {what} (a literal or a static "
                      f"parameter, a compile-time constant), got {got}", arg.span)


def _kind(value: Value) -> str:
    return describe(value)


def static_int(name: str, arg: Arg) -> int | str:
    v = arg.value
    if isinstance(v, SymDim) and v.kind == "int":
        return v.name
    if isinstance(v, Literal) and v.is_scalar and v.kind == "int":
        return int(v.scalar())
    raise _static_error("int", name, arg)


def static_float(name: str, arg: Arg) -> float:
    v = arg.value
    if isinstance(v, Literal) and v.is_scalar and v.kind in ("int", "float"):
        return float(v.scalar())
    raise _static_error("float", name, arg)


def static_bool(name: str, arg: Arg) -> bool:
    v = arg.value
    if isinstance(v, Literal) and v.is_scalar and v.kind == "bool":
        return bool(v.scalar())
    raise _static_error("bool", name, arg)


def static_number(name: str, arg: Arg) -> int | float | bool:
    v = arg.value
    if isinstance(v, Literal) and v.is_scalar:
        return v.scalar()
    if isinstance(v, SymDim):
        # A compile-time value whose number is known once sizes are (a function
        # checked with symbolic sizes): a stand-in of its kind types the call.
        return {"int": 0, "float": 0.0, "bool": False}[v.kind]
    raise _static_error("number", name, arg)


def static_ints(name: str, arg: Arg, allow_dims: bool = False) -> list[int | str]:
    v = arg.value
    if isinstance(v, Literal) and v.kind == "int" and v.value.ndim <= 1:
        return [int(x) for x in np.atleast_1d(v.value)] if v.value.ndim == 1 else [int(v.scalar())]
    if isinstance(v, ListValue) and allow_dims:
        out: list[int | str] = []
        for item, span in zip(v.items, v.spans, strict=True):
            out.append(static_int(name, Arg(item, span)))
        return out
    if isinstance(v, Literal) and v.value.size == 0:
        return []
    raise _static_error("list of ints", name, arg)


def static_axes(name: str, arg: Arg) -> int | list[int] | None:
    v = arg.value
    if isinstance(v, Literal) and v.kind == "int" and v.is_scalar:
        return int(v.scalar())
    ints = static_ints(name, arg)
    return [int(i) for i in ints]


def static_dtype(name: str, arg: Arg) -> str:
    if isinstance(arg.value, DTypeValue):
        return arg.value.dtype
    raise CheckError(f"argument '{name}' must be a dtype (bool, i32, i64, f16, f32, f64)", arg.span)


def static_string(name: str, arg: Arg) -> str:
    if isinstance(arg.value, StrValue):
        return arg.value.text
    raise CheckError(f"argument '{name}' must be a string literal like \"ij,jk->ik\", "
                     f"got {_kind(arg.value)}", arg.span)


def static_pairs(name: str, arg: Arg) -> list[list[int]]:
    """A list of `[int, int]` pairs, written as a 2-D integer literal."""
    v = arg.value
    if isinstance(v, Literal) and v.kind == "int" and v.value.ndim == 2 and v.value.shape[1] == 2:
        return [[int(a), int(b)] for a, b in v.value]
    raise CheckError(f"argument '{name}' must be a list of [before, after] pairs of integer "
                     f"literals, like [[1, 1], [0, 2]]", arg.span)


def convert_static(kind: str, name: str, arg: Arg) -> Any:
    """The Python value of a static argument of parameter kind `kind`."""
    if kind == R.INT:
        return static_int(name, arg)
    if kind == R.FLOAT:
        return static_float(name, arg)
    if kind == R.BOOL:
        return static_bool(name, arg)
    if kind == R.INTS:
        return static_ints(name, arg)
    if kind == R.AXES:
        return static_axes(name, arg)
    if kind == R.SHAPE:
        if isinstance(arg.value, Literal) and arg.value.is_scalar and arg.value.kind == "int":
            return [int(arg.value.scalar())]
        return static_ints(name, arg, allow_dims=True)
    if kind == R.DTYPE:
        return static_dtype(name, arg)
    if kind == R.NUMBER:
        return static_number(name, arg)
    if kind == R.STRING:
        return static_string(name, arg)
    if kind == R.PAIRS:
        return static_pairs(name, arg)
    raise AssertionError(f"unknown parameter kind {kind}")


def default_value(kind: str, default: Any) -> Any:
    return list(default) if isinstance(default, tuple) else default
