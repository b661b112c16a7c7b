"""Checking the arrays given to an entry function against its signature:
every mismatch is an `InputError` that names the parameter."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfir.dialects.dtypes import DTYPES, from_numpy, is_float, to_numpy
from tfir.errors import InputError, did_you_mean
from tfir.frontend import ast
from tfir.frontend.dims import eval_dim


def _fmt(p: ast.Param) -> str:
    t = p.type
    assert isinstance(t, ast.TensorTypeExpr)
    return f"{t.dtype}[{', '.join(map(str, t.dims))}]"


def input_array(p: ast.Param, value: Any) -> np.ndarray:
    """The array given for tensor parameter `p` (a Python number takes its dtype)."""
    if isinstance(p.type, ast.TensorTypeExpr) and isinstance(value, bool | int | float):
        if isinstance(value, float) and not is_float(p.type.dtype):
            raise InputError(f"parameter '{p.name}' expects {_fmt(p)}, got the float {value!r}")
        return np.asarray(value, dtype=to_numpy(p.type.dtype))
    try:
        arr = np.asarray(value)
    except Exception as err:  # noqa: BLE001 - anything not array-like is an input error
        raise InputError(f"parameter '{p.name}' expects an array, got {type(value).__name__}: {err}") from None
    if from_numpy(arr.dtype) is None:
        raise InputError(f"parameter '{p.name}' got an array of dtype {arr.dtype}, "
                         f"which .tf does not have (one of {', '.join(DTYPES)})")
    return arr


def bind_inputs(fn: ast.FnDef, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    names = [p.name for p in fn.params]
    if len(args) > len(names):
        raise InputError(f"'{fn.name}' takes {len(names)} inputs, got {len(args)}")
    given = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in names:
            raise InputError(f"'{fn.name}' has no input '{key}'{did_you_mean(key, names)}")
        if key in given:
            raise InputError(f"input '{key}' of '{fn.name}' given twice")
        given[key] = value
    arrays: dict[str, np.ndarray] = {}
    statics: dict[str, Any] = {}
    dims: dict[str, tuple[int, str]] = {}
    for p in fn.params:
        if p.name not in given:
            if p.default is None:
                raise InputError(f"missing input '{p.name}' of '{fn.name}'")
            continue
        if p.is_static:
            statics[p.name] = static_value(p, given[p.name])
            continue
        arr = input_array(p, given[p.name])
        if isinstance(p.type, ast.TensorTypeExpr):
            check_declared(p, arr, dims)
        arrays[p.name] = arr
    check_dim_expressions(fn, arrays, statics, dims)
    return arrays, statics


def check_dim_expressions(fn: ast.FnDef, arrays: dict[str, np.ndarray], statics: dict[str, Any],
                          dims: dict[str, tuple[int, str]]) -> None:
    """Each dimension expression of a parameter's type (`f32[B, 2 * T]`), evaluated
    once every dimension is bound, is checked like a literal size."""
    values: dict[str, int] = {name: size for name, (size, _) in dims.items()}
    for p in fn.params:
        if isinstance(p.type, ast.StaticType) and p.type.kind == "int":
            if p.name in statics:
                values[p.name] = int(statics[p.name])
            elif isinstance(p.default, ast.IntLit):
                values[p.name] = p.default.value
    for p in fn.params:
        if not isinstance(p.type, ast.TensorTypeExpr) or p.name not in arrays:
            continue
        arr = arrays[p.name]
        for axis, (want, got) in enumerate(zip(p.type.dims, arr.shape, strict=True)):
            if not isinstance(want, ast.DimBinary):
                continue
            size = eval_dim(want, values.get)
            if isinstance(size, int) and size != got:
                raise InputError(f"parameter '{p.name}' expects size {want} = {size} in axis {axis} "
                                  f"({_fmt(p)}), got an array of shape {arr.shape}")


def static_value(p: ast.Param, value: Any) -> Any:
    """The value given for static parameter `p`, checked against its kind."""
    kind = p.type.kind  # type: ignore[union-attr]
    ok = {"int": lambda v: isinstance(v, int | np.integer) and not isinstance(v, bool),
          "float": lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool),
          "bool": lambda v: isinstance(v, bool | np.bool_),
          "[int]": lambda v: isinstance(v, list | tuple) and all(isinstance(x, int) for x in v)}[kind]
    if not ok(value):
        raise InputError(f"static parameter '{p.name}' expects {kind}, got {value!r}")
    if kind == "float":
        return float(value)
    return list(value) if kind == "[int]" else value.item() if isinstance(value, np.generic) else value


def check_declared(p: ast.Param, arr: np.ndarray, dims: dict[str, tuple[int, str]]) -> None:
    """Checks `arr` against the declared dtype and dims of `p`, binding its symbolic dims in `dims`."""
    t = p.type
    assert isinstance(t, ast.TensorTypeExpr)
    if from_numpy(arr.dtype) != t.dtype:
        raise InputError(f"parameter '{p.name}' expects dtype {t.dtype} ({_fmt(p)}), got {arr.dtype}")
    if arr.ndim != len(t.dims):
        raise InputError(f"parameter '{p.name}' expects rank {len(t.dims)} ({_fmt(p)}), "
                         f"got an array of shape {arr.shape}")
    for axis, (want, got) in enumerate(zip(t.dims, arr.shape, strict=True)):
        if isinstance(want, int) and want != got:
            raise InputError(f"parameter '{p.name}' expects size {want} in axis {axis} ({_fmt(p)}), "
                             f"got an array of shape {arr.shape}")
        if isinstance(want, str):
            if want in dims and dims[want][0] != got:
                size, other = dims[want]
                raise InputError(f"dimension {want} is bound two ways: {size} by parameter '{other}' "
                                 f"and {got} by parameter '{p.name}'")
            dims.setdefault(want, (got, p.name))
