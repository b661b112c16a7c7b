"""The op table of the importer: every ONNX op is in exactly one of

- `OPS`: translated (handlers in ops_elementwise, ops_reduce, ops_shape, ops_nn);
- `PENDING_V2`: needs a builtin of `.tf` version 2 that tfir does not have yet.
  When it lands, supporting the op is one entry: a handler in the ops tables
  (most are one line: `n.out(f"clip({n.x(0)}, {n.x(1)}, {n.x(2)})")`), and the
  line here removed;
- `UNSUPPORTED`: not expressible in `.tf`, with the reason.

Any of these, and an op in none of them, is an `OnnxError` naming the node.
Nodes whose inputs are all constants are evaluated at import time whatever
their op (see importer.py), so shape computations never reach this table.
"""

from __future__ import annotations

from tfir.onnx.node import NodeCtx, Rule
from tfir.onnx.ops_array import ARRAY
from tfir.onnx.ops_control import CONTROL
from tfir.onnx.ops_conv import CONV
from tfir.onnx.ops_elementwise import ELEMENTWISE
from tfir.onnx.ops_index import INDEX
from tfir.onnx.ops_nn import NN
from tfir.onnx.ops_reduce import REDUCE
from tfir.onnx.ops_rnn import RNN
from tfir.onnx.ops_shape import SHAPE

OPS: dict[str, Rule] = {**ELEMENTWISE, **REDUCE, **SHAPE, **NN, **ARRAY, **INDEX, **CONV, **CONTROL, **RNN}

# ONNX op -> the v2 builtin(s) of ../shared/spec/language.md it maps to.
PENDING_V2: dict[str, str] = {}

# Ops ONNX defines as a function of other ops: imported as that function (functions.py).
FUNCTIONS: frozenset[str] = frozenset({
    "AffineGrid", "Attention", "CausalConvWithState", "CenterCropPad", "GroupNormalization", "LinearAttention",
    "RotaryEmbedding", "SwiGLU", "BlackmanWindow", "HammingWindow", "HannWindow"})

_NO_DTYPE = "works on integer types tfir does not have (uint8, int8, ...)"
_DATA_SHAPE = "its result's shape depends on the input values; tfir's shapes are static"
_NO_BUILTIN = "tfir has no builtin for it"

# ONNX op -> why it is not supported.
UNSUPPORTED: dict[str, str] = {
    **{op: "bitwise ops: tfir has no bitwise builtins" for op in
       ("BitShift", "BitwiseAnd", "BitwiseNot", "BitwiseOr", "BitwiseXor", "BitCast")},
    **{op: "quantized ops: " + _NO_DTYPE for op in
       ("QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul",
        "MatMulInteger", "ConvInteger")},
    **{op: _DATA_SHAPE for op in ("NonZero", "Unique", "Compress", "NonMaxSuppression")},
    "TopK": "sorting: tfir has no sort builtin",
    **{op: "string ops: tfir has no string type" for op in
       ("StringConcat", "StringNormalizer", "StringSplit", "RegexFullMatch", "LabelEncoder",
        "TfIdfVectorizer", "ImageDecoder")},
    **{op: "sequence and optional values: tfir values are tensors" for op in
       ("SequenceEmpty", "SequenceInsert", "SequenceLength", "SequenceMap", "SplitToSequence",
        "SequenceAt", "SequenceConstruct", "SequenceErase", "ConcatFromSequence", "Optional",
        "OptionalGetElement", "OptionalHasElement")},
    **{op: "random numbers: ONNX's generators are not tfir's, so results cannot match" for op in
       ("RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Bernoulli",
        "Multinomial")},
    **{op: "training ops (ai.onnx.preview.training)" for op in ("Adagrad", "Adam", "Momentum", "Gradient")},
    **{op: "signal processing: " + _NO_BUILTIN for op in ("DFT", "STFT", "MelWeightMatrix")},
    **{op: "interpolation and sampling: " + _NO_BUILTIN for op in
       ("Resize", "Upsample", "GridSample", "RoiAlign", "Col2Im",
        "DeformConv", "MaxUnpool", "MaxRoiPool", "ConvTranspose")},
    "FlexAttention": "its score function is a subgraph ONNX defines no expansion for",
    "TensorScatter": "a scatter at run-time positions of a cache: not composed yet",
    "Det": "matrix determinant: " + _NO_BUILTIN,
    "ArrayFeatureExtractor": "ai.onnx.ml op", "Binarizer": "ai.onnx.ml op", "TreeEnsemble": "ai.onnx.ml op",
}


def lookup(n: NodeCtx) -> Rule:
    """The rule for a node's op; OnnxError for pending, unsupported and unknown ops."""
    rule = OPS.get(n.op)
    if rule is not None:
        return rule
    if n.op in PENDING_V2:
        raise n.error(f"needs the v2 builtin {PENDING_V2[n.op]}, which tfir does not have yet")
    if n.op in UNSUPPORTED:
        raise n.error(f"not supported: {UNSUPPORTED[n.op]}")
    raise n.error("not supported: an ONNX op that tfir's importer does not know")


def status(op_type: str) -> tuple[str, str]:
    """('supported' | 'pending' | 'unsupported' | 'unknown', reason) of an op type."""
    if op_type in OPS or op_type in FUNCTIONS:
        return "supported", ""
    if op_type in PENDING_V2:
        return "pending", f"needs the v2 builtin {PENDING_V2[op_type]}"
    if op_type in UNSUPPORTED:
        return "unsupported", UNSUPPORTED[op_type]
    return "unknown", "not in the op table"
