"""Run scalar-loop IR (stage `scalar-loops`, or tiled loops lowered to it) on
NumPy inputs with xDSL's interpreter, for differential tests.

xDSL's interpreter keeps memrefs contiguous and lacks views, `memref.copy`,
`scf.parallel`, `arith.divf` and most `math` ops. This module registers
implementations of those on a strided memref backed by a flat NumPy array,
so views alias their source exactly as in MLIR. A view's offset is computed
at run time from its operands and checked against the static offset of its
result type, which also checks the layouts the passes compute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.dialects import arith, memref, scf
from xdsl.dialects import math as xmath
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    IntegerType,
    MemRefType,
    ModuleOp,
)
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    ReturnedValues,
    TerminatorValue,
    impl,
    impl_terminator,
    register_impls,
)
from xdsl.interpreters import arith as iarith
from xdsl.interpreters import builtin as ibuiltin
from xdsl.interpreters import func as ifunc
from xdsl.interpreters import memref as imemref
from xdsl.interpreters import scf as iscf
from xdsl.traits import SymbolTable

from tfir.lowering.utils.memref_views import rank_reduction_keep


def np_dtype(t: Any) -> np.dtype:
    match t:
        case Float16Type():
            return np.dtype(np.float16)
        case Float32Type():
            return np.dtype(np.float32)
        case Float64Type():
            return np.dtype(np.float64)
        case IntegerType():
            width = t.width.data
            return np.dtype(np.bool_ if width == 1 else f"int{width}")
    raise NotImplementedError(str(t))


@dataclass
class StridedMemref:
    base: np.ndarray  # flat
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]

    @staticmethod
    def fresh(t: MemRefType) -> StridedMemref:
        shape = tuple(t.get_shape())
        base = np.zeros(max(1, math.prod(shape)), dtype=np_dtype(t.get_element_type()))
        return StridedMemref.of_array(base[: math.prod(shape)].reshape(shape))

    @staticmethod
    def of_array(array: np.ndarray) -> StridedMemref:
        flat = np.ascontiguousarray(array).reshape(-1).copy()
        shape = tuple(array.shape)
        strides = tuple(int(s) for s in np.cumprod((1, *shape[::-1]))[:-1][::-1])
        return StridedMemref(flat, 0, shape, strides)

    def _at(self, indices: tuple[int, ...]) -> int:
        assert len(indices) == len(self.shape), (indices, self.shape)
        for i, n in zip(indices, self.shape, strict=True):
            assert 0 <= i < n, f"index {indices} out of bounds {self.shape}"
        return self.offset + sum(i * s for i, s in zip(indices, self.strides, strict=True))

    def load(self, indices: tuple[int, ...]) -> Any:
        # Integers as Python ints, as xDSL's arith implementations (which
        # wrap to the bit width themselves) expect.
        value = self.base[self._at(indices)]
        if self.base.dtype == np.bool_:
            return bool(value)
        if np.issubdtype(self.base.dtype, np.integer):
            return int(value)
        return value

    def store(self, indices: tuple[int, ...], value: Any) -> None:
        if np.issubdtype(self.base.dtype, np.integer):
            value = np.array(int(value)).astype(self.base.dtype)  # wraps
        self.base[self._at(indices)] = value

    def to_numpy(self) -> np.ndarray:
        out = np.empty(self.shape, dtype=self.base.dtype)
        for idx in np.ndindex(*self.shape):
            out[idx] = self.load(idx)
        return out


def _type_strides(t: MemRefType) -> tuple[tuple[int, ...], int | None]:
    strides = t.get_strides()
    assert strides is not None and all(s is not None for s in strides), t
    return tuple(strides), t.get_offset()  # type: ignore[arg-type]


def _view(src: StridedMemref, t: MemRefType, offset: int) -> StridedMemref:
    strides, static_offset = _type_strides(t)
    if static_offset is not None:
        assert static_offset == offset, f"type {t} says offset {static_offset}, is {offset}"
    return StridedMemref(src.base, offset, tuple(t.get_shape()), strides)


def _dense_values(attr: DenseIntOrFPElementsAttr, t: MemRefType) -> np.ndarray:
    values = np.array(attr.get_values(), dtype=np_dtype(t.get_element_type()))
    shape = tuple(t.get_shape())
    if values.size == 1 and math.prod(shape) != 1:
        values = np.full(shape, values.reshape(-1)[0])
    return values.reshape(shape)


@register_impls
class StridedMemrefFunctions(InterpreterFunctions):
    @impl(memref.AllocOp)
    def run_alloc(self, interp: Interpreter, op: memref.AllocOp, args: PythonValues):
        return (StridedMemref.fresh(op.memref.type),)

    @impl(memref.LoadOp)
    def run_load(self, interp: Interpreter, op: memref.LoadOp, args: PythonValues):
        ref, *indices = args
        return (ref.load(tuple(indices)),)

    @impl(memref.StoreOp)
    def run_store(self, interp: Interpreter, op: memref.StoreOp, args: PythonValues):
        value, ref, *indices = args
        ref.store(tuple(indices), value)
        return ()

    @impl(memref.GetGlobalOp)
    def run_get_global(self, interp: Interpreter, op: memref.GetGlobalOp, args: PythonValues):
        glob = SymbolTable.lookup_symbol(op, op.name_)
        assert isinstance(glob, memref.GlobalOp)
        array = _dense_values(glob.initial_value, op.memref.type)  # type: ignore[arg-type]
        ref = StridedMemref.of_array(array)
        ref.base.flags.writeable = False  # constants are never written
        return (ref,)

    @impl(memref.SubviewOp)
    def run_subview(self, interp: Interpreter, op: memref.SubviewOp, args: PythonValues):
        src: StridedMemref = args[0]
        dynamic = list(args[1 : 1 + len(op.offsets)])
        offsets = [o if o != DYNAMIC_INDEX else dynamic.pop(0)
                   for o in op.static_offsets.get_values()]
        offset = src.offset + sum(o * s for o, s in zip(offsets, src.strides, strict=True))
        t = op.result.type
        sizes = list(op.static_sizes.get_values())
        keep = rank_reduction_keep(sizes, t.get_shape())
        steps = list(op.static_strides.get_values())
        expect = tuple(src.strides[i] * steps[i] for i in keep)
        ref = _view(src, t, offset)  # type: ignore[arg-type]
        assert ref.strides == expect, (ref.strides, expect)
        return (ref,)

    @impl(memref.CollapseShapeOp)
    def run_collapse(self, interp: Interpreter, op: memref.CollapseShapeOp, args: PythonValues):
        return (_view(args[0], op.result.type, args[0].offset),)  # type: ignore[arg-type]

    @impl(memref.ExpandShapeOp)
    def run_expand(self, interp: Interpreter, op: memref.ExpandShapeOp, args: PythonValues):
        return (_view(args[0], op.result.type, args[0].offset),)  # type: ignore[arg-type]

    @impl(memref.CopyOp)
    def run_copy(self, interp: Interpreter, op: memref.CopyOp, args: PythonValues):
        src, dst = args
        for idx in np.ndindex(*src.shape):
            dst.store(idx, src.load(idx))
        return ()

    @impl(scf.ParallelOp)
    def run_parallel(self, interp: Interpreter, op: scf.ParallelOp, args: PythonValues):
        n = len(op.lowerBound)
        lbs, ubs, steps = args[:n], args[n : 2 * n], args[2 * n : 3 * n]
        ranges = [range(lb, ub, st) for lb, ub, st in zip(lbs, ubs, steps, strict=True)]
        for ivs in np.ndindex(*(len(r) for r in ranges)):
            values = tuple(r[i] for r, i in zip(ranges, ivs, strict=True))
            interp.run_ssacfg_region(op.body, values, "parallel")
        return ()

    @impl_terminator(scf.ReduceOp)
    def run_reduce(
        self, interp: Interpreter, op: scf.ReduceOp, args: PythonValues
    ) -> tuple[TerminatorValue, PythonValues]:
        return ReturnedValues(()), ()


def _unary(fn):
    def run(self, interp: Interpreter, op: Any, args: PythonValues):
        return (type(args[0])(fn(args[0])) if isinstance(args[0], np.generic) else fn(args[0]),)

    return run


def _binary(fn):
    def run(self, interp: Interpreter, op: Any, args: PythonValues):
        return (fn(args[0], args[1]),)

    return run


def _scalar_of(t: Any, value: Any) -> Any:
    """`value` as the interpreter holds a scalar of type `t`: Python ints
    (wrapped to the width) and bools for integers, NumPy scalars for floats."""
    dtype = np_dtype(t)
    if dtype == np.bool_:
        return bool(int(value) & 1)
    if np.issubdtype(dtype, np.integer):
        width = t.width.data
        v = int(np.trunc(value)) if isinstance(value, float | np.floating) else int(value)
        v %= 1 << width
        return v - (1 << width) if v >= 1 << (width - 1) else v
    return dtype.type(value)


def _cast(self, interp: Interpreter, op: Any, args: PythonValues):
    return (_scalar_of(op.result.type, args[0]),)


def _cast_unsigned(self, interp: Interpreter, op: Any, args: PythonValues):
    width = op.input.type.width.data
    return (_scalar_of(op.result.type, int(args[0]) % (1 << width)),)


def _ipowi(a: int, b: int) -> int:
    assert b >= 0, "negative integer power"
    return a**b


@register_impls
class ScalarFunctions(InterpreterFunctions):
    """arith / math ops the stock interpreter lacks."""

    run_divf = impl(arith.DivfOp)(_binary(lambda a, b: np.divide(a, b)))
    run_divsi = impl(arith.DivSIOp)(_binary(lambda a, b: int(np.trunc(a / b))))
    run_maxsi = impl(arith.MaxSIOp)(_binary(max))
    run_minsi = impl(arith.MinSIOp)(_binary(min))
    run_negf = impl(arith.NegfOp)(_unary(lambda a: -a))
    run_exp = impl(xmath.ExpOp)(_unary(np.exp))
    run_log = impl(xmath.LogOp)(_unary(np.log))
    run_sqrt = impl(xmath.SqrtOp)(_unary(np.sqrt))
    run_rsqrt = impl(xmath.RsqrtOp)(_unary(lambda a: 1 / np.sqrt(a)))
    run_tanh = impl(xmath.TanhOp)(_unary(np.tanh))
    run_absf = impl(xmath.AbsFOp)(_unary(np.abs))
    run_powf = impl(xmath.PowFOp)(_binary(lambda a, b: np.power(a, b)))
    run_ipowi = impl(xmath.IPowIOp)(_binary(_ipowi))
    run_sin = impl(xmath.SinOp)(_unary(np.sin))
    run_cos = impl(xmath.CosOp)(_unary(np.cos))
    run_floor = impl(xmath.FloorOp)(_unary(np.floor))
    run_ceil = impl(xmath.CeilOp)(_unary(np.ceil))
    run_erf = impl(xmath.ErfOp)(_unary(math.erf))
    run_absi = impl(xmath.AbsIOp)(_unary(abs))
    run_log1p = impl(xmath.Log1pOp)(_unary(np.log1p))
    run_expm1 = impl(xmath.ExpM1Op)(_unary(np.expm1))
    run_tan = impl(xmath.TanOp)(_unary(np.tan))
    run_atan = impl(xmath.AtanOp)(_unary(np.arctan))
    run_atan2 = impl(xmath.Atan2Op)(_binary(np.arctan2))
    run_sitofp = impl(arith.SIToFPOp)(_cast)
    run_uitofp = impl(arith.UIToFPOp)(_cast_unsigned)
    run_extui = impl(arith.ExtUIOp)(_cast_unsigned)
    run_fptosi = impl(arith.FPToSIOp)(_cast)
    run_extf = impl(arith.ExtFOp)(_cast)
    run_truncf = impl(arith.TruncFOp)(_cast)
    run_extsi = impl(arith.ExtSIOp)(_cast)
    run_trunci = impl(arith.TruncIOp)(_cast)


def run_function(module: ModuleOp, name: str, *inputs: np.ndarray) -> list[np.ndarray]:
    """Call `name` in a scalar-loop module on NumPy arrays; results as NumPy."""
    interp = Interpreter(module)
    for funcs in (
        iarith.ArithFunctions(),
        ibuiltin.BuiltinFunctions(),
        ifunc.FuncFunctions(),
        imemref.MemRefFunctions(),
        iscf.ScfFunctions(),
    ):
        interp.register_implementations(funcs)
    interp.register_implementations(StridedMemrefFunctions(), override=True)
    interp.register_implementations(ScalarFunctions(), override=True)
    args = []
    for array in inputs:
        ref = StridedMemref.of_array(np.asarray(array))
        ref.base.flags.writeable = False  # entry arguments are only read
        args.append(ref)
    results = interp.call_op(name, tuple(args))
    return [r.to_numpy() if isinstance(r, StridedMemref) else r for r in results]
