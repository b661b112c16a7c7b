"""Which of ONNX's node tests (`onnx.backend.test.case.node`, generated in
memory: no download) tfir runs, and why it skips the others.

A test is run unless one of these holds, checked in this order:
1. its model's default-domain opset is below 13 (tfir follows opset 13+ semantics),
   or it uses another domain (ai.onnx.ml, preview.training);
2. an input or output has a type tfir does not have (uint8, bfloat16, string, ...);
3. it uses an op in `tfir.onnx.ops.PENDING_V2` or `UNSUPPORTED` (with the reason)
   on values known only at run time (on constants, the importer evaluates it);
4. it meets a compiler bug listed in `KNOWN_BUGS` (skipped, with the bug);
5. it is in `EXPECTED_ERRORS`: every op is supported but the test uses an
   attribute or case tfir rejects; there the test checks that importing raises
   `OnnxError` (a clear error, never a wrong answer).
Every other test must pass: results equal ONNX's reference within its tolerances.
"""

from __future__ import annotations

from typing import Any

from tfir.onnx.model import DTYPE_OF, MIN_OPSET, elem_name
from tfir.onnx.ops import status

# Tests of supported ops that tfir rejects with an OnnxError, and why.
EXPECTED_ERRORS: dict[str, str] = {
    "test_batchnorm_epsilon_training_mode": "BatchNormalization training_mode=1 (batch statistics)",
    "test_batchnorm_example_training_mode": "BatchNormalization training_mode=1 (batch statistics)",
    "test_reduce_max_bool_inputs": "ReduceMax of bool (tfir's max is numeric; v2 `any`)",
    "test_reduce_min_bool_inputs": "ReduceMin of bool (tfir's min is numeric; v2 `all`)",
    "test_reduce_max_empty_set": "ReduceMax over a zero-size axis (-inf identity)",
    "test_reduce_min_empty_set": "ReduceMin over a zero-size axis (+inf identity)",
    "test_reduce_max_empty_set_bool": "ReduceMax of bool over a zero-size axis",
    **{f"test_training_dropout{s}": "Dropout with training_mode=true (random masks)"
       for s in ("", "_default", "_default_mask", "_mask", "_zero_ratio", "_zero_ratio_mask")},
    **{f"test_scatter_elements_with_reduction_{r}": f"ScatterElements reduction={r} (scatter/scatter_add only)"
       for r in ("mul", "max", "min")},
    **{f"test_scatternd_{r}": f"ScatterND reduction={r.split('_')[0]} (scatter/scatter_add only)"
       for r in ("multiply", "max", "min", "max_with_element_indices", "min_with_element_indices")},
    "test_maxpool_with_argmax_2d_precomputed_pads": "MaxPool's Indices output",
    "test_maxpool_with_argmax_2d_precomputed_strides": "MaxPool's Indices output",
}

# Tests that meet a bug of tfir's compiler (not of the importer), reported; skipped until it is fixed.
KNOWN_BUGS: dict[str, str] = {}


def _opset(model: Any) -> int | None:
    versions = {o.domain: o.version for o in model.opset_import}
    return versions.get("", versions.get("ai.onnx"))


def _types(model: Any) -> list[tuple[str, int | None]]:
    out = []
    for v in [*model.graph.input, *model.graph.output]:
        tt = v.type.tensor_type if v.type.HasField("tensor_type") else None
        out.append((v.name, tt.elem_type if tt is not None else None))
    return out


def skip_reason(case: Any) -> str | None:
    """Why tfir does not run this node test (None: it must pass, or is in EXPECTED_ERRORS)."""
    model = case.model
    opset = _opset(model)
    if opset is None:
        domains = sorted({o.domain for o in model.opset_import})
        return f"domain {', '.join(domains)} only (tfir imports the default ONNX domain)"
    if opset < MIN_OPSET:
        return f"opset {opset} < {MIN_OPSET}"
    domains = {n.domain for n in model.graph.node} - {"", "ai.onnx"}
    if domains:
        return f"domain {', '.join(sorted(domains))}"
    for name, elem in _types(model):
        if elem is None:
            return f"'{name}' is not a tensor (sequence/optional)"
        if elem not in DTYPE_OF:
            return f"dtype {elem_name(elem)} ('{name}') is not a tfir dtype"
    for op in sorted({n.op_type for n in run_time_nodes(model)}):
        kind, why = status(op)
        if kind in ("pending", "unsupported"):
            return f"{op}: {why}"
    return KNOWN_BUGS.get(case.name)


def run_time_nodes(model: Any) -> list[Any]:
    """The nodes that the importer translates: not those it evaluates at import time
    (inputs all constant, no subgraph, or the Shape/Size of a value of static shape;
    every graph input of a node test has a static shape)."""
    const = {i.name for i in model.graph.initializer}
    out = []
    for node in model.graph.node:
        inputs = [i for i in node.input if i]
        has_graph = any(a.type in (a.GRAPH, a.GRAPHS) for a in node.attribute)  # If, Loop: never evaluated
        if node.op_type in ("Constant", "Shape", "Size") or (
                len(node.input) and not has_graph and all(i in const for i in inputs)):
            const.update(o for o in node.output if o)
        else:
            out.append(node)
    return out


def unknown_ops(cases: list[Any]) -> set[str]:
    """Ops of the default domain in the node tests that the op table does not classify."""
    return {n.op_type for c in cases for n in c.model.graph.node
            if n.domain in ("", "ai.onnx") and status(n.op_type)[0] == "unknown"}
