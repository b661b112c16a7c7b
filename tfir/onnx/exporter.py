""".tf -> ONNX: the optimized `tf` dialect graph of one entry (after the `tf`
stage of the pipeline: inline-calls, canonicalize, fold-constants, cse, dce),
written as an ONNX model that `onnx.checker` accepts and ONNX Runtime runs.

The `tf` IR is specialized on one input signature, so the model has static
shapes (symbolic dims take the sizes given with `dims=` or `inputs=`). Ops
are read by their IR names (`tf.add`, ...) from the printed-and-parsed
module; an op that ONNX cannot express is an `OnnxError` naming it and its
source location.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import tfir
from tfir.dialects.decompositions import DECOMPOSITIONS, decompose
from tfir.dialects.dtypes import numpy_dtype_of
from tfir.frontend.driver import build_entry
from tfir.inspect.trace import entry_name, load, signature
from tfir.onnx.export_control import CONTROL
from tfir.onnx.export_ops import V2
from tfir.onnx.export_util import attr_of as _attr
from tfir.onnx.export_util import dtype_of as _dtype
from tfir.onnx.export_util import int_of as _int
from tfir.onnx.export_util import ints_of as _ints
from tfir.onnx.export_util import onnx_type as _type
from tfir.onnx.model import ELEM_OF, NUMPY_OF, OnnxError
from tfir.pipeline import run_pipeline, steps_for

OPSET = 18  # reductions take `axes` as an input from 18 on, for all of them
IR_VERSION = 10
INT64_MIN = -(2**63)

_BINARY = {"tf.add": "Add", "tf.sub": "Sub", "tf.mul": "Mul", "tf.div": "Div", "tf.pow": "Pow",
           "tf.maximum": "Max", "tf.minimum": "Min", "tf.equal": "Equal", "tf.less": "Less",
           "tf.less_equal": "LessOrEqual", "tf.greater": "Greater", "tf.greater_equal": "GreaterOrEqual",
           "tf.logical_and": "And", "tf.logical_or": "Or"}
_UNARY = {"tf.neg": "Neg", "tf.abs": "Abs", "tf.exp": "Exp", "tf.log": "Log", "tf.sqrt": "Sqrt",
          "tf.tanh": "Tanh", "tf.sin": "Sin", "tf.cos": "Cos", "tf.floor": "Floor", "tf.ceil": "Ceil",
          "tf.sign": "Sign", "tf.erf": "Erf", "tf.sigmoid": "Sigmoid", "tf.logical_not": "Not"}
_REDUCE = {"tf.sum": "ReduceSum", "tf.mean": "ReduceMean", "tf.max": "ReduceMax", "tf.min": "ReduceMin",
           "tf.prod": "ReduceProd"}


# Ops `decompose-tf-ops` would rewrite that ONNX has as ops of its own (Einsum, Conv,
# MaxPool, Trilu, Tile, ...): the exporter runs the `tf` passes without that pass and
# decomposes the others (var, std, any, all, repeat) itself, op by op.
KEEP_WHOLE = "decompose-tf-ops"


def tf_module(source_or_path: str | Path, entry: str | None = None, dims: Mapping[str, int] | None = None,
              inputs: Mapping[str, Any] | None = None) -> tuple[Any, str, list[str]]:
    """The `tf` IR of `entry` after the tf-level passes (but `decompose-tf-ops`), its
    name, and the names of its tensor parameters (the function's arguments, in order)."""
    prog = load(source_or_path)
    name = entry_name(prog, entry)
    types, statics, _ = signature(prog[name].fn, dims, inputs)
    module = build_entry(prog.frontend, name, types, statics)
    last_tf = [s.pass_name for s in steps_for("numpy") if s.stage == "tf"][-1]
    run_pipeline(module, "numpy", disable=[KEEP_WHOLE], stop_after=last_tf)
    return module, name, [p.name for p in prog[name].fn.params if not p.is_static]


class Exporter:
    def __init__(self, func: Any, source_line: Callable[[Any], str]):
        self.func = func
        self.where = source_line
        self.nodes: list[onnx.NodeProto] = []  # of the graph being written (the model's, or a body's)
        self.inits: list[TensorProto] = []  # all in the model's graph: bodies read them from there
        self.names: dict[Any, str] = {}
        self.taken: set[str] = set()
        self.ints: dict[Any, int] = {}  # `index` constants (loop bounds) by SSA value

    # -- names and constants ------------------------------------------------------------

    def fresh(self, hint: str) -> str:
        name, n = hint or "v", 1
        while name in self.taken:
            n += 1
            name = f"{hint}_{n}"
        self.taken.add(name)
        return name

    def name(self, value: Any) -> str:
        if value not in self.names:
            self.names[value] = self.fresh(value.name_hint or "v")
        return self.names[value]

    def const(self, array: np.ndarray, hint: str) -> str:
        name = self.fresh(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], outputs: list[str] | None = None, **attrs: Any) -> str:
        out = outputs or [self.fresh(f"{op.lower()}")]
        self.nodes.append(helper.make_node(op, inputs, out, **attrs))
        return out[0]

    # -- graphs -------------------------------------------------------------------------

    def run(self, graph_name: str, input_names: list[str] | None = None) -> onnx.GraphProto:
        """The model's graph; its inputs are named `input_names` (the `.tf` parameters)."""
        block = self.func.body.blocks[0]
        for arg, name in zip(block.args, input_names or [], strict=False):
            self.taken.add(name)
            self.names[arg] = name
        inputs = [helper.make_tensor_value_info(self.name(a), *_type(a.type)) for a in block.args]
        results = self.block(block, [self.name(a) for a in block.args])
        graph_inputs = {self.names[a] for a in block.args} | {i.name for i in self.inits}
        outputs = self._outputs(results, [v.type for v in results], graph_inputs, "result")
        return helper.make_graph(self.nodes, graph_name, inputs, outputs, self.inits)

    def block(self, block: Any, arg_names: list[str]) -> list[Any]:
        """Writes the ops of an xDSL block (its arguments named `arg_names`) into the
        current graph; returns the operands of its terminator. A block written twice
        (a `while` condition) gets fresh names the second time."""
        for op in block.walk():
            for r in op.results:
                self.names.pop(r, None)
        for arg, name in zip(block.args, arg_names, strict=True):
            self.names[arg] = name
        for op in block.ops:
            if op.name in ("func.return", "scf.yield", "scf.condition"):
                return list(op.operands)
            self._op(op)
        return []

    def subgraph(self, name: str, inputs: list[tuple[str, Any]], emit: Callable[[], list[Any]]) -> onnx.GraphProto:
        """A body or branch graph: `inputs` (name, tensor type), its nodes written by
        `emit`, which returns the values (or names) it yields."""
        saved, self.nodes = self.nodes, []
        try:
            results = emit()
            types = [r.type if not isinstance(r, tuple) else r[1] for r in results]
            produced = {o for node in self.nodes for o in node.output}
            outputs = self._outputs(results, types, None, f"{name}_out", produced)
            nodes = self.nodes
        finally:
            self.nodes = saved
        vis = [helper.make_tensor_value_info(n, *_type(t)) for n, t in inputs]
        return helper.make_graph(nodes, name, vis, outputs)

    def _outputs(self, values: list[Any], types: list[Any], avoid: set[str] | None, hint: str,
                 produced: set[str] | None = None) -> list[onnx.ValueInfoProto]:
        """Graph outputs: each a distinct name produced in the graph (an `Identity` where
        a value is an input, an initializer, an outer value or already an output)."""
        out, used = [], set()
        for i, (v, t) in enumerate(zip(values, types, strict=True)):
            name = v[0] if isinstance(v, tuple) else self.name(v)
            foreign = name in avoid if avoid is not None else name not in (produced or set())
            if name in used or foreign:
                name = self.node("Identity", [name], [self.fresh(f"{hint}{i}")])
            used.add(name)
            out.append(helper.make_tensor_value_info(name, *_type(t)))
        return out

    # -- ops ----------------------------------------------------------------------------

    def _op(self, op: Any) -> None:
        name = op.name
        if name in CONTROL:
            CONTROL[name](self, op)
            return
        args = [self.name(v) for v in op.operands]
        result = self.name(op.results[0]) if op.results else ""
        elem = _dtype(op.results[0].type) if op.results else ""
        if name in V2:
            V2[name](self, op, args, result)
        elif name in _BINARY:
            self.node(_BINARY[name], args, [result])
        elif name in _UNARY:
            self.node(_UNARY[name], args, [result])
        elif name == "tf.not_equal":
            self.node("Not", [self.node("Equal", args)], [result])
        elif name == "tf.rsqrt":
            self.node("Reciprocal", [self.node("Sqrt", args)], [result])
        elif name == "tf.relu":
            if elem in ("i32", "i64"):  # ONNX Runtime's Relu is float-only
                self.node("Max", [args[0], self.const(np.zeros((), NUMPY_OF[elem]), "zero")], [result])
            else:
                self.node("Relu", args, [result])
        elif name == "tf.floordiv":
            self._floordiv(op, args, result)
        elif name == "tf.mod":
            self._mod(op, args, result)
        elif name in _REDUCE:
            self._reduce(op, args, result)
        elif name in DECOMPOSITIONS:
            self._decomposed(op)
        else:
            self._shape_op(op, args, result)

    def _decomposed(self, op: Any) -> None:
        """An op ONNX has no counterpart of, written as its `tf` decomposition."""
        found = decompose(op)
        if found is None:
            raise OnnxError(f"{self.where(op)}op '{op.name}' cannot be expressed in ONNX")
        new_ops, value = found
        for new in new_ops:
            self._op(new)
        self.names[op.results[0]] = self.name(value)

    def _shape_op(self, op: Any, args: list[str], result: str) -> None:
        name, rtype = op.name, op.results[0].type if op.results else None
        shape = tuple(rtype.get_shape()) if rtype is not None else ()
        if name == "tf.select":
            self.node("Where", args, [result])
        elif name == "tf.cast":
            self.node("Cast", args, [result], to=ELEM_OF[_dtype(rtype)])
        elif name in ("tf.argmax", "tf.argmin"):
            self.node("ArgMax" if name == "tf.argmax" else "ArgMin", args, [result],
                      axis=_int(op, "axis"), keepdims=0)
        elif name == "tf.matmul":
            self.node("MatMul", args, [result])
        elif name == "tf.transpose":
            self.node("Transpose", args, [result], perm=_ints(op, "perm"))
        elif name == "tf.reshape":
            self.node("Reshape", [args[0], self.const(np.array(shape, np.int64), "shape")], [result])
        elif name == "tf.broadcast_to":
            self.node("Expand", [args[0], self.const(np.array(shape, np.int64), "shape")], [result])
        elif name == "tf.concat":
            self.node("Concat", args, [result], axis=_int(op, "axis"))
        elif name == "tf.slice":
            self._slice(op, args, result, shape)
        elif name == "tf.constant":
            self._constant(op, result)
        elif name == "tf.iota":
            self.inits.append(numpy_helper.from_array(np.arange(shape[0], dtype=NUMPY_OF[_dtype(rtype)]), result))
        else:
            raise OnnxError(f"{self.where(op)}op '{name}' cannot be expressed in ONNX (tfir's exporter "
                            f"writes the tf dialect's primitives; custom ops and calls are not exported)")

    def _constant(self, op: Any, result: str) -> None:
        rtype = op.results[0].type
        shape = tuple(rtype.get_shape())
        values = np.asarray(_attr(op, "value").get_values(), dtype=numpy_dtype_of(rtype))
        array = values.reshape(shape) if values.size == int(np.prod(shape)) else np.broadcast_to(
            values.reshape(-1)[0], shape).copy()
        self.inits.append(numpy_helper.from_array(array, result))

    def _slice(self, op: Any, args: list[str], result: str, shape: tuple[int, ...]) -> None:
        starts, steps = _ints(op, "start"), _ints(op, "stride")
        ends = []
        for s, k, n in zip(starts, steps, shape, strict=True):
            end = s + n * k
            ends.append(INT64_MIN if end < 0 else end)  # "before index 0" for a negative step
        axes = list(range(len(starts)))
        ins = [self.const(np.array(v, np.int64), hint) for v, hint in
               ((starts, "starts"), (ends, "ends"), (axes, "axes"), (steps, "steps"))]
        self.node("Slice", [args[0], *ins], [result])

    def _reduce(self, op: Any, args: list[str], result: str) -> None:
        axes = _ints(op, "axes")
        keep = int(bool(_attr(op, "keepdims").value.data))
        if not axes:
            self.node("Identity", args, [result])
            return
        self.node(_REDUCE[op.name], [args[0], self.const(np.array(axes, np.int64), "axes")], [result],
                  keepdims=keep)

    def _zero_one(self, dtype: str) -> tuple[str, str]:
        np_type = NUMPY_OF[dtype]
        return self.const(np.zeros((), np_type), "zero"), self.const(np.ones((), np_type), "one")

    def _floordiv(self, op: Any, args: list[str], result: str) -> None:
        dtype = _dtype(op.results[0].type)
        a, b = args
        if dtype not in ("i32", "i64"):
            self.node("Floor", [self.node("Div", args)], [result])
            return
        zero, one = self._zero_one(dtype)
        q = self.node("Div", args)  # truncates toward zero
        r = self.node("Sub", [a, self.node("Mul", [q, b])])
        inexact = self.node("Not", [self.node("Equal", [r, zero])])
        signs = self.node("Xor", [self.node("Less", [a, zero]), self.node("Less", [b, zero])])
        self.node("Where", [self.node("And", [inexact, signs]), self.node("Sub", [q, one]), q], [result])

    def _mod(self, op: Any, args: list[str], result: str) -> None:
        dtype = _dtype(op.results[0].type)
        if dtype in ("i32", "i64"):
            self.node("Mod", args, [result], fmod=0)  # the sign of the divisor, as NumPy
            return
        zero, _ = self._zero_one(dtype)
        r = self.node("Mod", args, fmod=1)  # C fmod, shifted by the divisor where signs differ
        shift = self.node("And", [self.node("Not", [self.node("Equal", [r, zero])]),
                                  self.node("Xor", [self.node("Less", [r, zero]),
                                                    self.node("Less", [args[1], zero])])])
        self.node("Where", [shift, self.node("Add", [r, args[1]]), r], [result])


def _location(program: Any) -> Callable[[Any], str]:
    def where(op: Any) -> str:
        loc = getattr(op, "location", None)
        text = str(loc) if loc is not None else ""
        return f"{text}: " if text and text != "loc(unknown)" else ""
    return where


def to_onnx(source_or_path: str | Path, entry: str | None = None, path: str | Path | None = None, *,
            dims: Mapping[str, int] | None = None, inputs: Mapping[str, Any] | None = None,
            opset: int = OPSET, check: bool = True) -> onnx.ModelProto:
    """The ONNX model of a `.tf` entry (default: the file's last function), written to
    `path` when given. `dims` sizes the symbolic dimensions (default 4), or `inputs`
    (arrays, and values of static parameters) fixes the signature."""
    if opset < 17:
        raise ValueError(f"the exporter writes opset 17 or later, got {opset}")
    module, name, params = tf_module(source_or_path, entry, dims, inputs)
    funcs = [op for op in module.body.block.ops if op.name == "func.func" and op.sym_name.data == name]
    if not funcs:
        raise OnnxError(f"no function '{name}' in the optimized module")
    graph = Exporter(funcs[0], _location(None)).run(name, params)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", max(opset, OPSET))],
                              producer_name="tfir", producer_version=_version())
    model.ir_version = IR_VERSION
    if check:
        onnx.checker.check_model(model, full_check=True)
    if path is not None:
        onnx.save(model, str(path))
    return model


def _version() -> str:
    return tfir.__version__
