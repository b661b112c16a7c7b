"""ONNX graph -> `.tf` source.

The importer walks the graph in order. A node whose inputs are all known at
import time (initializers, `Constant`s, shapes of static values, and what is
computed from them) is evaluated then, with ONNX's reference implementation,
as a shape computation: its value becomes a literal where a run-time op needs
it. Every other node goes through its op's handler in the ops tables, which
writes `let`s; an op or attribute the tables do not handle is an `OnnxError`
that names the node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import onnx
from onnx import numpy_helper

from tfir.onnx.emit_tf import Names, Param, TfSource, literal
from tfir.onnx.model import (
    ELEM_OF,
    Dim,
    OnnxError,
    ValueType,
    default_opset,
    dtype_of,
    dtype_of_numpy,
    elem_name,
    infer_types,
    value_type,
)
from tfir.onnx.node import NodeCtx, Operand

INITIALIZER_MODES = ("constants", "parameters")
# Ops never evaluated at import time: their values change from run to run.
_NOT_FOLDED = frozenset({"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
                         "Bernoulli", "Multinomial", "Dropout"})
FOLD_MAX_ELEMENTS = 1 << 20
T = TypeVar("T")


@dataclass
class Imported:
    """The result of importing a graph: the `.tf` source and how to call its entry."""

    source: str
    entry: str
    inputs: list[str]  # ONNX input names, in the order of the entry's first parameters
    params: list[str]  # the entry's parameters (`.tf` names), in order
    outputs: list[str]  # ONNX output names
    weights: dict[str, np.ndarray] = field(default_factory=dict)  # `.tf` parameter -> initializer value
    output_dtypes: list[str] = field(default_factory=list)


class GraphImporter:
    def __init__(self, model: onnx.ModelProto, initializers: str = "constants", name: str | None = None,
                 constants: dict[str, np.ndarray] | None = None):
        if initializers not in INITIALIZER_MODES:
            raise ValueError(f"initializers must be one of {', '.join(INITIALIZER_MODES)}, got {initializers!r}")
        self.model = model
        self.graph = model.graph
        self.opset = default_opset(model)
        self.mode = initializers
        self.types: dict[str, ValueType] = infer_types(model)
        self.names = Names()
        from tfir.onnx.helpers import HELPERS
        self.names.taken |= set(HELPERS)
        self.values: dict[str, Operand] = {}
        self.dims: dict[str, str] = {}  # ONNX dim_param -> `.tf` symbolic dim
        self.entry = self.names.fresh(name or self.graph.name or "model")
        self.src = TfSource(self.entry)
        self.weights: dict[str, np.ndarray] = {}
        self.input_names: list[str] = []
        self.constants = dict(constants or {})  # graph inputs specialized on their values
        self.local_consts: list[list[Operand]] = []  # per open block: constants whose `let` is in it

    # -- values -----------------------------------------------------------------------

    def value(self, onnx_name: str) -> Operand:
        if onnx_name not in self.values:
            raise OnnxError(f"value '{onnx_name}' is used before it is defined")
        return self.values[onnx_name]

    def expr(self, t: Operand) -> str:
        """The `.tf` name of a value; a constant gets its `let` (or parameter) now."""
        if t.expr is None:
            assert t.const is not None
            what = f"constant '{t.onnx_name}'"
            dtype = dtype_of_numpy(t.const.dtype, what)
            if not t.foldable and self.mode == "parameters":
                name = self.names.of(t.onnx_name)
                self.src.params.append(Param(name, self.type_text(dtype, t.const.shape),
                                             f"initializer '{t.onnx_name}'" if name != t.onnx_name else ""))
                self.weights[name] = t.const
            else:
                name = self.names.of(t.onnx_name)
                self.src.let([name], literal(t.const, dtype), f"onnx: {self._const_origin(t.onnx_name)}")
                if self.local_consts:
                    self.local_consts[-1].append(t)
            t.expr = name
        return t.expr

    def _const_origin(self, onnx_name: str) -> str:
        if any(init.name == onnx_name for init in self.graph.initializer):
            return f"initializer '{onnx_name}'"
        return f"constant '{onnx_name}'"

    def small_input(self, name: str) -> bool:
        """A graph input that may become a compile-time value: a scalar, or a vector of integers."""
        t = self.values.get(name)
        return t is not None and name in self.input_names and (t.rank == 0 or (t.rank == 1 and t.dtype in
                                                                                ("i32", "i64")))

    def bind_output(self, onnx_name: str, sources: frozenset[str] = frozenset()) -> str:
        vt = self.types.get(onnx_name)
        if vt is None:
            raise OnnxError(f"the type of value '{onnx_name}' is unknown (ONNX shape inference gave none)")
        # a subgraph may reuse a name of the enclosing graph: its value gets a name of its own
        name = self.names.fresh(onnx_name) if onnx_name in self.values else self.names.of(onnx_name)
        self.values[onnx_name] = Operand(onnx_name, dtype_of(vt.elem, f"value '{onnx_name}'"), vt.shape, name,
                                         sources=sources)
        return name

    def dim_name(self, d: Dim) -> Dim:
        if isinstance(d, int):
            return d
        if d not in self.dims:
            raise OnnxError(f"symbolic dimension '{d}' is not a dimension of any graph input; "
                            f"tfir can use only the inputs' symbolic dimensions")
        return self.dims[d]

    def fmt_shape(self, shape: tuple[Any, ...]) -> str:
        return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"

    def type_text(self, dtype: str, shape: tuple[Any, ...]) -> str:
        if not shape:  # a bare `bool` is a static parameter; `bool[]` a rank-0 tensor
            return f"{dtype}[]" if dtype == "bool" else dtype
        return f"{dtype}[{', '.join(str(d) for d in shape)}]"

    def use_helper(self, name: str) -> str:
        from tfir.onnx.helpers import HELPERS
        self.src.helpers.setdefault(name, HELPERS[name])
        return name

    # -- blocks: loop bodies and branches -------------------------------------------------

    def block(self, emit: Callable[[], T]) -> tuple[list[str], T]:
        """Runs `emit` (which imports a subgraph and writes what the block yields) into
        a block of its own: the lines it writes, indented one level, are returned
        instead of added, and the values and constant `let`s it defines stay local to
        the block, as names first bound in a `.tf` block are."""
        lines, indent, saved = self.src.lines, self.src.indent, dict(self.values)
        self.src.lines, self.src.indent = [], indent + "    "
        self.local_consts.append([])
        try:
            result = emit()
            return self.src.lines, result
        finally:
            for t in self.local_consts.pop():
                t.expr = None
            self.values.clear()
            self.values.update(saved)
            self.src.lines, self.src.indent = lines, indent

    def import_nodes(self, graph: onnx.GraphProto) -> None:
        """The initializers and nodes of a subgraph, in the current block (its inputs are bound)."""
        for init in graph.initializer:
            self.values[init.name] = const_operand(init.name, numpy_helper.to_array(init), True)
        for index, node in enumerate(graph.node):
            self._node(node, index)

    # -- the graph --------------------------------------------------------------------

    def run(self) -> Imported:
        self._header()
        inits = {init.name: init for init in self.graph.initializer}
        for init in self.graph.initializer:
            arr = numpy_helper.to_array(init)
            self.values[init.name] = const_operand(init.name, arr, self.mode == "constants")
        for info in self.graph.input:
            if info.name in self.constants:
                self._constant_input(info)
            elif info.name not in inits:
                self._input(info)
        for index, node in enumerate(self.graph.node):
            self._node(node, index)
        outputs = [o.name for o in self.graph.output]
        results, rtypes, dtypes = [], [], []
        for name in outputs:
            t = self.value(name)
            results.append(self.expr(t))
            dtype = dtype_of_numpy(t.const.dtype, f"output '{name}'") if t.const is not None else t.dtype
            dtypes.append(dtype)
            rtypes.append(self._result_type(name, dtype, t))
        self.src.results = results
        self.src.result_types = None if any(r is None for r in rtypes) else rtypes  # type: ignore[assignment]
        params = [p.name for p in self.src.params]
        return Imported(self.src.text(), self.entry, self.input_names, params, outputs,
                        dict(self.weights), dtypes)

    def _header(self) -> None:
        g, m = self.graph, self.model
        producer = f"{m.producer_name} {m.producer_version}".strip()
        self.src.header = [f"Imported from ONNX by tfir: graph '{g.name}', opset {self.opset}"
                           + (f", produced by {producer}" if producer else "") + ".",
                           f"Initializers are {'literals' if self.mode == 'constants' else 'parameters'}."]

    def _input(self, info: onnx.ValueInfoProto) -> None:
        if not info.type.HasField("tensor_type"):
            raise OnnxError(f"graph input '{info.name}' is not a tensor (sequences, maps and optionals "
                            f"are not supported)")
        dtype = dtype_of(info.type.tensor_type.elem_type, f"graph input '{info.name}'")
        shape = self.types[info.name].shape if info.name in self.types else None
        if shape is None:
            raise OnnxError(f"graph input '{info.name}' has no shape: tfir needs every input's rank")
        name = self.names.of(info.name)
        dims: list[Dim] = []
        for axis, d in enumerate(shape):
            if isinstance(d, int):
                dims.append(d)
                continue
            key = d if d is not None else f"{info.name}_dim{axis}"
            if key not in self.dims:
                self.dims[key] = self.names.fresh(key)
            dims.append(self.dims[key])
        self.values[info.name] = Operand(info.name, dtype, tuple(shape), name, sources=frozenset({info.name}))
        self.input_names.append(info.name)
        self.src.params.append(Param(name, self.type_text(dtype, tuple(dims)),
                                     f"onnx input '{info.name}'" if name != info.name else ""))

    def _constant_input(self, info: onnx.ValueInfoProto) -> None:
        value = np.asarray(self.constants[info.name])
        want = info.type.tensor_type.elem_type
        if onnx.helper.np_dtype_to_tensor_dtype(value.dtype) != want:
            raise OnnxError(f"graph input '{info.name}' is {elem_name(want)}, but its value is {value.dtype}")
        self.values[info.name] = const_operand(info.name, value, True)

    def _result_type(self, name: str, dtype: str, t: Operand) -> str | None:
        """The declared result type, so that a shape the translation got wrong is a compile
        error; None where a dim is not static or not an input's symbolic dim."""
        shape = t.const.shape if t.const is not None else t.shape
        if shape is None or any(d is None or (isinstance(d, str) and d not in self.dims) for d in shape):
            return None
        return self.type_text(dtype, tuple(d if isinstance(d, int) else self.dims[d] for d in shape))

    def _node(self, node: onnx.NodeProto, index: int) -> None:
        ctx = NodeCtx(self, node, index)
        if node.domain not in ("", "ai.onnx"):
            raise ctx.error(f"domain '{node.domain}' is not supported (only the default ONNX domain)")
        for name in node.input:
            if name and name not in self.values:
                raise ctx.error(f"input '{name}' is not defined before the node")
        if self._fold(ctx):
            return
        from tfir.onnx.ops import FUNCTIONS, OPS, lookup
        if node.op_type in FUNCTIONS and node.op_type not in OPS:
            self._expand(ctx)
            return
        rule = lookup(ctx)
        self._infer_node(node)
        unknown = sorted(ctx.attr_names - rule.attrs)
        if unknown:
            raise ctx.error(f"attribute{'s' * (len(unknown) > 1)} {', '.join(unknown)} "
                            f"{'are' if len(unknown) > 1 else 'is'} not supported")
        rule.emit(ctx)
        for i, out in enumerate(node.output):
            if out and out not in self.values:
                raise ctx.error(f"output {i} ('{out}') is not supported")

    def _expand(self, ctx: NodeCtx) -> None:
        """A node whose op ONNX defines as a function: the function's nodes, imported."""
        from tfir.onnx.functions import expand, function_body
        types = [onnx.helper.make_tensor_type_proto(ELEM_OF[t.dtype], list(t.shape) if t.shape is not None else None)
                 if t is not None and t.dtype in ELEM_OF else onnx.TypeProto()
                 for t in (self.values[n] if n else None for n in ctx.node.input)]
        found = function_body(ctx.node, self.opset, types)
        if found is None:
            raise ctx.error(f"ONNX defines no function for it at opset {self.opset}")
        body, with_defaults = found
        for index, inner in enumerate(expand(ctx.node, body, f"{ctx.name}_", with_defaults)):
            self._node(inner, index)
        for i, out in enumerate(ctx.node.output):
            if out and out not in self.values:
                raise ctx.error(f"output {i} ('{out}') is not computed by its function")

    def _infer_node(self, node: onnx.NodeProto) -> None:
        """The types of a node's outputs from ONNX's inference on the node alone, given its
        inputs' types as the importer knows them and its constant inputs' values, which
        makes them static where the whole-graph inference had to guess (`unk__0`)."""
        inputs, inits = [], []
        for name in dict.fromkeys(n for n in node.input if n):
            t = self.values[name]
            if t.const is not None and t.const.size <= 4096:
                inits.append(numpy_helper.from_array(t.const, name))
            elif t.shape is not None and t.dtype in ELEM_OF:
                inputs.append(onnx.helper.make_tensor_value_info(name, ELEM_OF[t.dtype], list(t.shape)))
            else:
                return
        outputs = [onnx.helper.make_empty_tensor_value_info(o) for o in node.output if o]
        graph = onnx.helper.make_graph([node], "node", inputs, outputs, inits)
        model = onnx.helper.make_model(graph, opset_imports=list(self.model.opset_import))
        try:
            inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
        except Exception:  # noqa: BLE001 - keep the whole graph's inference
            return
        for info in inferred.graph.output:
            vt = value_type(info)
            if vt is not None and vt.shape is not None and vt.elem != 0 and all(
                    not (isinstance(d, str) and d.startswith("unk__")) for d in vt.shape):
                self.types[info.name] = vt

    def _fold(self, ctx: NodeCtx) -> bool:
        """Evaluates a node whose inputs are all constants; False when it cannot be."""
        node = ctx.node
        if node.op_type in _NOT_FOLDED or any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
                                               for a in node.attribute):
            return False
        if node.op_type == "Constant":
            values = [_constant_value(ctx)]
        elif node.op_type in ("Shape", "Size") and self._static_shape(ctx) is not None:
            values = [self._shape_value(ctx)]
        else:
            inputs = [self.values[n] if n else None for n in node.input]
            if not inputs or any(t is not None and (t.const is None or not t.foldable) for t in inputs):
                return False
            values = self._evaluate(ctx, [t.const if t is not None else None for t in inputs])
            if values is None:
                return False
        for name, value in zip(node.output, values, strict=False):
            if name:
                self.values[name] = const_operand(name, np.asarray(value), True)
        return True

    def _static_shape(self, ctx: NodeCtx) -> tuple[int, ...] | None:
        t = self.values[ctx.node.input[0]]
        shape = t.const.shape if t.const is not None else t.shape
        if shape is None or not all(isinstance(d, int) for d in shape):
            return None
        return tuple(shape)  # type: ignore[arg-type]

    def _shape_value(self, ctx: NodeCtx) -> np.ndarray:
        shape = self._static_shape(ctx)
        assert shape is not None
        if ctx.op == "Size":
            return np.array(int(np.prod(shape)), dtype=np.int64)
        start, end = ctx.attr("start", 0), ctx.attr("end", None)
        return np.array(shape[slice(start, end)], dtype=np.int64)

    def _evaluate(self, ctx: NodeCtx, arrays: list[np.ndarray | None]) -> list[np.ndarray] | None:
        if any(a is not None and a.size > FOLD_MAX_ELEMENTS for a in arrays):
            return None
        from onnx.reference import ReferenceEvaluator
        node = ctx.node
        try:
            ref = ReferenceEvaluator(node, opsets={"": self.opset})
            outs = ref.run(None, {n: a for n, a in zip(node.input, arrays, strict=True) if n})
        except Exception:  # noqa: BLE001 - not evaluable here: translated like any node
            return None
        if any(not isinstance(o, np.ndarray) and not np.isscalar(o) for o in outs):
            return None
        if any(np.asarray(o).size > FOLD_MAX_ELEMENTS for o in outs):
            return None
        return [np.asarray(o) for o in outs]


def const_operand(name: str, arr: np.ndarray, foldable: bool) -> Operand:
    """A value known at import time; its dtype is checked only where it is written out."""
    try:
        dtype = dtype_of_numpy(arr.dtype, "")
    except OnnxError:
        dtype = f"<{arr.dtype}>"
    return Operand(name, dtype, tuple(arr.shape), const=arr, foldable=foldable)


def _constant_value(ctx: NodeCtx) -> np.ndarray:
    for key, conv in (("value", None), ("value_float", np.float32), ("value_floats", np.float32),
                      ("value_int", np.int64), ("value_ints", np.int64)):
        if ctx.has_attr(key):
            value = ctx.attr(key)
            return np.asarray(value) if conv is None else np.asarray(value, dtype=conv)
    kinds = ", ".join(a.name for a in ctx.node.attribute)
    raise ctx.error(f"only tensor, float and int constants are supported (this one has {kinds})")


def import_graph(model: onnx.ModelProto, initializers: str = "constants", name: str | None = None,
                 constants: dict[str, np.ndarray] | None = None) -> Imported:
    return GraphImporter(model, initializers, name, constants).run()


__all__ = ["Imported", "GraphImporter", "import_graph", "elem_name"]
