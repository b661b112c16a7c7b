"""User dialects as the compiler sees them: each op of a plugin is a
`CustomOp` (its generated IRDL operation, its registry entry and the lowerings
it has), and each dialect an xDSL `Dialect` that `make_context()` and xDSL's
`Universe` load.

Dialects are registered from Python (`tfir.load_plugin`, `tfir.plugin`) or
found among installed packages through the `tfir.dialects` entry-point group,
loaded on first `use` (`load_plugin`). The user-facing API is in `tfir/plugin.py`.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import (
    BoolAttr,
    DenseArrayBase,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    TensorType,
    f64,
    i64,
)
from xdsl.ir import Attribute, Dialect, Operation
from xdsl.irdl import (
    IRDLOperation,
    attr_def,
    irdl_op_definition,
    operand_def,
    opt_attr_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure

from tfir.dialects import registry as R
from tfir.dialects.dtypes import from_xdsl, to_xdsl
from tfir.dialects.registry import REGISTRY, OpEntry
from tfir.errors import PluginError

ENTRY_POINT_GROUP = "tfir.dialects"

# The attribute kinds a custom op may declare, and the IR attribute each becomes.
ATTR_TYPES: dict[str, type[Attribute]] = {
    R.INT: IntegerAttr, R.FLOAT: FloatAttr, R.BOOL: IntegerAttr, R.INTS: DenseArrayBase,
    R.DTYPE: Attribute,
}

# Target names a hand-written implementation may be given for.
IMPL_TARGETS = ("numpy", "triton")


def to_attr(kind: str, value: Any) -> Attribute:
    """The IR attribute holding static argument `value` of parameter kind `kind`."""
    if kind == R.INT:
        return IntegerAttr(int(value), i64)
    if kind == R.FLOAT:
        return FloatAttr(float(value), f64)
    if kind == R.BOOL:
        return BoolAttr.from_bool(bool(value))
    if kind == R.INTS:
        return DenseArrayBase.from_list(i64, [int(v) for v in value])
    if kind == R.DTYPE:
        return to_xdsl(value)
    raise AssertionError(f"unsupported attribute kind {kind}")


def from_attr(kind: str, attr: Attribute) -> Any:
    """The Python value of an attribute made by `to_attr`."""
    if kind in (R.INT, R.FLOAT):
        assert isinstance(attr, IntegerAttr | FloatAttr)
        return attr.value.data
    if kind == R.BOOL:
        assert isinstance(attr, IntegerAttr)
        return bool(attr.value.data)
    if kind == R.INTS:
        assert isinstance(attr, DenseArrayBase)
        return [int(v) for v in attr.get_values()]
    if kind == R.DTYPE:
        return from_xdsl(attr)
    raise AssertionError(f"unsupported attribute kind {kind}")


@dataclass
class CustomOp:
    """One op of a user dialect and the lowerings it has."""

    qualname: str                     # "mylib.rms_norm": the `.tf` name and the IR op name
    operands: tuple[str, ...]
    attrs: tuple[R.Param, ...]
    n_results: int
    op_class: type[IRDLOperation]
    entry: OpEntry
    decomposition: Callable[[Operation], Sequence[Any]] | None = None  # see expand-custom-ops
    decomposition_kind: str = ""      # "tf function" or "python"
    linalg: Callable[..., Any] | None = None
    impls: dict[str, Callable[..., Any]] = field(default_factory=dict)  # target -> implementation
    gradient: Callable[..., Any] | None = None  # its gradient rule (the differentiate pass)
    modules: set[str] = field(default_factory=set)  # where its Python parts are defined (cache keys)

    @property
    def dialect(self) -> str:
        return self.qualname.split(".", 1)[0]

    @property
    def symbol(self) -> str:
        """The base name of the external function a target implementation is called as."""
        return self.qualname.replace(".", "_")

    def attr_values(self, op: Operation) -> dict[str, Any]:
        """The op's static attributes as Python values (None for an absent optional one)."""
        return {p.name: from_attr(p.kind, op.attributes[p.name]) if p.name in op.attributes else None
                for p in self.attrs}

    def lowerings(self) -> list[str]:
        """What this op can be lowered by, in words, for diagnostics and `tfir passes`."""
        out = []
        if self.decomposition is not None:
            out.append(f"a decomposition into tf ({self.decomposition_kind})")
        if self.linalg is not None:
            out.append("a linalg lowering")
        out += [f"a {t} implementation" for t in IMPL_TARGETS if t in self.impls]
        return out

    def lowering_for(self, target: str | None) -> str | None:
        """How this op is lowered for `target`: "impl", "linalg", "decompose" or None.

        A hand-written implementation for the target wins, then the linalg
        lowering (every compiled target goes through linalg), then the
        decomposition. With no target (a standalone pass run), the first the
        op has of the same list, any implementation counting."""
        if (target in self.impls) or (target is None and self.impls):
            return "impl"
        if self.linalg is not None:
            return "linalg"
        if self.decomposition is not None:
            return "decompose"
        return None


CUSTOM_OPS: dict[str, CustomOp] = {}
_DIALECTS: dict[str, list[str]] = {}  # dialect name -> its op names, in order


def make_op_class(qualname: str, operands: Sequence[str], attrs: Sequence[R.Param],
                  n_results: int, doc: str) -> type[IRDLOperation]:
    """A real IRDL operation for a custom op: tensor operands, one attribute
    per static parameter, tensor results, pure, with a readable assembly format."""
    fields: dict[str, Any] = {"name": qualname, "__doc__": doc or f"`{qualname}`, a custom op.",
                              "traits": traits_def(Pure())}
    for name in operands:
        fields[name] = operand_def(TensorType)
    for p in attrs:
        fields[p.name] = (opt_attr_def if p.default is None else attr_def)(ATTR_TYPES[p.kind])
    for i in range(n_results):
        fields["result" if n_results == 1 else f"result{i}"] = result_def(TensorType)
    ins = " `,` ".join(f"${o}" for o in operands)
    fields["assembly_format"] = f"{ins} attr-dict `:` functional-type(operands, results)"
    short = qualname.split(".", 1)[1]
    cls_name = "".join(part.title() for part in short.split("_")) + "Op"
    return irdl_op_definition(type(cls_name, (IRDLOperation,), fields))


def register_custom_op(op: CustomOp, *, replace: bool = False) -> None:
    REGISTRY.register(op.entry, replace=replace)
    CUSTOM_OPS[op.qualname] = op
    names = _DIALECTS.setdefault(op.dialect, [])
    if op.qualname not in names:
        names.append(op.qualname)


def custom_op(name: str) -> CustomOp | None:
    return CUSTOM_OPS.get(name)


def loaded_dialects() -> list[Dialect]:
    """The xDSL `Dialect` of every registered user dialect."""
    return [dialect_of(name) for name in _DIALECTS]


def dialect_of(name: str) -> Dialect:
    return Dialect(name, [CUSTOM_OPS[q].op_class for q in _DIALECTS[name]], [])


def load_plugin(module: str) -> types.ModuleType:
    """Imports the Python module `module`, which registers its dialects.
    Loading the same module again is harmless (Python imports it once)."""
    if module in sys.modules:
        return sys.modules[module]
    try:
        return importlib.import_module(module)
    except PluginError as err:
        raise PluginError(f"tfir plugin {module!r}: {err}") from err
    except Exception as err:  # noqa: BLE001 - any failure of user code is reported with its plugin
        sys.modules.pop(module, None)
        raise PluginError(f"cannot load tfir plugin {module!r}: {type(err).__name__}: {err}") from err


def installed_plugins() -> dict[str, str]:
    """Dialect name -> module of every installed package declaring a `tfir.dialects` entry point."""
    return {ep.name: ep.value.split(":", 1)[0] for ep in entry_points(group=ENTRY_POINT_GROUP)}


def ensure_dialect(name: str) -> bool:
    """True when dialect `name` is registered, loading its plugin if installed."""
    if name in REGISTRY.dialect_names():
        return True
    module = installed_plugins().get(name)
    if module is None:
        return False
    before = set(REGISTRY.dialect_names())
    load_plugin(module)
    if name in REGISTRY.dialect_names():
        return True
    # The entry point is found by the dialect's name: one named otherwise is a packaging mistake.
    found = sorted(set(REGISTRY.dialect_names()) - before) or sorted(
        {op.dialect for op in CUSTOM_OPS.values() if module in op.modules})
    what = f"registers dialect {', '.join(repr(d) for d in found)}" if found else "registers no dialect"
    raise PluginError(f"the installed plugin {name!r} (module {module!r}) {what}, not {name!r}: its entry "
                      f"point in the group '{ENTRY_POINT_GROUP}' must have its dialect's name"
                      + (f"; or write `use {found[0]};`" if len(found) == 1 else ""))


def universe_dialects() -> dict[str, Callable[[], Dialect]]:
    """Loaders of the installed and registered user dialects, for xDSL's `Universe`."""
    out: dict[str, Callable[[], Dialect]] = {name: _loader(name) for name in installed_plugins()}
    out.update({name: _loader(name) for name in _DIALECTS})
    return out


def load_installed_plugins() -> list[str]:
    """Imports every installed plugin, so that the passes they register are in
    the pipeline (for xDSL's `Universe`); returns a warning per plugin that
    failed to load instead of raising, so one broken plugin breaks no tool."""
    warnings = []
    for module in installed_plugins().values():
        try:
            load_plugin(module)
        except PluginError as err:
            warnings.append(str(err))
    return warnings


def _loader(name: str) -> Callable[[], Dialect]:
    def load() -> Dialect:
        if not ensure_dialect(name):
            raise LookupError(f"no tfir dialect {name!r} is installed")
        return dialect_of(name)
    return load


# Calls of hand-written target implementations (docs/ir-levels.md section 7) ------


@dataclass(frozen=True)
class ExternalCall:
    """How generated code calls the implementation behind one external declaration."""

    symbol: str        # the declaration's symbol, e.g. mylib_cumsum
    qualname: str      # the custom op, e.g. mylib.cumsum
    module: str        # where the implementation is imported from
    function: str
    kwargs: tuple[tuple[str, Any], ...]

    def import_line(self, alias: str) -> str:
        """The import of the implementation as `alias` in a generated module."""
        return f"from {self.module} import {self.function} as {alias}"

    def call(self, alias: str, args: Sequence[str]) -> str:
        """The call statement on buffer expressions `args` (inputs, then outputs)."""
        return f"{alias}({', '.join([*args, *(f'{k}={v!r}' for k, v in self.kwargs)])})"


def external_calls(module: Operation, target: str) -> dict[str, ExternalCall]:
    """The external declarations of `module` (`func.func` with `tfir.external`),
    by symbol, with the `target` implementation each one names."""
    out: dict[str, ExternalCall] = {}
    for decl in module.walk():
        mark = decl.attributes.get("tfir.external")
        if not isinstance(decl, func.FuncOp) or not isinstance(mark, StringAttr):
            continue
        custom = CUSTOM_OPS.get(mark.data)
        impl = custom.impls.get(target) if custom is not None else None
        if custom is None or impl is None:
            has = ", ".join(custom.lowerings()) if custom is not None else "it is not registered"
            raise LookupError(f"custom op '{mark.data}' has no {target} implementation ({has})")
        kwargs = tuple((p.name, from_attr(p.kind, decl.attributes[p.name]))
                       for p in custom.attrs if p.name in decl.attributes)
        out[decl.sym_name.data] = ExternalCall(decl.sym_name.data, custom.qualname, impl.__module__,
                                               impl.__qualname__, kwargs)
    return out
