"""Checking the arrays given to an entry function against its signature:
every mismatch is an `InputError` that names the parameter."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfir.dialects.dtypes import DTYPES, from_numpy, to_numpy
from tfir.errors import InputError, did_you_mean
from tfir.frontend import ast


def _fmt(p: ast.Param) -> str:
    t = p.type
    assert isinstance(t, ast.TensorTypeExpr)
    return f"{t.dtype}[{', '.join(map(str, t.dims))}]"


def _array(p: ast.Param, value: Any) -> np.ndarray:
    if isinstance(p.type, ast.TensorTypeExpr) and isinstance(value, bool | int | float):
        kind = {"bool": "b", "i32": "i", "i64": "i", "f16": "f", "f32": "f", "f64": "f"}[p.type.dtype]
        if isinstance(value, float) and kind != "f":
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
            statics[p.name] = _static(p, given[p.name])
            continue
        arr = _array(p, given[p.name])
        if isinstance(p.type, ast.TensorTypeExpr):
            _check_declared(p, arr, dims)
        arrays[p.name] = arr
    return arrays, statics


def _static(p: ast.Param, value: Any) -> Any:
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


def _check_declared(p: ast.Param, arr: np.ndarray, dims: dict[str, tuple[int, str]]) -> None:
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
