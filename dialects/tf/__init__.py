"""The `tf` dialect: tensor-level primitives with value semantics.

Every op works on builtin `tensor<...>` types with static shapes (a program is
specialized per input signature before it is lowered). Elementwise ops
broadcast their operands as NumPy does; the result type carries the
broadcast shape:

```mlir
%y = tf.add %a, %b : (tensor<4x5xf32>, tensor<5xf32>) -> tensor<4x5xf32>
%m = tf.max %y {axes = array<i64: 1>, keepdims = false} : (tensor<4x5xf32>) -> tensor<4xf32>
```

One class per op, by family: `binary.py` (broadcasting binary ops and
`select`), `unary.py` (elementwise unary ops and `cast`), `reductions.py`
(reductions, arg-reductions, `matmul`), `shapes.py` (transpose, reshape,
broadcast, slice, concat), `constants.py`; their bases in `base.py`.
Language version 2 adds `math.py` (more elementwise ops), `stats.py` (`any`,
`all`, `var`, `std`), `scan.py` (`cumsum`, `cumprod`), `arrays.py` (`tril`,
`triu`, `flip`, `tile`, `repeat`, `pad`), `einsum.py`, `nn.py` (convolution,
pooling), `random.py` (counter-based random numbers), `control.py`
(`from_index`, beside xDSL's `scf` ops) and `indexing.py` (gathers,
scatters, index checks).
"""

from __future__ import annotations

from xdsl.ir import Dialect

from tfir.dialects.shape_rules import broadcast_shapes
from tfir.dialects.tf.arrays import ARRAY_OPS, FlipOp, PadOp, RepeatOp, TileOp, TrilOp, TriuOp
from tfir.dialects.tf.base import (
    ArgReductionOp,
    CompareOp,
    ElementwiseBinaryOp,
    ElementwiseUnaryOp,
    ReductionOp,
    ShapeOp,
)
from tfir.dialects.tf.binary import (
    ELEMENTWISE_BINARY,
    AddOp,
    DivOp,
    EqualOp,
    FloordivOp,
    GreaterEqualOp,
    GreaterOp,
    LessEqualOp,
    LessOp,
    LogicalAndOp,
    LogicalOrOp,
    MaximumOp,
    MinimumOp,
    ModOp,
    MulOp,
    NotEqualOp,
    PowOp,
    SelectOp,
    SubOp,
)
from tfir.dialects.tf.constants import ConstantOp, IotaOp
from tfir.dialects.tf.control import FromIndexOp
from tfir.dialects.tf.einsum import EinsumOp, EquationError, parse_equation
from tfir.dialects.tf.indexing import (
    INDEXING,
    CheckIndexOp,
    ScatterAddOp,
    ScatterOp,
    TakeAlongAxisOp,
    TakeOp,
)
from tfir.dialects.tf.math import (
    ACTIVATIONS,
    ELEMENTWISE_UNARY_V2,
    MATH_OPS,
    PREDICATES,
    AlphaActivationOp,
    Atan2Op,
    AtanOp,
    ClipOp,
    ElementwisePredicateOp,
    EluOp,
    Expm1Op,
    IsinfOp,
    IsnanOp,
    LeakyReluOp,
    Log1pOp,
    ReciprocalOp,
    SoftplusOp,
    SquareOp,
    TanOp,
)
from tfir.dialects.tf.nn import NN_OPS, AvgPool2dOp, ConvOp, MaxPool2dOp, PoolOp
from tfir.dialects.tf.random import RANDOM_OPS, RandomNormalOp, RandomOp, RandomUniformOp
from tfir.dialects.tf.reductions import (
    REDUCTIONS,
    ArgmaxOp,
    ArgminOp,
    MatmulOp,
    MaxOp,
    MeanOp,
    MinOp,
    ProdOp,
    SumOp,
)
from tfir.dialects.tf.scan import SCAN_OPS, CumprodOp, CumsumOp, ScanOp
from tfir.dialects.tf.shapes import BroadcastToOp, ConcatOp, ReshapeOp, SliceOp, TransposeOp
from tfir.dialects.tf.stats import STATS_OPS, AllOp, AnyOp, StdOp, VarOp
from tfir.dialects.tf.unary import (
    ELEMENTWISE_UNARY,
    AbsOp,
    CastOp,
    CeilOp,
    CosOp,
    ErfOp,
    ExpOp,
    FloorOp,
    LogicalNotOp,
    LogOp,
    NegOp,
    ReluOp,
    RsqrtOp,
    SigmoidOp,
    SignOp,
    SinOp,
    SqrtOp,
    TanhOp,
)

TF = Dialect(
    "tf",
    [*ELEMENTWISE_BINARY, *ELEMENTWISE_UNARY, SelectOp, CastOp, *REDUCTIONS, ArgmaxOp,
     ArgminOp, MatmulOp, TransposeOp, ReshapeOp, BroadcastToOp, SliceOp, ConcatOp,
     ConstantOp, IotaOp, *MATH_OPS, *STATS_OPS, *SCAN_OPS, *ARRAY_OPS, EinsumOp, *NN_OPS,
     *RANDOM_OPS, FromIndexOp, *INDEXING],
    [],
)

__all__ = [
    "ELEMENTWISE_BINARY", "ELEMENTWISE_UNARY", "REDUCTIONS", "TF",
    "AbsOp", "AddOp", "ArgReductionOp", "ArgmaxOp", "ArgminOp", "BroadcastToOp", "CastOp", "CeilOp",
    "CheckIndexOp", "CompareOp", "ConcatOp", "ConstantOp", "FromIndexOp", "ScatterAddOp", "ScatterOp",
    "TakeAlongAxisOp", "TakeOp", "CosOp", "DivOp", "ElementwiseBinaryOp", "ElementwiseUnaryOp",
    "EqualOp", "ErfOp", "ExpOp", "FloorOp", "FloordivOp", "GreaterEqualOp", "GreaterOp", "IotaOp",
    "LessEqualOp", "LessOp", "LogOp", "LogicalAndOp", "LogicalNotOp", "LogicalOrOp", "MatmulOp", "MaxOp",
    "MaximumOp", "MeanOp", "MinOp", "MinimumOp", "ModOp", "MulOp", "NegOp", "NotEqualOp", "PowOp",
    "ProdOp", "ReductionOp", "ReluOp", "ReshapeOp", "RsqrtOp", "SelectOp", "ShapeOp", "SigmoidOp",
    "SignOp", "SinOp", "SliceOp", "SqrtOp", "SubOp", "SumOp", "TanhOp", "TransposeOp",
    "broadcast_shapes",
    # language version 2
    "ACTIVATIONS", "ARRAY_OPS", "ELEMENTWISE_UNARY_V2", "MATH_OPS", "NN_OPS", "PREDICATES", "RANDOM_OPS",
    "SCAN_OPS", "STATS_OPS", "AlphaActivationOp", "ElementwisePredicateOp", "PoolOp", "RandomOp", "ScanOp",
    "AllOp", "AnyOp", "Atan2Op", "AtanOp", "AvgPool2dOp", "ClipOp", "ConvOp",
    "CumprodOp", "CumsumOp", "EinsumOp", "EluOp", "EquationError", "Expm1Op", "FlipOp", "IsinfOp",
    "IsnanOp", "LeakyReluOp", "Log1pOp", "MaxPool2dOp", "PadOp", "RandomNormalOp", "RandomUniformOp",
    "ReciprocalOp", "RepeatOp", "SoftplusOp", "SquareOp", "StdOp", "TanOp", "TileOp", "TrilOp", "TriuOp",
    "VarOp", "parse_equation",
]
