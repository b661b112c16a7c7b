"""A small NumPy reference interpreter for linalg-on-tensors IR (stage
`linalg`, docs/ir-levels.md section 2), to check lowerings numerically
without the rest of the pipeline.

`run(module, name, *arrays)` runs `func.func @name` and returns its results
as NumPy arrays. A `linalg.generic` is evaluated vectorized over its parallel
dims and in order over its reduction dims (so running-value bodies such as
argmax see the elements in order); its body's `arith` / `math` ops act on
whole NumPy arrays of the op's element type. `tensor.empty` yields poison
(NaN, or a large integer) so that reading an uninitialized `outs` shows up.
Integer division ops assert that their divisor is neither 0 nor, with
`INT_MIN`, -1 (undefined in MLIR). Keep shapes small.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IndexType,
    IntegerAttr,
    ModuleOp,
    TensorType,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
)

from tfir.dialects.dtypes import numpy_dtype_of

Array = np.ndarray


def dtype_of(typ: Attribute) -> np.dtype:
    if isinstance(typ, IndexType):
        return np.dtype(np.int64)
    return numpy_dtype_of(typ)


def _poison(shape: Sequence[int], dtype: np.dtype) -> Array:
    if dtype.kind == "f":
        return np.full(shape, np.nan, dtype)
    if dtype.kind == "b":
        return np.full(shape, True)
    return np.full(shape, 0x5A5A5A5A, dtype)


def _constant(attr: Attribute, typ: Attribute) -> Array:
    if isinstance(attr, DenseIntOrFPElementsAttr):
        assert isinstance(typ, TensorType)
        dtype = dtype_of(typ.get_element_type())
        return np.array(attr.get_values(), dtype=dtype).reshape(typ.get_shape())
    assert isinstance(attr, IntegerAttr | FloatAttr)
    return np.array(attr.value.data, dtype=dtype_of(typ))


def _affine(expr: AffineExpr, dims: Sequence[Any]) -> Any:
    if isinstance(expr, AffineDimExpr):
        return dims[expr.position]
    if isinstance(expr, AffineConstantExpr):
        return expr.value
    assert isinstance(expr, AffineBinaryOpExpr)
    lhs, rhs = _affine(expr.lhs, dims), _affine(expr.rhs, dims)
    match expr.kind:
        case AffineBinaryOpKind.Add:
            return lhs + rhs
        case AffineBinaryOpKind.Mul:
            return lhs * rhs
        case AffineBinaryOpKind.FloorDiv:
            return lhs // rhs
        case AffineBinaryOpKind.CeilDiv:
            return -(-lhs // rhs)
        case AffineBinaryOpKind.Mod:
            return lhs % rhs
    raise NotImplementedError(str(expr))


def _check_divisor(a: Array, b: Array) -> None:
    assert not np.any(b == 0), "integer division by zero (undefined in MLIR)"
    lo = np.iinfo(a.dtype).min
    assert not np.any((a == lo) & (b == -1)), "INT_MIN / -1 (undefined in MLIR)"


def _ipowi(a: Array, b: Array) -> Array:
    a, b = np.broadcast_arrays(a, b)
    out = np.empty(a.shape, a.dtype)
    for i in np.ndindex(a.shape):
        base, exp = int(a[i]), int(b[i])
        if exp < 0:  # integer x ** -n: 1 / x ** n rounded toward zero
            value = 1 if base == 1 else (-1) ** (-exp) if base == -1 else 0
        else:
            value = pow(base, exp)
        out[i] = np.array(value).astype(a.dtype) if -(2**63) <= value < 2**63 else 0
    return out


def _unsigned(x: Array) -> Array:
    return x if x.dtype == bool else x.view(np.dtype(f"u{x.dtype.itemsize}"))


_CMPI: dict[int, Callable[[Array, Array], Array]] = {
    0: np.equal, 1: np.not_equal, 2: np.less, 3: np.less_equal, 4: np.greater, 5: np.greater_equal,
    6: lambda a, b: _unsigned(a) < _unsigned(b), 7: lambda a, b: _unsigned(a) <= _unsigned(b),
    8: lambda a, b: _unsigned(a) > _unsigned(b), 9: lambda a, b: _unsigned(a) >= _unsigned(b),
}


def _cmpf(pred: int, a: Array, b: Array) -> Array:
    unordered = np.isnan(a) | np.isnan(b)
    base = {1: a == b, 2: a > b, 3: a >= b, 4: a < b, 5: a <= b, 6: a != b}
    match pred:
        case 0:
            return np.zeros(np.broadcast(a, b).shape, bool)
        case 15:
            return np.ones(np.broadcast(a, b).shape, bool)
        case 7:
            return ~unordered
        case 14:
            return unordered
        case p if p < 7:
            return base[p] & ~unordered
        case p:
            return base[p - 7] | unordered


def _erf(x: Array) -> Array:
    return np.vectorize(math.erf, otypes=[np.float64])(x.astype(np.float64))


def _int_floordiv(a: Array, b: Array) -> Array:
    _check_divisor(a, b)
    return np.floor_divide(a, b)


def _int_div(a: Array, b: Array) -> Array:
    _check_divisor(a, b)
    q = np.abs(a) // np.abs(b)
    return np.where((a < 0) != (b < 0), -q, q)


def _int_rem(a: Array, b: Array) -> Array:
    _check_divisor(a, b)
    return np.fmod(a, b)


_SCALAR: dict[str, Callable[..., Array]] = {
    **{f"arith.{n}": f for n, f in {
        "addf": np.add, "addi": np.add, "subf": np.subtract, "subi": np.subtract,
        "mulf": np.multiply, "muli": np.multiply, "divf": np.divide,
        "divsi": _int_div, "floordivsi": _int_floordiv, "remsi": _int_rem,
        "maximumf": np.maximum, "minimumf": np.minimum, "maxnumf": np.fmax, "minnumf": np.fmin,
        "maxsi": np.maximum, "minsi": np.minimum, "andi": np.bitwise_and, "ori": np.bitwise_or,
        "xori": np.bitwise_xor, "negf": np.negative, "select": np.where,
    }.items()},
    **{f"math.{n}": f for n, f in {
        "absf": np.abs, "absi": np.abs, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
        "rsqrt": lambda x: 1 / np.sqrt(x), "tanh": np.tanh, "sin": np.sin, "cos": np.cos,
        "floor": np.floor, "ceil": np.ceil, "erf": _erf, "powf": np.power, "ipowi": _ipowi,
    }.items()},
}
_CASTS = {"extf", "truncf", "sitofp", "uitofp", "fptosi", "extsi", "extui", "trunci", "index_cast"}


def eval_scalar_op(op: Operation, args: list[Array]) -> Array:
    """One `arith` / `math` op applied elementwise to arrays."""
    dtype = dtype_of(op.results[0].type)
    name = op.name
    if name == "arith.constant":
        return _constant(op.properties["value"], op.results[0].type)
    if name.removeprefix("arith.") in _CASTS:
        return np.asarray(args[0]).astype(dtype)
    if name == "arith.cmpi":
        return _CMPI[op.properties["predicate"].value.data](*args)  # type: ignore[attr-defined]
    if name == "arith.cmpf":
        return _cmpf(op.properties["predicate"].value.data, *args)  # type: ignore[attr-defined]
    if name not in _SCALAR:
        raise NotImplementedError(f"reference interpreter: no {name}")
    return np.asarray(_SCALAR[name](*args)).astype(dtype, copy=False)


class Interpreter:
    """Runs the functions of one module."""

    def __init__(self, module: ModuleOp):
        self.funcs = {f.sym_name.data: f for f in module.ops if isinstance(f, func.FuncOp)}

    def run(self, name: str, *arrays: Array) -> list[Array]:
        fn = self.funcs[name]
        env: dict[SSAValue, Array] = {}
        for arg, array in zip(fn.body.block.args, arrays, strict=True):
            env[arg] = np.asarray(array, dtype=dtype_of(arg.type.get_element_type()))  # type: ignore[attr-defined]
        for op in fn.body.block.ops:
            if isinstance(op, func.ReturnOp):
                return [env[v] for v in op.arguments]
            results = self.exec(op, [env[v] for v in op.operands])
            env.update(zip(op.results, results, strict=True))
        raise AssertionError(f"@{name} has no func.return")

    def exec(self, op: Operation, args: list[Array]) -> list[Array]:
        typ = op.results[0].type if op.results else None
        match op.name:
            case "tensor.empty":
                assert isinstance(typ, TensorType)
                return [_poison(typ.get_shape(), dtype_of(typ.get_element_type()))]
            case "linalg.fill":
                return [np.full(args[1].shape, args[0], dtype=args[1].dtype)]
            case "linalg.matmul":
                a, b, c = args
                with np.errstate(all="ignore"):
                    return [(c + np.matmul(a, b)).astype(c.dtype)]
            case "linalg.transpose":
                perm = op.properties["permutation"].get_values()  # type: ignore[attr-defined]
                return [np.transpose(args[0], perm).copy()]
            case "tensor.collapse_shape" | "tensor.expand_shape":
                assert isinstance(typ, TensorType)
                return [args[0].reshape(typ.get_shape())]
            case "tensor.extract_slice":
                return [args[0][self._slices(op)].copy()]
            case "tensor.insert_slice":
                dest = args[1].copy()
                dest[self._slices(op)] = args[0]
                return [dest]
            case "linalg.generic":
                return self.generic(op, args)
            case "linalgx.check_index":
                return [_check_index(op, args[0])]
            case "linalgx.gather" | "linalgx.scatter":
                return [_gather_scatter(op, *args)]
        with np.errstate(all="ignore"):
            return [eval_scalar_op(op, args)]

    @staticmethod
    def _slices(op: Operation) -> tuple[slice, ...]:
        offsets, sizes, strides = (op.properties[k].get_values()  # type: ignore[attr-defined]
                                   for k in ("static_offsets", "static_sizes", "static_strides"))
        return tuple(slice(o, o + (n - 1) * s + 1, s) if n else slice(o, o)
                     for o, n, s in zip(offsets, sizes, strides, strict=True))

    def generic(self, op: Operation, args: list[Array]) -> list[Array]:
        n_in = len(op.inputs)  # type: ignore[attr-defined]
        maps = [m.data for m in op.indexing_maps]  # type: ignore[attr-defined]
        ranges = op.get_static_loop_ranges()  # type: ignore[attr-defined]
        kinds = [it.data.value for it in op.iterator_types]  # type: ignore[attr-defined]
        par = [d for d, k in enumerate(kinds) if k == "parallel"]
        red = [d for d, k in enumerate(kinds) if k != "parallel"]
        par_shape = tuple(ranges[d] for d in par)
        grids = np.indices(par_shape, dtype=np.int64) if par_shape else []
        outs = [a.copy() for a in args[n_in:]]
        for point in itertools.product(*(range(ranges[d]) for d in red)):
            dims: list[Any] = [None] * len(ranges)
            for k, d in enumerate(par):
                dims[d] = grids[k]
            for k, d in enumerate(red):
                dims[d] = np.full(par_shape, point[k], np.int64)
            values = [a[tuple(_affine(e, dims) for e in m.results)]
                      for a, m in zip([*args[:n_in], *outs], maps, strict=True)]
            yielded = self.body(op.body.block, values, dims, par_shape)  # type: ignore[attr-defined]
            for out, m, value in zip(outs, maps[n_in:], yielded, strict=True):
                out[tuple(_affine(e, dims) for e in m.results)] = np.broadcast_to(value, par_shape)
        return outs

    def body(self, block: Block, values: list[Array], dims: list[Any], shape: tuple[int, ...]) -> list[Array]:
        env: dict[SSAValue, Array] = dict(zip(block.args, values, strict=True))
        for op in block.ops:
            if op.name == "linalg.yield":
                return [env[v] for v in op.operands]
            if op.name == "linalg.index":
                result = np.broadcast_to(dims[op.properties["dim"].value.data], shape)  # type: ignore[attr-defined]
            else:
                with np.errstate(all="ignore"):
                    result = eval_scalar_op(op, [env[v] for v in op.operands])
            env[op.results[0]] = result
        raise AssertionError("linalg.generic body without linalg.yield")


def _check_index(op: Operation, indices: Array) -> Array:
    """`linalgx.check_index`: the indices, when each is in range."""
    size = op.attributes["size"].value.data  # type: ignore[attr-defined]
    low = -size if op.attributes["negative"].value.data else 0  # type: ignore[attr-defined]
    bad = (indices < low) | (indices >= size)
    if bad.any():
        raise IndexError(f"index {indices[bad].flat[0]} out of range for size {size}")
    return indices.copy()


def _gather_scatter(op: Operation, first: Array, indices: Array, dest: Array) -> Array:
    """`linalgx.gather` (`np.take`, or `np.take_along_axis` with `along`) and
    `linalgx.scatter` (`dest[..., indices, ...] = updates`, `+=` with `accumulate`)."""
    axis = op.attributes["axis"].value.data  # type: ignore[attr-defined]
    indices = indices.astype(np.int64)
    if op.name == "linalgx.gather":
        along = op.attributes["along"].value.data  # type: ignore[attr-defined]
        got = np.take_along_axis(first, indices, axis) if along else np.take(first, indices, axis)
        return np.asarray(got, dtype=dest.dtype)
    out = dest.copy()
    where = (slice(None),) * axis + (indices,)
    if op.attributes["accumulate"].value.data:  # type: ignore[attr-defined]
        np.add.at(out, where, first)
    else:
        out[where] = first
    return out


def run(module: ModuleOp, name: str, *arrays: Array) -> list[Array]:
    return Interpreter(module).run(name, *arrays)
