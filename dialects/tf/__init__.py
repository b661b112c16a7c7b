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
broadcast, slice, concat), `constants.py`, `autodiff.py` (`tf.gradients`, expanded
by the `differentiate` pass); their bases in `base.py`.
"""

from __future__ import annotations

from xdsl.ir import Dialect

from tfir.dialects.shape_rules import broadcast_shapes
from tfir.dialects.tf.autodiff import GradientsOp
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
from tfir.dialects.tf.shapes import BroadcastToOp, ConcatOp, ReshapeOp, SliceOp, TransposeOp
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
     ConstantOp, IotaOp, GradientsOp],
    [],
)

__all__ = [
    "ELEMENTWISE_BINARY", "ELEMENTWISE_UNARY", "REDUCTIONS", "TF",
    "AbsOp", "AddOp", "ArgReductionOp", "ArgmaxOp", "ArgminOp", "BroadcastToOp", "CastOp", "CeilOp",
    "CompareOp", "ConcatOp", "ConstantOp", "CosOp", "DivOp", "ElementwiseBinaryOp", "ElementwiseUnaryOp",
    "EqualOp", "ErfOp", "ExpOp", "FloorOp", "FloordivOp", "GradientsOp", "GreaterEqualOp", "GreaterOp", "IotaOp",
    "LessEqualOp", "LessOp", "LogOp", "LogicalAndOp", "LogicalNotOp", "LogicalOrOp", "MatmulOp", "MaxOp",
    "MaximumOp", "MeanOp", "MinOp", "MinimumOp", "ModOp", "MulOp", "NegOp", "NotEqualOp", "PowOp",
    "ProdOp", "ReductionOp", "ReluOp", "ReshapeOp", "RsqrtOp", "SelectOp", "ShapeOp", "SigmoidOp",
    "SignOp", "SinOp", "SliceOp", "SqrtOp", "SubOp", "SumOp", "TanhOp", "TransposeOp",
    "broadcast_shapes",
]
