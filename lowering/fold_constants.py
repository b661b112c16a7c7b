"""`fold-constants`: evaluate `tf` ops whose operands are all constants.

Precondition: the `tf` form (docs/ir-levels.md, level 1), after `inline-calls`.

A `tf` op all of whose operands are defined by `tf.constant` or `tf.iota` is
evaluated with its reference NumPy implementation (the eager backend's
`run_op`, so folding computes exactly what eager execution computes, warnings
such as a division by zero included) and replaced by a `tf.constant` of its
result, which keeps the folded op's location. Folding repeats until no op
folds, so a whole constant subgraph becomes one constant.

Folding is capped at `max_elements` elements per result (and per `tf.iota`
operand): a big constant is cheaper to compute at run time than to carry in
the IR (xDSL 0.74 stores even a splat `dense<...>` attribute as all of its
elements; the printer shows it as a splat when all elements are bit-equal).
A lone `tf.iota` is not folded either: it is no cheaper as a constant.

The helpers `constant_array` and `dense_attr` convert between `dense<...>`
attributes and NumPy arrays (`i1` is stored as xDSL's parser stores `true`,
0xFF, so folded and parsed constants compare equal for CSE).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tfir.dialects import tf
from tfir.dialects.dtypes import numpy_dtype_of
from xdsl.context import Context
from xdsl.dialects.builtin import BytesAttr, DenseIntOrFPElementsAttr, ModuleOp, TensorType
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)
from xdsl.utils.exceptions import PassFailedException

DEFAULT_MAX_ELEMENTS = 1 << 16


def _numel(typ: Attribute) -> int:
    assert isinstance(typ, TensorType)
    return math.prod(typ.get_shape())


def constant_array(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The value of a `dense<...>` attribute as a (writable) NumPy array."""
    typ = attr.get_type()
    dtype = numpy_dtype_of(typ)
    shape = tuple(typ.get_shape())
    if dtype == np.bool_:
        flat = np.frombuffer(attr.data.data, dtype="<i1") != 0
    else:
        flat = np.frombuffer(attr.data.data, dtype=dtype.newbyteorder("<")).astype(dtype)
    if flat.size == 1 and math.prod(shape) != 1:
        return np.full(shape, flat[0], dtype=dtype)
    return flat.reshape(shape).copy()


def dense_attr(array: np.ndarray | float | bool, typ: TensorType) -> DenseIntOrFPElementsAttr:
    """A `dense<...>` attribute of type `typ` holding `array` (broadcast to its shape)."""
    dtype = numpy_dtype_of(typ)
    shape = tuple(typ.get_shape())
    values = np.broadcast_to(np.asarray(array).astype(dtype), shape)
    if dtype == np.bool_:
        data = np.where(values, -1, 0).astype("<i1").tobytes()
    else:
        data = np.ascontiguousarray(values, dtype=dtype.newbyteorder("<")).tobytes()
    return DenseIntOrFPElementsAttr(typ, BytesAttr(data))


def splat_scalar(value: SSAValue) -> float | int | bool | None:
    """The element of `value` if it is a `tf.constant` whose elements are all
    bit-identical (so `-0.0` and `0.0` differ), else None."""
    owner = value.owner
    if not isinstance(owner, tf.ConstantOp):
        return None
    attr = owner.value
    data = attr.data.data
    n = _numel(attr.get_type())
    if n == 0 or len(data) % n:
        return None
    size = len(data) // n
    if data != data[:size] * n:
        return None
    first = DenseIntOrFPElementsAttr(TensorType(attr.get_element_type(), []), BytesAttr(data[:size]))
    return constant_array(first).item()


def _operand_array(value: SSAValue) -> np.ndarray | None:
    owner = value.owner
    if isinstance(owner, tf.ConstantOp):
        return constant_array(owner.value)
    if isinstance(owner, tf.IotaOp):
        return np.arange(_numel(owner.result.type), dtype=numpy_dtype_of(owner.result.type))
    return None


def _run_op(op: Operation, args: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    try:
        from tfir.backends.eager import run_op
    except ImportError:
        # TEMPORARY until the eager backend lands: delete then (see _fallback_run_op).
        return (_fallback_run_op(op, args),)
    return tuple(run_op(op, args))


_UNARY = {
    "neg": np.negative, "abs": np.abs, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
    "rsqrt": lambda x: 1 / np.sqrt(x), "tanh": np.tanh, "sin": np.sin, "cos": np.cos,
    "floor": np.floor, "ceil": np.ceil, "sign": np.sign, "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "relu": lambda x: np.maximum(x, np.zeros((), x.dtype)), "logical_not": np.logical_not,
    "erf": lambda x: np.vectorize(math.erf, otypes=[x.dtype])(x),
}
_BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "pow": np.power, "maximum": np.maximum, "minimum": np.minimum, "floordiv": np.floor_divide,
    "mod": np.mod, "logical_and": np.logical_and, "logical_or": np.logical_or,
    "equal": np.equal, "not_equal": np.not_equal, "less": np.less, "less_equal": np.less_equal,
    "greater": np.greater, "greater_equal": np.greater_equal,
}
_REDUCE = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod}


def _fallback_run_op(op: Operation, args: Sequence[np.ndarray]) -> np.ndarray:
    """A stand-in for `tfir.backends.eager.run_op` while that does not exist yet."""
    kind = op.name.removeprefix("tf.")
    out_type = op.results[0].type
    assert isinstance(out_type, TensorType)
    shape = tuple(out_type.get_shape())
    attrs = {k: [int(x) for x in a.get_values()] for k, a in op.attributes.items()
             if k in ("axes", "perm", "start", "stride")}
    if kind in _UNARY:
        res = _UNARY[kind](args[0])
    elif kind in _BINARY:
        res = _BINARY[kind](*args)
    elif kind in _REDUCE:
        res = _REDUCE[kind](args[0], axis=tuple(attrs["axes"]), keepdims=True).reshape(shape)
    elif kind in ("argmax", "argmin"):
        res = getattr(np, kind)(args[0], axis=op.attributes["axis"].value.data)
    elif kind == "select":
        res = np.where(*args)
    elif kind == "cast":
        res = args[0]
    elif kind == "matmul":
        res = np.matmul(*args)
    elif kind == "transpose":
        res = np.transpose(args[0], attrs["perm"])
    elif kind in ("reshape", "broadcast_to"):
        res = np.reshape(args[0], shape) if kind == "reshape" else np.broadcast_to(args[0], shape)
    elif kind == "slice":
        index = tuple(np.arange(n) * k + s for n, k, s in zip(shape, attrs["stride"], attrs["start"], strict=True))
        res = args[0][np.ix_(*index)] if index else args[0]
    elif kind == "concat":
        res = np.concatenate(args, axis=op.attributes["axis"].value.data)
    else:
        raise NotImplementedError(f"fold-constants: no NumPy implementation of {op.name}")
    return np.asarray(res).astype(numpy_dtype_of(out_type))


@dataclass
class FoldConstantOp(RewritePattern):
    """Replaces a `tf` op on constant operands by the constant it computes."""

    max_elements: int = DEFAULT_MAX_ELEMENTS

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if not self._foldable(op):
            return
        args = [_operand_array(v) for v in op.operands]
        with np.errstate(all="ignore"):
            results = _run_op(op, args)  # type: ignore[arg-type]
        if len(results) != len(op.results):
            raise PassFailedException(
                f"fold-constants: {op.name} gave {len(results)} results, expected {len(op.results)}")
        consts: list[Operation] = []
        for result, value in zip(op.results, results, strict=True):
            array = np.asarray(value)
            assert isinstance(result.type, TensorType)
            if array.shape != tuple(result.type.get_shape()):
                raise PassFailedException(
                    f"fold-constants: {op.name} gave shape {array.shape}, expected {result.type}")
            const = tf.ConstantOp(dense_attr(array, result.type))
            const.location = op.location
            consts.append(const)
        rewriter.replace(op, consts, [c.results[0] for c in consts])

    def _foldable(self, op: Operation) -> bool:
        if op.dialect_name() != "tf" or isinstance(op, tf.ConstantOp | tf.IotaOp):
            return False
        if not op.operands or any(_numel(r.type) > self.max_elements for r in op.results):
            return False
        for v in op.operands:
            if isinstance(v.owner, tf.IotaOp):
                if _numel(v.type) > self.max_elements:
                    return False
            elif not isinstance(v.owner, tf.ConstantOp):
                return False
        return True


@dataclass(frozen=True)
class FoldConstantsPass(ModulePass):
    name = "fold-constants"

    max_elements: int = DEFAULT_MAX_ELEMENTS

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier([FoldConstantOp(self.max_elements)]),
        ).rewrite_module(op)
