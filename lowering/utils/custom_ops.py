"""What custom ops (tfir/plugin.py) are lowered with, shared by the pass
`expand-custom-ops`, the pass `convert-tf-to-linalg` and the plugin layer:
`TfBuilder`, the IR builder of Python decompositions; `LINALG_LOWERINGS`, the
lowerings `convert-tf-to-linalg` applies to ops of other dialects, with the
hook that registers a custom op's linalg lowering or the call of its target
implementation (`linalg_lowering`); and the attributes that mark them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    FunctionType,
    ModuleOp,
    StringAttr,
    TensorType,
)
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint

from tfir.dialects import registry as R
from tfir.dialects import tf
from tfir.dialects.builtins import INTERNAL
from tfir.dialects.dtypes import from_xdsl, tensor_type, to_numpy
from tfir.dialects.plugins import CustomOp
from tfir.dialects.registry import REGISTRY, TType
from tfir.errors import did_you_mean
from tfir.lowering.utils.linalg_builders import Emitter

LOWERING_ATTR = "tfir.lowering"
"""Set by `expand-custom-ops` on a custom op lowered later: "linalg" or "impl"."""
EXTERNAL_ATTR = "tfir.external"
"""On the declaration a custom op's target implementation is called through."""

Lowering = Callable[[Operation, PatternRewriter], None]

LINALG_LOWERINGS: dict[str, Lowering] = {}
"""Lowerings of plugin ops, keyed by op name: `fn(op, rewriter)` replaces
`op` by linalg-level IR. Ops it creates without a location get `op`'s."""


def ttype_of(value: SSAValue) -> TType:
    typ = value.type
    assert isinstance(typ, TensorType)
    return TType(from_xdsl(typ.get_element_type()), tuple(typ.get_shape()))


# Python decompositions -----------------------------------------------------------


class _BuilderCall:
    """The CallInfo a shape rule sees when a decomposition calls a primitive."""

    def __init__(self, name: str, tensors: list[TType], attrs: dict[str, Any]):
        self.name, self.tensors, self.attrs = name, tensors, attrs

    def error(self, message: str, at: str | None = None) -> Exception:
        return ValueError(f"{self.name}: {message}" + (f" (argument '{at}')" if at else ""))


class TfBuilder:
    """Builds `tf` ops for a Python decomposition. Every primitive of the op
    registry is a method taking the same arguments as in `.tf`, checked by
    its shape rule: `b.mul(x, b.rsqrt(b.mean(x * x...)))`, `b.sum(x, axis=-1,
    keepdims=True)`; `b.call("mylib.op", ...)` calls any registered op.
    Python numbers (and NumPy arrays) given for tensors become constants."""

    def __init__(self) -> None:
        self.ops: list[Operation] = []

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """The results of primitive (or custom op) `name` on these arguments."""
        entry = REGISTRY.lookup(name)
        if entry is None or name in INTERNAL:
            names = set(REGISTRY.names()) - INTERNAL
            raise ValueError(f"no primitive '{name}'{did_you_mean(name, names)}")
        bound = _bind(name, entry.params, args, kwargs)
        operands: list[tuple[str, Any]] = []
        attrs: dict[str, Any] = {}
        for p in entry.params:
            value = bound[p.name]
            if p.kind == R.TENSOR:
                operands.append((p.name, value))
            elif p.kind == R.TENSORS:
                operands += [(p.name, v) for v in value]
            else:
                attrs[p.name] = list(value) if isinstance(value, tuple) else value
        values = self._tensors(entry.unify, operands)
        call = _BuilderCall(name, [ttype_of(v) for v in values], attrs)
        rtypes = entry.infer(call)
        op = entry.build(values, call.attrs, [tensor_type(t.dtype, t.shape) for t in rtypes])
        self.ops.append(op)
        return op.results[0] if len(op.results) == 1 else tuple(op.results)

    def constant(self, value: Any, dtype: str) -> SSAValue:
        """A `tf.constant` holding `value` (a number or an array) as `dtype`."""
        data = np.asarray(value, dtype=to_numpy(dtype))
        typ = tensor_type(dtype, data.shape)
        op = tf.ConstantOp(DenseIntOrFPElementsAttr.from_list(typ, data.reshape(-1).tolist()))
        self.ops.append(op)
        return op.results[0]

    def _tensors(self, unify: Sequence[str], operands: list[tuple[str, Any]]) -> list[SSAValue]:
        shared = next((ttype_of(v).dtype for n, v in operands if n in unify and isinstance(v, SSAValue)), None)
        out = []
        for name, v in operands:
            if isinstance(v, SSAValue):
                out.append(v)
                continue
            arr = np.asarray(v)
            default = "bool" if arr.dtype.kind == "b" else "f32" if arr.dtype.kind == "f" else "i32"
            out.append(self.constant(arr, shared if name in unify and shared else default))
        return out


def _bind(name: str, params: Sequence[R.Param], args: Sequence[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    names = [p.name for p in params]
    if len(args) > len(params):
        raise ValueError(f"'{name}' takes {len(params)} arguments, got {len(args)}")
    bound = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in names or key in bound:
            raise ValueError(f"'{name}': unexpected or repeated argument '{key}'")
        bound[key] = value
    for p in params:
        if p.name not in bound:
            if p.default is R.REQUIRED:
                raise ValueError(f"'{name}' is missing argument '{p.name}'")
            bound[p.name] = p.default
    return bound


# The convert-tf-to-linalg hook ---------------------------------------------------


def linalg_lowering(custom: CustomOp) -> None:
    """Registers how `convert-tf-to-linalg` lowers `custom` (its linalg
    lowering or a call of its target implementation)."""
    LINALG_LOWERINGS[custom.qualname] = lambda op, rewriter: _lower(custom, op, rewriter)


def _lower(custom: CustomOp, op: Operation, rewriter: PatternRewriter) -> None:
    mark = op.attributes.get(LOWERING_ATTR)
    how = mark.data if isinstance(mark, StringAttr) else custom.lowering_for(None)
    if how == "linalg" and custom.linalg is not None:
        em = Emitter(op.location)
        out = custom.linalg(em, *op.operands, **custom.attr_values(op))
        results = list(out) if isinstance(out, tuple | list) else [out]
        rewriter.replace(op, em.ops, results)
    elif how == "impl" and custom.impls:
        rewriter.replace(op, external_call(custom, op, rewriter))


def external_call(custom: CustomOp, op: Operation, rewriter: PatternRewriter) -> func.CallOp:
    """`func.call @<dialect>_<op>` to a private declaration carrying
    `tfir.external = "<dialect>.<op>"` and the op's attributes; one declaration
    per distinct signature and attributes."""
    module = op.get_toplevel_object()
    assert isinstance(module, ModuleOp)
    ftype = FunctionType.from_lists([v.type for v in op.operands], [r.type for r in op.results])
    attrs = {EXTERNAL_ATTR: StringAttr(custom.qualname)}
    attrs |= {p.name: op.attributes[p.name] for p in custom.attrs if p.name in op.attributes}
    decls = [f for f in module.ops if isinstance(f, func.FuncOp) and f.is_declaration]
    symbols = {f.sym_name.data for f in module.ops if isinstance(f, func.FuncOp)}
    decl = next((f for f in decls if f.function_type == ftype and dict(f.attributes) == attrs), None)
    if decl is None:
        symbol, n = custom.symbol, 1
        while symbol in symbols:
            symbol, n = f"{custom.symbol}_{n}", n + 1
        decl = func.FuncOp.external(symbol, ftype.inputs.data, ftype.outputs.data)
        decl.attributes.update(attrs)
        decl.location = op.location
        rewriter.insert(decl, InsertPoint.at_end(module.body.block))
    call = func.CallOp(decl.sym_name.data, list(op.operands), [r.type for r in op.results])
    call.location = op.location
    return call
