"""The plugin API: user dialects whose ops `.tf` programs call.

```python
import numpy as np
from tfir.plugin import Dialect, same_as

mylib = Dialect("mylib")

@mylib.op(shape=same_as("x"))
def swish(x, *, beta: float = 1.0):
    "The NumPy reference: also what the eager target runs."
    return x / (1 + np.exp(-beta * x))

swish.decompose('''
fn swish(x, beta: float) { return x * sigmoid(beta * x); }
''')
```

An op's signature is its reference implementation's: positional parameters
are tensor operands, keyword-only parameters are static attributes (typed by
annotation `int`, `float`, `bool`, `list[int]` or `DType`, or by their
default). Each op becomes a real IRDL operation (`mylib.swish`) and an entry of
the op registry, and needs at least one lowering: `decompose` (a `.tf`
function or a Python function against a `TfBuilder`), `linalg` (a Python
function against the linalg `Emitter`), or a hand-written implementation for
a target (`numpy`, `triton`). See docs/custom-dialects.md.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import sys
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

from xdsl.dialects import func
from xdsl.ir import Operation, SSAValue

from tfir.backends.registry import runs_tf_ir
from tfir.dialects import registry as R
from tfir.dialects.plugins import (
    CUSTOM_OPS,
    CustomOp,
    custom_op,
    load_plugin,
    make_op_class,
    register_custom_op,
    to_attr,
)
from tfir.dialects.registry import CallInfo, OpEntry, TType
from tfir.dialects.tf_builder import TfBuilder, ttype_of
from tfir.errors import CompileError, Diagnostic, PluginError
from tfir.frontend import ast
from tfir.frontend.driver import build_entry
from tfir.frontend.loader import load_program
from tfir.lowering.utils.custom_ops import linalg_lowering
from tfir.lowering.utils.inlining import inline_calls
from tfir.pipeline import PIPELINE, pass_class, register_pass

__all__ = ["CallInfo", "DType", "Dialect", "OpDef", "PluginError", "TType", "TfBuilder", "check_lowerings",
           "load_plugin", "plugins_fingerprint", "register_pass", "same_as"]


class DType(str):
    """Annotation of a static attribute that takes a dtype (`f32`, `i64`, ...)."""


ShapeRule = Callable[[CallInfo], TType | Sequence[TType]]

_KINDS: dict[Any, str] = {int: R.INT, float: R.FLOAT, bool: R.BOOL, list[int]: R.INTS, DType: R.DTYPE}
_RESERVED = frozenset(dir(Operation)) | {"name", "traits", "assembly_format"}


def same_as(operand: str) -> ShapeRule:
    """A shape rule: one result of the type of operand `operand`."""
    def rule(call: CallInfo) -> TType:
        return call.tensors[_operand_index(call, operand)]
    return rule


def _operand_index(call: CallInfo, operand: str) -> int:
    entry = R.REGISTRY.lookup(call.name)
    assert entry is not None
    names = [p.name for p in entry.params if p.is_tensor]
    if operand not in names:
        raise ValueError(f"same_as({operand!r}): the op has no operand {operand!r} (it has {', '.join(names)})")
    return names.index(operand)


class Dialect:
    """A user dialect: `mylib = Dialect("mylib")`, then `@mylib.op(...)` per op."""

    def __init__(self, name: str, doc: str = ""):
        if not name.isidentifier() or name == "tf":
            raise PluginError(f"invalid dialect name {name!r}")
        self.name = name
        self.doc = doc
        self.ops: dict[str, OpDef] = {}

    def op(self, name: str | None = None, *, shape: ShapeRule, results: int = 1,
           unify: Sequence[str] = ()) -> Callable[[Callable[..., Any]], OpDef]:
        """Decorates the op's NumPy reference implementation `fn(*arrays, **attrs)`.

        `shape(call)` returns the result TType(s) from `call.tensors` (TTypes,
        whose dims may be symbolic names or None while a program is checked)
        and `call.attrs`; it reports an error with `raise call.error(msg,
        at="param")` (or a ValueError), which points at the call in the
        `.tf` source. `unify` names tensor operands that share a dtype, so a
        literal argument takes the other operands' dtype."""
        def define(fn: Callable[..., Any]) -> OpDef:
            short = name or fn.__name__
            qualname = f"{self.name}.{short}"
            operands, attrs = _signature(qualname, fn)
            custom = _custom_op(qualname, fn, operands, attrs, results, shape, tuple(unify))
            custom.modules.add(fn.__module__)
            register_custom_op(custom, replace=qualname in CUSTOM_OPS)
            self.ops[short] = OpDef(custom, fn)
            return self.ops[short]
        return define


class OpDef:
    """A defined op: call it like its reference; attach lowerings with its methods."""

    def __init__(self, custom: CustomOp, reference: Callable[..., Any]):
        self.custom = custom
        self.reference = reference
        self.__doc__ = reference.__doc__

    @property
    def name(self) -> str:
        return self.custom.qualname

    @property
    def op_class(self) -> type[Operation]:
        return self.custom.op_class

    def __call__(self, *arrays: Any, **attrs: Any) -> Any:
        return self.reference(*arrays, **attrs)

    def decompose(self, how: str | Callable[..., Any]) -> Any:
        """A decomposition into `tf` primitives, so the op runs on every target:
        `.tf` source defining a function named like the op whose parameters are
        the op's operands and attributes, or `fn(b: TfBuilder, *operands, **attrs)`
        returning the result value(s). Usable as a decorator."""
        if not isinstance(how, str):
            self.custom.modules.add(how.__module__)
        if isinstance(how, str):
            try:
                self.custom.decomposition = tf_function_decomposition(self.custom, how)
            except ValueError as err:
                raise PluginError(str(err)) from None
            self.custom.decomposition_kind = "tf function"
        else:
            self.custom.decomposition = _python_decomposition(self.custom, how)
            self.custom.decomposition_kind = "python"
        return how

    def gradient(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """The op's gradient rule, for `gradients(...)` through it (the
        `differentiate` pass): `fn(b, g, *operands, **attrs)` gets a builder `b`
        (a `TfBuilder`: `b.mul(g, x)`, ...), the gradient `g` of the result (a
        tuple of them for several results) and the op's operands and
        attributes, and returns the gradient of each operand (a single value for
        one operand; None for one that passes no gradient), each of its
        operand's type. Without a rule an op is differentiated through its
        decomposition. A decorator."""
        self.custom.gradient = fn
        self.custom.modules.add(fn.__module__)
        return fn

    def linalg(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """A loop-level lowering `fn(em: Emitter, *operands, **attrs)` returning
        the result value(s), built with `tfir.lowering.utils.linalg_builders.Emitter`
        in the linalg-on-tensors form (docs/ir-levels.md section 2). A decorator."""
        self.custom.linalg = fn
        self.custom.modules.add(fn.__module__)
        linalg_lowering(self.custom)
        return fn

    def numpy(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """The numpy target's implementation, destination-passing:
        `fn(*inputs, *outputs, **attrs)` writes its results into `outputs`
        (NumPy arrays). It is imported by module and name in generated code,
        so it must be a module-level function. A decorator."""
        return self._impl("numpy", fn)

    def triton(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """The triton target's implementation: `fn(*inputs, *outputs, **attrs)`
        launches the user's `@triton.jit` kernel on the buffers the triton
        backend passes. A module-level function; a decorator."""
        return self._impl("triton", fn)

    def _impl(self, target: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        if "<locals>" in getattr(fn, "__qualname__", "<locals>"):
            raise PluginError(f"the {target} implementation of {self.name} must be a module-level function")
        self.custom.impls[target] = fn
        self.custom.modules.add(fn.__module__)
        linalg_lowering(self.custom)
        return fn


def _signature(qualname: str, fn: Callable[..., Any]) -> tuple[tuple[str, ...], tuple[R.Param, ...]]:
    """Operands (positional parameters) and attributes (keyword-only ones) of a reference."""
    try:
        sig = inspect.signature(fn, eval_str=True)
    except (NameError, TypeError, ValueError) as err:
        raise PluginError(f"{qualname}: cannot read the signature of {fn.__name__}: {err}") from None
    operands: list[str] = []
    attrs: list[R.Param] = []
    for p in sig.parameters.values():
        if p.name in _RESERVED or p.name.startswith("_"):
            raise PluginError(f"{qualname}: parameter name {p.name!r} is reserved")
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            if p.default is not p.empty:
                raise PluginError(f"{qualname}: operand {p.name!r} cannot have a default; "
                                  "make attributes keyword-only (after `*`)")
            operands.append(p.name)
        elif p.kind == p.KEYWORD_ONLY:
            attrs.append(R.Param(p.name, _attr_kind(qualname, p), R.REQUIRED if p.default is p.empty
                                 else p.default))
        else:
            raise PluginError(f"{qualname}: *args/**kwargs are not supported in an op signature")
    if not operands:
        raise PluginError(f"{qualname}: an op needs at least one tensor operand")
    return tuple(operands), tuple(attrs)


def _attr_kind(qualname: str, p: inspect.Parameter) -> str:
    ann = p.annotation
    if isinstance(ann, types.UnionType) or typing.get_origin(ann) is typing.Union:
        ann = next((a for a in typing.get_args(ann) if a is not type(None)), ann)
    if ann is p.empty:
        ann = type(p.default) if p.default not in (p.empty, None) else None
        ann = list[int] if ann in (list, tuple) else ann
    kind = _KINDS.get(ann)
    if kind is None:
        raise PluginError(f"{qualname}: attribute {p.name!r} needs a type: int, float, bool, "
                          f"list[int] or DType (got {p.annotation!r})")
    return kind


def _custom_op(qualname: str, fn: Callable[..., Any], operands: tuple[str, ...],
               attrs: tuple[R.Param, ...], n_results: int, shape: ShapeRule,
               unify: tuple[str, ...]) -> CustomOp:
    op_class = make_op_class(qualname, operands, attrs, n_results, fn.__doc__ or "")
    params = tuple(R.Param(o, R.TENSOR) for o in operands) + attrs

    def infer(call: CallInfo) -> list[TType]:
        try:
            out = shape(call)
        except ValueError as err:
            raise call.error(f"{qualname}: {err}") from None
        outs = [out] if isinstance(out, TType) else list(out)
        if len(outs) != n_results or not all(isinstance(t, TType) for t in outs):
            raise call.error(f"the shape rule of {qualname} returned {out!r}, "
                             f"expected {n_results} TType{'s' * (n_results != 1)}")
        return outs

    def build(xs: Sequence[SSAValue], values: dict[str, Any], rts: Sequence[Any]) -> Operation:
        attributes = {p.name: to_attr(p.kind, values[p.name]) for p in attrs if values.get(p.name) is not None}
        return op_class.create(operands=list(xs), result_types=list(rts), attributes=attributes)

    def eager(op: Operation, *arrays: Any) -> Any:
        out = fn(*arrays, **CUSTOM_OPS[qualname].attr_values(op))
        return tuple(out) if n_results > 1 else out

    entry = OpEntry(qualname, params, infer, build, eager, op_names=(qualname,), unify=unify,
                    doc=fn.__doc__ or "")
    return CustomOp(qualname, operands, attrs, n_results, op_class, entry)


def _python_decomposition(custom: CustomOp, fn: Callable[..., Any]) -> Callable[[Operation], Any]:
    def expand(op: Operation) -> tuple[list[Operation], list[SSAValue]]:
        b = TfBuilder()
        out = fn(b, *op.operands, **custom.attr_values(op))
        outs = list(out) if isinstance(out, tuple | list) else [out]
        return b.ops, outs
    return expand


def check_lowerings(program: Any, target: str) -> list[Any]:
    """Diagnostics for the calls of custom ops in a checked program (the
    frontend's `Program`) that have no lowering for `target`, so that a
    program is rejected when compiled, before its first call. A target that
    runs the `tf` IR as it is (eager) runs every custom op by its reference."""
    if runs_tf_ir(target):
        return []
    out: list[Diagnostic] = []

    def visit(node: Any, text: str) -> None:
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and (custom := custom_op(call.callee)) is not None \
                    and custom.lowering_for(target) is None:
                has = ", ".join(custom.lowerings()) or "none"
                out.append(Diagnostic(f"custom op '{custom.qualname}' has no lowering for target "
                                      f"'{target}'; it has: {has}", call.callee_span, source_text=text))

    for file in program.files.values():
        visit(file.source.functions, file.source.text)
    return out


# The passes of tfir itself: the pipeline as it is before any plugin can run
# (every import of a tfir module imports this one first, through `tfir`).
_TFIR_PASSES = frozenset(s.pass_name for s in PIPELINE)


def plugins_fingerprint() -> str:
    """The loaded plugins' code (size and time of each module file defining a
    custom op's parts or a registered pass) and the pipeline they extend, so
    that a cache of generated code is not reused across plugin edits."""
    names = {m for op in CUSTOM_OPS.values() for m in op.modules}
    names |= {pass_class(s.pass_name).__module__ for s in PIPELINE if s.pass_name not in _TFIR_PASSES}
    h = hashlib.sha256(",".join(s.pass_name for s in PIPELINE).encode())
    for name in sorted(names):
        path = getattr(sys.modules.get(name), "__file__", None)
        if path and os.path.exists(path):
            st = os.stat(path)
            h.update(f"{name}:{st.st_size}:{st.st_mtime_ns};".encode())
        else:
            h.update(f"{name}:?;".encode())
    return h.hexdigest()


# Decompositions written in `.tf` --------------------------------------------------
# The plugin layer builds them (with the frontend) and hands them to
# `expand-custom-ops` as `CustomOp.decomposition`, so the pass needs no frontend.


def tf_function_decomposition(custom: CustomOp, text: str) -> Callable[[Operation], Any]:
    """The decomposition by `.tf` function: the function named like the op (or
    the only one) in `text`, specialized per call like any generic function."""
    filename = f"<{custom.qualname}>"
    try:
        program = load_program(text, filename)
    except CompileError as err:
        raise ValueError(f"the decomposition of {custom.qualname} does not parse:\n{err}") from None
    short = custom.qualname.split(".", 1)[1]
    fns = program.root.functions
    fn = fns.get(short) or (next(iter(fns.values())) if len(fns) == 1 else None)
    if fn is None:
        raise ValueError(f"the decomposition of {custom.qualname} must define a function '{short}'")
    allowed = set(custom.operands) | {p.name for p in custom.attrs}
    params = [p.name for p in fn.params]
    stray = [n for n in params if n not in allowed]
    missing = [n for n in custom.operands if n not in params]
    if stray or missing:
        raise ValueError(f"the parameters of '{fn.name}' in the decomposition of {custom.qualname} must be "
                         f"its operands {list(custom.operands)} and attributes "
                         f"{[p.name for p in custom.attrs]}; got {params}")

    def expand(op: Operation) -> tuple[list[Operation], list[SSAValue]]:
        operands = dict(zip(custom.operands, op.operands, strict=True))
        arg_types = {n: ttype_of(v) for n, v in operands.items()}
        statics = {k: v for k, v in custom.attr_values(op).items() if v is not None and k in params}
        module = build_entry(program, fn.name, arg_types, statics)
        inline_calls(module)
        body = module.body.block.first_op
        assert isinstance(body, func.FuncOp)
        block = body.body.clone().block
        ret = block.last_op
        assert isinstance(ret, func.ReturnOp)
        tensor_params = [p.name for p in fn.params if p.name in operands]
        bound = {arg: operands[n] for arg, n in zip(block.args, tensor_params, strict=True)}
        values = [bound.get(v, v) for v in ret.arguments]
        for arg in block.args:
            arg.replace_all_uses_with(bound[arg])
        block.erase_op(ret)  # else it stays a user of the ops that move into the module
        new_ops = list(block.ops)
        for new in new_ops:
            new.detach()
        return new_ops, values

    return expand
