"""Checking the arrays given to an entry function against its signature:
every mismatch is an `InputError` that names the parameter.

Python values (scalars, lists, tuples) are converted to the declared dtype
when their values are exactly representable in it (a float rounds to the
nearest f32 as a `.tf` literal does); NumPy arrays keep their dtype, and one
of another dtype is an error saying how to convert it, unless the program was
compiled with `cast_inputs=True`, which converts arrays with NumPy's `astype`
(what `jax.numpy.asarray(x, dtype)` does)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tfir.dialects.dtypes import DTYPES, element_type, from_numpy, to_numpy
from tfir.errors import InputError, did_you_mean
from tfir.frontend import ast
from tfir.frontend.dims import eval_dim


def _fmt(p: ast.Param) -> str:
    t = p.type
    assert isinstance(t, ast.TensorTypeExpr)
    return f"{t.dtype}[{', '.join(map(str, t.dims))}]"


def input_array(p: ast.Param, value: Any, cast_inputs: bool = False) -> np.ndarray:
    """The array for tensor parameter `p`. Python values (scalars, lists, tuples) take the
    declared dtype when their values are exactly representable in it; arrays keep
    theirs unless `cast_inputs` (checked against the declared dtype later)."""
    want = p.type.dtype if isinstance(p.type, ast.TensorTypeExpr) else None
    if _is_python(value):
        return _from_python(p, value, want)
    try:
        arr = np.asarray(value)
    except Exception as err:  # noqa: BLE001 - anything not array-like is an input error
        raise InputError(f"parameter '{p.name}' expects an array, got {type(value).__name__}: {err}") from None
    if cast_inputs and want is not None and from_numpy(arr.dtype) != want:
        arr = arr.astype(to_numpy(want))  # asked for: NumPy's conversion, as jax.numpy.asarray does
    if from_numpy(arr.dtype) is None:
        raise InputError(f"parameter '{p.name}' got an array of dtype {arr.dtype}, "
                         f"which .tf does not have (one of {', '.join(DTYPES)})")
    return arr


def _is_python(value: Any) -> bool:
    return isinstance(value, bool | int | float | list | tuple) and not isinstance(value, np.generic)


def _from_python(p: ast.Param, value: Any, want: str | None) -> np.ndarray:
    what = f"the {type(value).__name__} {_short(value)}"
    try:
        arr = np.asarray(value)
    except ValueError as err:  # a ragged nesting
        raise InputError(f"parameter '{p.name}' got {what}, which is not an array: {err}") from None
    if arr.dtype.kind not in "biuf":
        raise InputError(f"parameter '{p.name}' got {what}, which is not an array of numbers or bools")
    if want is None or from_numpy(arr.dtype) == want:
        return arr if from_numpy(arr.dtype) is not None else arr.astype(np.float64)
    target = to_numpy(want)
    why = _inexact(arr, target)
    if why:
        raise InputError(f"parameter '{p.name}' expects {_fmt(p)}; {what} cannot be converted to {want} "
                         f"exactly: {why}")
    return arr.astype(target)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _inexact(arr: np.ndarray, target: np.dtype) -> str:
    """Why the values of `arr` are not exactly representable in `target`, or ''."""
    if target.kind == "b":
        return "" if arr.dtype.kind == "b" else "numbers are not bools (pass True or False)"
    with np.errstate(over="ignore", invalid="ignore"):  # the overflow is what is checked
        converted = arr.astype(target)
    name = from_numpy(target)
    if target.kind == "f":
        # A Python float rounds to the nearest f32/f16, as a literal in .tf does; an
        # integer must survive, and nothing may overflow.
        lost = ~np.isfinite(converted) | ((arr.dtype.kind != "f") & (converted.astype(np.float64) != arr))
        if lost.any():
            bad = arr[lost].flat[0]
            return f"{bad} {'overflows' if not np.isfinite(converted[lost].flat[0]) else 'is not exact in'} {name}"
        return ""
    info = np.iinfo(target)
    if arr.dtype.kind == "f":
        nonint = ~np.isfinite(arr) | (arr != np.floor(arr))
        if nonint.any():
            return f"{arr[nonint].flat[0]} is not an integer"
    big = (arr < info.min) | (arr > info.max)
    if big.any():
        return f"{arr[big].flat[0]} does not fit in {name}"
    return ""


def bind_inputs(fn: ast.FnDef, args: tuple[Any, ...], kwargs: dict[str, Any],
                cast_inputs: bool = False) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and static values of a call of `fn`; with `cast_inputs`, arrays of
    another dtype than a parameter declares are converted to it instead of rejected."""
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
        arr = input_array(p, given[p.name], cast_inputs)
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
        np_name = to_numpy(t.dtype).name
        raise InputError(f"parameter '{p.name}' expects dtype {t.dtype} ({_fmt(p)}), got an array of "
                         f"dtype {arr.dtype}: convert it with {p.name}.astype(np.{np_name}), or compile "
                         f"with cast_inputs=True to have tfir convert arrays")
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


MAX_RANDOM_ELEMENTS = 1 << 28  # 1 GiB of f32: larger seeded inputs are a mistake, not a wait


def random_inputs(fn: ast.FnDef, given: dict[str, np.ndarray], dims: dict[str, int], seed: int) -> dict[str, Any]:
    """Seeded random arrays for the tensor inputs not given, of their declared shapes
    (dimension expressions evaluated with `dims`, the given arrays and static defaults)."""
    rng = np.random.default_rng(seed)
    bound = dict(dims)
    for p in fn.params:
        if p.name in given and isinstance(p.type, ast.TensorTypeExpr):
            for d, size in zip(p.type.dims, np.shape(given[p.name]), strict=False):
                if isinstance(d, str):
                    bound.setdefault(d, size)
    statics = {p.name: p.default.value for p in fn.params
               if isinstance(p.type, ast.StaticType) and isinstance(p.default, ast.IntLit)}
    statics.update({n: v for n, v in given.items() if isinstance(v, int)})
    out: dict[str, Any] = dict(given)
    for p in fn.params:
        if p.name in given or p.is_static:
            continue
        if p.type is None:
            raise InputError(f"parameter '{p.name}' has no declared type: pass --input {p.name}=FILE.npy")
        shape = []
        for d in p.type.dims:
            names = [d] if isinstance(d, str) else d.names() if isinstance(d, ast.DimBinary) else []
            missing = [n for n in names if n not in bound and n not in statics]
            if missing:
                raise InputError(f"the size of dimension {missing[0]} (parameter '{p.name}') is unknown: "
                                 f"pass --dim {missing[0]}=SIZE")
            size = eval_dim(d, lambda n: bound.get(n, statics.get(n)))
            if not isinstance(size, int) or size < 0:
                raise InputError(f"dimension {d} of parameter '{p.name}' has no size >= 0 ({size})")
            shape.append(size)
        if math.prod(shape) > MAX_RANDOM_ELEMENTS:
            raise InputError(f"parameter '{p.name}' would get {math.prod(shape)} random values: more than "
                             f"{MAX_RANDOM_ELEMENTS}; pass --input {p.name}=FILE.npy")
        out[p.name] = random_array(rng, p.type.dtype, tuple(shape))
    return out


def random_array(rng: np.random.Generator, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    elem = element_type(dtype)
    if elem.kind == "bool":
        return rng.random(shape) < 0.5
    if elem.kind == "int":
        return rng.integers(-10, 10, shape).astype(elem.numpy)
    return rng.standard_normal(shape).astype(elem.numpy)
