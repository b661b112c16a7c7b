"""`TfBuilder`: builds `tf` ops by calling the op registry's entries, as `.tf`
code calls builtins (each call checked by the entry's shape rule).

`b.mul(x, b.rsqrt(b.mean(x * x ...)))`, `b.sum(x, axis=-1, keepdims=True)`,
`b.call("mylib.op", ...)`: every registered primitive is a method taking the
same arguments as in `.tf`; Python numbers (and NumPy arrays) given for
tensors become `tf.constant`s, of the dtype of the tensors they are unified
with. `b.add_op(op)` appends an op built by hand. The ops built are in
`b.ops`, in order. Used by `decompose-tf-ops` (and by decompositions of
custom ops).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, TensorType
from xdsl.ir import Operation, SSAValue

from tfir.dialects import registry as R
from tfir.dialects import tf
from tfir.dialects.builtins import INTERNAL
from tfir.dialects.dtypes import from_xdsl, tensor_type, to_numpy
from tfir.dialects.registry import REGISTRY, TType
from tfir.errors import did_you_mean


def ttype_of(value: SSAValue) -> TType:
    typ = value.type
    assert isinstance(typ, TensorType)
    return TType(from_xdsl(typ.get_element_type()), tuple(typ.get_shape()))


class _BuilderCall:
    """The CallInfo a shape rule sees when a builder calls a primitive."""

    def __init__(self, name: str, tensors: list[TType], attrs: dict[str, Any]):
        self.name, self.tensors, self.attrs = name, tensors, attrs

    def error(self, message: str, at: str | None = None) -> Exception:
        return ValueError(f"{self.name}: {message}" + (f" (argument '{at}')" if at else ""))


class TfBuilder:
    """Builds `tf` ops through the registry (module docstring)."""

    def __init__(self) -> None:
        self.ops: list[Operation] = []

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def add_op(self, op: Operation) -> SSAValue:
        """Appends an op built by hand; its (first) result."""
        self.ops.append(op)
        return op.results[0]

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
            elif p.kind in (R.TENSORS, R.VARIADIC):
                operands += [(p.name, v) for v in value]
            else:
                attrs[p.name] = list(value) if isinstance(value, tuple) else value
        values = self._tensors(entry.unify, operands)
        call = _BuilderCall(name, [ttype_of(v) for v in values], attrs)
        rtypes = entry.infer(call)
        built = entry.build(values, call.attrs, [tensor_type(t.dtype, t.shape) for t in rtypes])
        ops = built if isinstance(built, list) else [built]
        self.ops += ops
        last = ops[-1]
        return last.results[0] if len(last.results) == 1 else tuple(last.results)

    def constant(self, value: Any, dtype: str) -> SSAValue:
        """A `tf.constant` holding `value` (a number or an array) as `dtype`."""
        data = np.asarray(value, dtype=to_numpy(dtype))
        typ = tensor_type(dtype, data.shape)
        return self.add_op(tf.ConstantOp(DenseIntOrFPElementsAttr.from_list(typ, data.reshape(-1).tolist())))

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
    variadic = next((i for i, p in enumerate(params) if p.kind == R.VARIADIC), None)
    if variadic is not None and len(args) > variadic:
        args = [*args[:variadic], list(args[variadic:])]
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
