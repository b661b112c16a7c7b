"""`tdemo`: a dialect local to the plugin tests (registered on import), with
ops for each way a lowering can go wrong; and helpers that compile a `.tf`
source using it and read the place of the first diagnostic."""

from __future__ import annotations

import numpy as np
import pytest

import tfir
from tfir.dialects.registry import TType
from tfir.errors import CompileError
from tfir.frontend.driver import build_entry
from tfir.plugin import Dialect, DType, same_as

# A dialect local to these tests.
tdemo = Dialect("tdemo")


def _row_shape(call):
    (x,) = call.tensors
    if x.rank != 2:
        raise ValueError(f"needs a matrix, got {x}")
    return [TType(x.dtype, x.shape[:1]), TType(x.dtype, x.shape[:1])]


@tdemo.op(shape=_row_shape, results=2)
def row_range(x):
    """(min, max) of each row."""
    return x.min(axis=1), x.max(axis=1)


@row_range.decompose
def _row_range_tf(b, x):
    return b.min(x, axis=1), b.max(x, axis=1)


@tdemo.op(shape=lambda call: [TType(call.attrs["dtype"], call.tensors[0].shape)])
def scaled_cast(x, *, dtype: DType, scale: float = 2.0, axes: list[int] | None = None):
    return (x * scale).astype({"f64": np.float64, "i32": np.int32, "f32": np.float32}[dtype])


@scaled_cast.decompose
def _scaled_cast_tf(b, x, *, dtype, scale, axes):
    return b.cast(b.mul(x, scale), dtype=dtype)


@tdemo.op(shape=same_as("x"))
def numpy_only(x):
    return x + 1


def _numpy_only_impl(x, out):
    np.add(x, 1, out=out)


numpy_only.numpy(_numpy_only_impl)


@tdemo.op(shape=same_as("x"))
def nothing(x):
    return x


@tdemo.op(shape=same_as("x"))
def bad_decomposition(x):
    return x


bad_decomposition.decompose("fn bad_decomposition(x) { return sum(x); }")


@tdemo.op(shape=same_as("x"))
def norm_twice(x, w, *, eps: float = 1e-6):
    """rms_norm applied twice: a decomposition that calls another custom op."""
    from tfir_mylib import rms_norm

    return rms_norm(rms_norm(x, w, eps=eps), w, eps=eps)


@norm_twice.decompose
def _norm_twice_tf(b, x, w, *, eps):
    return b.call("mylib.rms_norm", b.call("mylib.rms_norm", x, w, eps=eps), w, eps=eps)


@tdemo.op(shape=same_as("x"))
def loops(x):
    return x


@loops.decompose
def _loops_tf(b, x):
    return b.call("tdemo.loops", b.neg(x))


def compile_error(source: str, target: str = "eager") -> CompileError:
    with pytest.raises(CompileError) as info:
        prog = tfir.compile_source(source, "t.tf", target=target)
        prog[prog.entries[-1]](np.ones((2, 3), np.float32), np.ones(3, np.float32))
    return info.value


def where(err: CompileError) -> tuple[int, int, str]:
    d = err.diagnostics[0]
    return d.line, d.column, d.message


def build_module(source: str, types: dict[str, TType]):
    prog = tfir.compile_source(source, "t.tf", target="eager")
    return build_entry(prog.frontend, prog.entries[-1], types, {})


def identity(x):
    return x
