"""ONNX ops that ONNX itself defines as a function of other ops (`Attention`,
`RotaryEmbedding`, `GroupNormalization`, ...) are imported as that definition:
the node is replaced by the nodes of its function body (the body ONNX gives for
the model's opset and, for a context-dependent function, for the node's input
types), its values renamed apart, and those nodes are imported like any other.
The `.tf` file then shows the expansion, each line naming the fused node.
"""

from __future__ import annotations

from collections.abc import Callable

import onnx
from onnx import AttributeProto, FunctionProto, NodeProto


def function_body(node: NodeProto, opset: int,
                  input_types: list[onnx.TypeProto]) -> tuple[FunctionProto, NodeProto] | None:
    """The function ONNX defines `node`'s op as, for `opset`, and the node with its
    attributes' defaults filled in (None if ONNX defines no function)."""
    try:
        schema = onnx.defs.get_schema(node.op_type, opset, domain=node.domain)
    except onnx.defs.SchemaError:
        return None
    plain = [v for v in schema.function_opset_versions if v <= opset]
    dependent = [v for v in schema.context_dependent_function_opset_versions if v <= opset]
    proto = FunctionProto()
    with_defaults = _with_defaults(node, schema)
    if dependent and (not plain or max(dependent) >= max(plain)):
        proto.ParseFromString(schema.get_context_dependent_function_with_opset_version(
            max(dependent), with_defaults.SerializeToString(), [t.SerializeToString() for t in input_types]))
    elif plain:
        proto.ParseFromString(schema.get_function_with_opset_version(max(plain)))
    else:
        return None
    return proto, with_defaults


def _with_defaults(node: NodeProto, schema: onnx.defs.OpSchema) -> NodeProto:
    """`node` with the default value of every attribute it does not set."""
    out = NodeProto()
    out.CopyFrom(node)
    given = {a.name for a in node.attribute}
    for name, attr in schema.attributes.items():
        if name not in given and attr.default_value and attr.default_value.name:
            out.attribute.append(attr.default_value)
    return out


def expand(node: NodeProto, body: FunctionProto, prefix: str, schema_node: NodeProto) -> list[NodeProto]:
    """The nodes of `body` wired to `node`'s inputs and outputs, every internal value
    named `prefix + name`, attribute references replaced by `schema_node`'s attributes."""
    names: dict[str, str] = {}
    for i, name in enumerate(body.input):
        names[name] = node.input[i] if i < len(node.input) else ""
    for i, name in enumerate(body.output):
        if i < len(node.output) and node.output[i]:
            names[name] = node.output[i]
    attrs = {a.name: a for a in schema_node.attribute}

    def rename(name: str) -> str:
        return names.get(name, prefix + name if name else "")

    return [_renamed(n, rename, attrs, prefix, f"{node.name or node.op_type}/{n.name or n.op_type}_{i}")
            for i, n in enumerate(body.node)]


def _renamed(inner: NodeProto, rename: Callable[[str], str], attrs: dict[str, AttributeProto], prefix: str,
             name: str) -> NodeProto:
    out = NodeProto()
    out.CopyFrom(inner)
    out.name = name
    del out.input[:], out.output[:], out.attribute[:]
    out.input.extend(rename(i) for i in inner.input)
    out.output.extend(rename(o) for o in inner.output)
    for attr in inner.attribute:
        if attr.HasField("ref_attr_name"):
            if attr.ref_attr_name in attrs:  # an attribute of the fused node, under the inner name
                ref = AttributeProto()
                ref.CopyFrom(attrs[attr.ref_attr_name])
                ref.name = attr.name
                out.attribute.append(ref)
            continue
        copy = AttributeProto()
        copy.CopyFrom(attr)
        if attr.type == AttributeProto.GRAPH:
            _rename_subgraph(copy.g, rename, attrs, prefix)
        out.attribute.append(copy)
    return out


def _rename_subgraph(graph: onnx.GraphProto, rename: Callable[[str], str], attrs: dict[str, AttributeProto],
                     prefix: str) -> None:
    local = {}
    for info in [*graph.input, *graph.output]:
        local[info.name] = info.name = prefix + info.name
    for init in graph.initializer:
        local[init.name] = init.name = prefix + init.name

    def inner(name: str) -> str:
        return local.get(name) or rename(name)

    nodes = [_renamed(n, inner, attrs, prefix, n.name or f"{n.op_type}_{i}") for i, n in enumerate(graph.node)]
    del graph.node[:]
    graph.node.extend(nodes)
