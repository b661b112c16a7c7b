"""What an op handler sees of one ONNX node: its attributes, its inputs (as
`.tf` expressions, static types and, where known at import time, values) and
the means to write its outputs as `let`s.

A handler is a function `(n: NodeCtx) -> None` in one of the ops tables; it
calls `n.out(expr)` once per output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
from onnx import helper

from tfir.onnx.model import Dim, OnnxError, ValueType, dtype_of

if TYPE_CHECKING:
    from tfir.onnx.importer import GraphImporter

_MISSING = object()


@dataclass
class Operand:
    """An ONNX value as the importer knows it."""

    onnx_name: str
    dtype: str
    shape: tuple[Dim | None, ...] | None
    expr: str | None = None  # the `.tf` name bound to it; None until written
    const: np.ndarray | None = None  # its value, where known at import time
    foldable: bool = False  # a constant that folding may use (not a parameter)
    sources: frozenset[str] = frozenset()  # the graph inputs whose values it is computed from

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)


@dataclass(frozen=True)
class Rule:
    """How one ONNX op type becomes `.tf`: the handler and the attributes it understands."""

    emit: Callable[[NodeCtx], None]
    attrs: frozenset[str] = frozenset()


def rule(table: dict[str, Rule], *op_types: str, attrs: str = "") -> Callable[[Callable[[NodeCtx], None]], Callable[[NodeCtx], None]]:
    """Registers a handler for `op_types` in `table`; `attrs` lists the attributes it reads."""
    def register(fn: Callable[[NodeCtx], None]) -> Callable[[NodeCtx], None]:
        for op in op_types:
            table[op] = Rule(fn, frozenset(attrs.split()))
        return fn
    return register


class NodeCtx:
    def __init__(self, importer: GraphImporter, node: onnx.NodeProto, index: int):
        self.imp = importer
        self.node = node
        self.op = node.op_type
        self.name = node.name or f"{node.op_type}_{index}"
        self.opset = importer.opset
        self._attrs = {a.name: a for a in node.attribute}
        self._temps = 0

    # -- errors and attributes ---------------------------------------------------------

    def error(self, message: str) -> OnnxError:
        return OnnxError(f"node '{self.name}' ({self.op}): {message}")

    def attr(self, name: str, default: Any = _MISSING) -> Any:
        if name not in self._attrs:
            if default is _MISSING:
                raise self.error(f"attribute '{name}' is required")
            return default
        value = helper.get_attribute_value(self._attrs[name])
        if isinstance(value, bytes):
            return value.decode()
        if isinstance(value, onnx.TensorProto):
            return onnx.numpy_helper.to_array(value)
        if isinstance(value, list) and value and isinstance(value[0], bytes):
            return [v.decode() for v in value]
        return value

    @property
    def attr_names(self) -> set[str]:
        return set(self._attrs)

    def has_attr(self, name: str) -> bool:
        return name in self._attrs

    # -- inputs ------------------------------------------------------------------------

    @property
    def n_in(self) -> int:
        return len(self.node.input)

    def has(self, i: int) -> bool:
        return i < len(self.node.input) and self.node.input[i] != ""

    def t(self, i: int) -> Operand:
        if not self.has(i):
            raise self.error(f"input {i} is missing")
        return self.imp.value(self.node.input[i])

    def x(self, i: int) -> str:
        """Input `i` as a `.tf` expression (a name)."""
        return self.imp.expr(self.t(i))

    def xs(self) -> list[str]:
        return [self.x(i) for i in range(self.n_in) if self.has(i)]

    def const(self, i: int, what: str) -> np.ndarray:
        """The value of input `i`, which must be known at import time (`what` names it)."""
        t = self.t(i)
        if t.const is None and t.sources and all(self.imp.small_input(s) for s in t.sources):
            from tfir.onnx.model import StaticInputNeeded
            source = sorted(t.sources)[0]
            raise StaticInputNeeded(f"node '{self.name}' ({self.op}): {what} comes from graph input "
                                    f"'{source}', whose value must be known to compile", source)
        if t.const is None:
            raise self.error(f"{what} (input '{t.onnx_name}') must be a constant: tfir's shapes and "
                             f"attributes are static, and this one is computed at run time")
        return t.const

    def ints(self, i: int, what: str) -> list[int]:
        return [int(v) for v in np.asarray(self.const(i, what)).reshape(-1)]

    def shape(self, i: int) -> tuple[Dim, ...]:
        """The static shape of input `i` (symbolic dims by name)."""
        t = self.t(i)
        if t.shape is None:
            raise self.error(f"the rank of input '{t.onnx_name}' is unknown")
        if any(d is None for d in t.shape):
            raise self.error(f"input '{t.onnx_name}' has a dimension of unknown size: "
                             f"{self.imp.fmt_shape(t.shape)}")
        return tuple(self.imp.dim_name(d) for d in t.shape)  # type: ignore[arg-type]

    def rank(self, i: int) -> int:
        r = self.t(i).rank
        if r is None:
            raise self.error(f"the rank of input '{self.t(i).onnx_name}' is unknown")
        return r

    def dtype(self, i: int) -> str:
        return self.t(i).dtype

    # -- outputs -----------------------------------------------------------------------

    @property
    def n_out(self) -> int:
        return len(self.node.output)

    def wants(self, i: int) -> bool:
        return i < len(self.node.output) and self.node.output[i] != ""

    def out_type(self, i: int = 0) -> ValueType | None:
        return self.imp.types.get(self.node.output[i])

    def out_dtype(self, i: int = 0) -> str:
        vt = self.out_type(i)
        if vt is None:
            raise self.error(f"the type of output '{self.node.output[i]}' is unknown")
        return dtype_of(vt.elem, f"output '{self.node.output[i]}'")

    def comment(self) -> str:
        return f"onnx: {self.name} ({self.op})"

    def out(self, expr: str, i: int = 0) -> str:
        """Binds output `i` to `expr` with one `let`."""
        name = self.imp.bind_output(self.node.output[i], self._sources())
        self.imp.src.let([name], expr, self.comment())
        return name

    def outs(self, expr: str, indices: list[int]) -> list[str]:
        """Binds several outputs to the results of one call (`let a, b = f(...);`)."""
        names = [self.imp.bind_output(self.node.output[i], self._sources()) if self.wants(i)
                 else self.imp.names.fresh("unused")
                 for i in indices]
        self.imp.src.let(names, expr, self.comment())
        return names

    def _sources(self) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for name in self.node.input:
            if name:
                out |= self.imp.values[name].sources
        return out

    def tmp(self, expr: str, hint: str = "t") -> str:
        """A temporary `let` for a handler that needs more than one statement."""
        base = self.node.output[0] if self.node.output and self.node.output[0] else self.name
        name = self.imp.names.fresh(f"{base}_{hint}")
        self.imp.src.let([name], expr, self.comment())
        return name

    def helper(self, name: str) -> str:
        """Adds the helper function `name` to the file; returns its name."""
        return self.imp.use_helper(name)

    def lit(self, value: Any, dtype: str) -> str:
        """A constant as an expression of `dtype`."""
        from tfir.onnx.emit_tf import literal
        return literal(np.asarray(value), dtype)

    def dims_text(self, dims: tuple[Dim, ...] | list[Dim]) -> str:
        return "[" + ", ".join(str(d) for d in dims) + "]"
