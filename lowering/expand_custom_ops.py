"""`expand-custom-ops`: ops of user dialects (tfir/plugin.py) decomposed into
`tf` primitives, or marked for the lowering that later stages apply.

Precondition: the `tf` form (docs/ir-levels.md, level 1), after `inline-calls`;
the module may hold ops of registered user dialects.

Produces: the `tf` form in which every custom op that is lowered by
decomposition for the target (option `target`, filled in by the pipeline) is
replaced by the `tf` ops of its decomposition, repeatedly, so that
decompositions may use other custom ops. Every op created keeps the location
of the custom op it replaces. A custom op that is lowered later keeps its
place and gets `tfir.lowering = "linalg"` (its linalg lowering) or `"impl"`
(a call of its hand-written target implementation), both applied by
`convert-tf-to-linalg` through `LINALG_LOWERINGS`. A custom op with no
lowering for the target is a compile error at its call in the `.tf` source
that names the op, the target and the lowerings it has.

This module also holds what those lowerings are built with: `TfBuilder` (the
IR builder of Python decompositions) and the `convert-tf-to-linalg` hook of
custom ops. Decompositions written as `.tf` functions are built by the plugin
layer (`tfir/plugin.py`), which hands the pass a callable, so that no pass
imports the frontend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    FileLineColLoc,
    FunctionType,
    ModuleOp,
    StringAttr,
    TensorType,
)
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint, Rewriter

from tfir.dialects import registry as R
from tfir.dialects import tf
from tfir.dialects.builtins import INTERNAL
from tfir.dialects.dtypes import from_xdsl, tensor_type, to_numpy
from tfir.dialects.plugins import CUSTOM_OPS, CustomOp
from tfir.dialects.registry import REGISTRY, TType
from tfir.errors import CompileError, Diagnostic, Span, did_you_mean
from tfir.lowering.convert_tf_to_linalg import LINALG_LOWERINGS
from tfir.lowering.utils.linalg_builders import Emitter

LOWERING_ATTR = "tfir.lowering"
EXTERNAL_ATTR = "tfir.external"
MAX_DEPTH = 32  # nested expansions before a decomposition is taken to expand into itself


def ttype_of(value: SSAValue) -> TType:
    typ = value.type
    assert isinstance(typ, TensorType)
    return TType(from_xdsl(typ.get_element_type()), tuple(typ.get_shape()))


# The pass ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExpandCustomOps(ModulePass):
    """Decompose custom ops into `tf` ops, or mark them for their linalg or target lowering."""

    name = "expand-custom-ops"

    target: str | None = None

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        work = [(o, 0) for o in op.walk() if o.name in CUSTOM_OPS]
        while work:
            custom_op, depth = work.pop()
            custom = CUSTOM_OPS[custom_op.name]
            how = custom.lowering_for(self.target)
            if how is None:
                has = ", ".join(custom.lowerings()) or "none"
                raise _error(custom_op, f"custom op '{custom.qualname}' has no lowering for target "
                                        f"'{self.target}'; it has: {has}")
            if how != "decompose":
                custom_op.attributes[LOWERING_ATTR] = StringAttr(how)
                continue
            if depth >= MAX_DEPTH:
                raise _error(custom_op, f"the decomposition of '{custom.qualname}' expands into itself")
            new_ops = _expand(custom, custom_op)
            work += [(o, depth + 1) for new in new_ops for o in new.walk() if o.name in CUSTOM_OPS]


def _expand(custom: CustomOp, op: Operation) -> list[Operation]:
    """Replaces `op` by its decomposition; returns the ops inserted."""
    assert custom.decomposition is not None
    try:
        new_ops, values = custom.decomposition(op)
    except CompileError as err:
        for d in err.diagnostics:
            d.notes.append(f"while expanding '{custom.qualname}' called at {_where(op)}")
        raise CompileError(err.diagnostics) from None
    except ValueError as err:
        raise _error(op, f"in the decomposition of '{custom.qualname}': {err}") from None
    if len(values) != len(op.results):
        raise _error(op, f"the decomposition of '{custom.qualname}' gives {len(values)} "
                         f"result{'s' * (len(values) != 1)}, the op has {len(op.results)}")
    for i, (v, r) in enumerate(zip(values, op.results, strict=True)):
        if not isinstance(v, SSAValue) or v.type != r.type:
            got = v.type if isinstance(v, SSAValue) else type(v).__name__
            raise _error(op, f"the decomposition of '{custom.qualname}' gives {got} for result {i}, "
                             f"but its shape rule gives {r.type}")
    for new in new_ops:
        for inner in new.walk():
            inner.location = op.location
    Rewriter.insert_op(new_ops, InsertPoint.before(op))
    for old, new_value in zip(op.results, values, strict=True):
        old.replace_all_uses_with(new_value)
    Rewriter.erase_op(op)
    return new_ops


def _where(op: Operation) -> str:
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}"
    return "an unknown location"


def _error(op: Operation, message: str) -> CompileError:
    """A diagnostic at the `.tf` call that created `op`."""
    loc = op.location
    if not isinstance(loc, FileLineColLoc):
        return CompileError([Diagnostic(message, Span.point("<unknown>", 1, 1))])
    filename, line, col = loc.filename.data, loc.line.data, loc.column.data
    width = len(op.name)
    source = None
    try:
        with open(filename, encoding="utf-8") as f:
            source = f.read()
    except OSError:
        pass
    return CompileError([Diagnostic(message, Span(filename, line, col, line, col + width), source_text=source)])


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
