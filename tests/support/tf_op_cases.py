"""The `tf` op kinds with their NumPy meanings, the dtypes and shapes that the
convert-tf-to-linalg tests cover (numerics and upstream mlir-opt alike), and
a whole MLP module in the `tf` form with its NumPy reference."""

from __future__ import annotations

import math

import numpy as np

F16, F32, F64, I32, I64, BOOL = (np.dtype(t) for t in (np.float16, np.float32, np.float64,
                                                       np.int32, np.int64, np.bool_))
FLOATS, INTS = [F16, F32, F64], [I32, I64]


ARITH = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
         "pow": np.power, "maximum": np.maximum, "minimum": np.minimum,
         "floordiv": np.floor_divide, "mod": np.mod}


COMPARE = {"equal": np.equal, "not_equal": np.not_equal, "less": np.less,
           "less_equal": np.less_equal, "greater": np.greater, "greater_equal": np.greater_equal}


LOGICAL = {"logical_and": np.logical_and, "logical_or": np.logical_or}


def _erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(x).astype(x.dtype)


FLOAT_UNARY = {"neg": np.negative, "abs": np.abs, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
               "rsqrt": lambda x: 1 / np.sqrt(x), "tanh": np.tanh, "sin": np.sin, "cos": np.cos,
               "floor": np.floor, "ceil": np.ceil, "sign": np.sign, "erf": _erf,
               "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "relu": lambda x: np.maximum(x, 0)}


INT_UNARY = {"neg": np.negative, "abs": np.abs, "sign": np.sign,
             "relu": lambda x: np.maximum(x, 0), "floor": lambda x: x, "ceil": lambda x: x}


REDUCE = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min}


MATMUL_FORMS = [
    ((3,), (3, 4)), ((4, 3), (3,)), ((3,), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)), ((2, 1, 5, 3), (6, 3, 4)), ((6, 3, 4), (4,)), ((3,), (2, 2, 3, 4)),
    ((2, 2, 4, 3), (3,)), ((1, 2, 3), (4, 3, 2)), ((2, 3, 2), (2, 2, 3)),
]


SLICES = [  # shape, start, stride, NumPy index, lowered to extract_slice?
    ((5, 6, 7), (1, 0, 0), (1, 1, 1), np.s_[1:3], True),
    ((5, 6, 7), (0, 0, 0), (1, 2, 1), np.s_[:, ::2], True),
    ((5, 6, 7), (1, 0, 6), (2, 1, 1), np.s_[1:5:2, :, 6:7], True),
    ((5,), (4,), (-1,), np.s_[::-1], False),
    ((6,), (3,), (-2,), np.s_[3::-2], False),
    ((4, 5), (3, 1), (-1, 2), np.s_[::-1, 1::2], False),
    ((4, 5), (0, 0), (1, 1), np.s_[:, :], None),
]


MLP = """
builtin.module {
  func.func @main(%x: tensor<4x6xf32>, %w1: tensor<6x5xf32>, %b1: tensor<5xf32>, %w2: tensor<5x3xf32>, %b2: tensor<3xf32>) -> tensor<4x3xf32> {
    %0 = tf.matmul %x, %w1 : (tensor<4x6xf32>, tensor<6x5xf32>) -> tensor<4x5xf32> loc("mlp.tf":2:12)
    %1 = tf.add %0, %b1 : (tensor<4x5xf32>, tensor<5xf32>) -> tensor<4x5xf32> loc("mlp.tf":2:12)
    %2 = tf.relu %1 : (tensor<4x5xf32>) -> tensor<4x5xf32> loc("mlp.tf":7:13)
    %3 = tf.matmul %2, %w2 : (tensor<4x5xf32>, tensor<5x3xf32>) -> tensor<4x3xf32> loc("mlp.tf":2:12)
    %4 = tf.add %3, %b2 : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32> loc("mlp.tf":2:12)
    %5 = tf.max %4 {axes = array<i64: 1>, keepdims = true} : (tensor<4x3xf32>) -> tensor<4x1xf32> loc("lib.tf":3:13)
    %6 = tf.sub %4, %5 : (tensor<4x3xf32>, tensor<4x1xf32>) -> tensor<4x3xf32> loc("lib.tf":3:13)
    %7 = tf.exp %6 : (tensor<4x3xf32>) -> tensor<4x3xf32> loc("lib.tf":3:13)
    %8 = tf.sum %7 {axes = array<i64: 1>, keepdims = true} : (tensor<4x3xf32>) -> tensor<4x1xf32> loc("lib.tf":4:12)
    %9 = tf.div %7, %8 : (tensor<4x3xf32>, tensor<4x1xf32>) -> tensor<4x3xf32> loc("lib.tf":4:12)
    func.return %9 : tensor<4x3xf32> loc("mlp.tf":8:5)
  } loc("mlp.tf":5:1)
} loc("mlp.tf":1:1)
"""


def mlp_reference(x, w1, b1, w2, b2):  # noqa: ANN001, ANN201
    h = np.maximum(x @ w1 + b1, 0)
    z = h @ w2 + b2
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def mlp_inputs() -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.standard_normal(s).astype(np.float32) for s in [(4, 6), (6, 5), (5,), (5, 3), (3,)]]
