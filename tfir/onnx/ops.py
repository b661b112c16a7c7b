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
from tfir.onnx.ops_elementwise import ELEMENTWISE
from tfir.onnx.ops_nn import NN
from tfir.onnx.ops_reduce import REDUCE
from tfir.onnx.ops_shape import SHAPE

OPS: dict[str, Rule] = {**ELEMENTWISE, **REDUCE, **SHAPE, **NN}

# ONNX op -> the v2 builtin(s) of ../shared/spec/language.md it maps to.
PENDING_V2: dict[str, str] = {
    "Conv": "conv1d/conv2d", "MaxPool": "max_pool2d", "AveragePool": "avg_pool2d",
    "Gather": "take", "GatherElements": "take_along_axis", "ScatterElements": "scatter/scatter_add",
    "Scatter": "scatter", "ScatterND": "scatter", "OneHot": "one_hot", "CumSum": "cumsum",
    "CumProd": "cumprod", "Einsum": "einsum", "Clip": "clip", "Pad": "pad", "Tile": "tile",
    "Trilu": "tril/triu", "LeakyRelu": "leaky_relu", "Elu": "elu", "Softplus": "softplus",
    "IsNaN": "isnan", "IsInf": "isinf", "Tan": "tan", "Atan": "atan",
    "If": "if (control flow)", "Loop": "for/while (control flow)", "Scan": "for (control flow)",
    "SoftmaxCrossEntropyLoss": "take_along_axis", "NegativeLogLikelihoodLoss": "take_along_axis",
    "ReverseSequence": "flip", "EyeLike": "tril/triu",
}

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
    **{op: _DATA_SHAPE for op in ("NonZero", "Unique", "Compress", "NonMaxSuppression", "TopK")},
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
    **{op: "recurrent layers need v2 loops and are not composed yet" for op in ("RNN", "GRU", "LSTM")},
    **{op: "training ops (ai.onnx.preview.training)" for op in ("Adagrad", "Adam", "Momentum", "Gradient")},
    **{op: "signal processing: " + _NO_BUILTIN for op in
       ("DFT", "STFT", "BlackmanWindow", "HammingWindow", "HannWindow", "MelWeightMatrix")},
    **{op: "interpolation and sampling: " + _NO_BUILTIN for op in
       ("Resize", "Upsample", "GridSample", "RoiAlign", "AffineGrid", "CenterCropPad", "Col2Im",
        "DeformConv", "MaxUnpool", "MaxRoiPool", "LpPool", "LRN", "ConvTranspose")},
    **{op: "elementwise math: " + _NO_BUILTIN for op in
       ("Acos", "Acosh", "Asin", "Asinh", "Atanh", "Cosh", "Sinh", "Round")},
    **{op: "fused attention and normalization ops are not composed yet" for op in
       ("Attention", "FlexAttention", "LinearAttention", "RotaryEmbedding", "GroupNormalization",
        "SwiGLU", "CausalConvWithState", "TensorScatter")},
    "Det": "matrix determinant: " + _NO_BUILTIN,
    "GatherND": "gathering index tuples: " + _NO_BUILTIN + " (v2 take gathers along one axis)",
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
    if op_type in OPS:
        return "supported", ""
    if op_type in PENDING_V2:
        return "pending", f"needs the v2 builtin {PENDING_V2[op_type]}"
    if op_type in UNSUPPORTED:
        return "unsupported", UNSUPPORTED[op_type]
    return "unknown", "not in the op table"
