"""Counter-based random numbers: `tf.random_uniform` and `tf.random_normal`.

Stateless: the values depend only on the seed's integer value, the result
shape and the element type, never on tiling or execution order. The
generator is Philox-4x32-10 with the constants and conversions of Triton's
`tl.randint4x` / `tl.rand` / `tl.randn`, so that `random_uniform(s, [n])` in
f32 is bit for bit `tl.rand(s, arange(n))`:

- key: `k0, k1` = the low and high 32 bits of the seed as a signed 64-bit
  integer (an `i32` seed is sign-extended first);
- element with row-major linear index `i`: counter `(c0, c1, c2, c3) =
  (i mod 2**32, i >> 32, 0, 0)`;
- 10 rounds of `(c0, c1, c2, c3) <- (hi(B c2) ^ c1 ^ k0, lo(B c2),
  hi(A c0) ^ c3 ^ k1, lo(A c0))`, then `k0 += 0x9E3779B9`,
  `k1 += 0xBB67AE85` (mod 2**32), with `A = 0xD2511F53`, `B = 0xCD9E8D57` and
  `hi`/`lo` the high and low words of the 64-bit product; the outputs
  `r0..r3` are the final `c0..c3`;
- uniform, f32: `x` = `r0` as a signed 32-bit integer, `x = ~x` where
  negative, then `float32(x) * float32(4.6566127342e-10)` (in [0, 1));
  f64: `x = (r0 << 32 | r1)` as a signed 64-bit integer, `~x` where
  negative, then `float64(x) * 1.0842020432385337e-19`; f16:
  `(r0 >> 21) * 2**-11` (exact in f16);
- normal (Box-Muller, as `tl.randn`): f32 and f16 (computed in f32):
  `u1 = max(1e-7, uniform(r0))`, `u2 = uniform(r1)`,
  `sqrt(-2 log u1) * cos(2 pi u2)`; f64: the same with the f64 uniforms of
  `(r0, r1)` and `(r2, r3)` and `u1 = max(2**-63, u1)`.

`NUMPY` below is this definition on NumPy arrays (what the eager target runs);
`convert-tf-to-linalg` builds the same arithmetic into a `linalg.generic`.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import AnyFloat, IntegerType, TensorType
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from tfir.dialects.dtypes import numpy_dtype_of
from tfir.dialects.tf.base import elem_of, shape_of

ROUNDS = 10
KEY_A, KEY_B = 0x9E3779B9, 0xBB67AE85
ROUND_A, ROUND_B = 0xD2511F53, 0xCD9E8D57
SCALE_32 = 4.6566127342e-10       # as float32: the largest with (2**31 - 1) * scale < 1
SCALE_64 = 1.0842020432385337e-19  # as float64: the same for 2**63 - 1
MIN_U32 = 1.0e-7                  # Box-Muller's floor of u1 (tl.randn)
MIN_U64 = 2.0 ** -63
TWO_PI = 6.283185307179586
MASK32 = 0xFFFFFFFF


def seed_key(seed: int) -> tuple[int, int]:
    """(k0, k1): the low and high words of the seed as a signed 64-bit integer."""
    return seed & MASK32, (seed >> 32) & MASK32


def philox(seed: int, index: np.ndarray) -> tuple[np.ndarray, ...]:
    """Philox-4x32-10 of counters `(index mod 2**32, index >> 32, 0, 0)`: four uint32 arrays."""
    index = np.asarray(index, np.uint64)
    k0, k1 = seed_key(int(seed))
    c0 = (index & np.uint64(MASK32)).astype(np.uint32)
    c1 = (index >> np.uint64(32)).astype(np.uint32)
    c2 = np.zeros_like(c0)
    c3 = np.zeros_like(c0)
    a, b = np.uint64(ROUND_A), np.uint64(ROUND_B)
    for _ in range(ROUNDS):
        pb = c2.astype(np.uint64) * b
        pa = c0.astype(np.uint64) * a
        c0, c1, c2, c3 = ((pb >> np.uint64(32)).astype(np.uint32) ^ c1 ^ np.uint32(k0), pb.astype(np.uint32),
                          (pa >> np.uint64(32)).astype(np.uint32) ^ c3 ^ np.uint32(k1), pa.astype(np.uint32))
        k0, k1 = (k0 + KEY_A) & MASK32, (k1 + KEY_B) & MASK32
    return c0, c1, c2, c3


def uniform32(r: np.ndarray) -> np.ndarray:
    x = r.view(np.int32)
    x = np.where(x < 0, ~x, x)
    return x.astype(np.float32) * np.float32(SCALE_32)


def uniform64(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    x = ((hi.astype(np.uint64) << np.uint64(32)) | lo.astype(np.uint64)).view(np.int64)
    x = np.where(x < 0, ~x, x)
    return x.astype(np.float64) * np.float64(SCALE_64)


def uniform16(r: np.ndarray) -> np.ndarray:
    return ((r >> np.uint32(21)).astype(np.float32) * np.float32(2.0 ** -11)).astype(np.float16)


def random_uniform(seed: int, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    r = philox(seed, np.arange(int(np.prod(shape)), dtype=np.uint64))
    dtype = np.dtype(dtype)
    if dtype == np.float64:
        out = uniform64(r[0], r[1])
    elif dtype == np.float16:
        out = uniform16(r[0])
    else:
        out = uniform32(r[0])
    return out.reshape(shape)


def random_normal(seed: int, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    r = philox(seed, np.arange(int(np.prod(shape)), dtype=np.uint64))
    dtype = np.dtype(dtype)
    with np.errstate(all="ignore"):
        if dtype == np.float64:
            u1 = np.maximum(uniform64(r[0], r[1]), MIN_U64)
            u2 = uniform64(r[2], r[3])
            out = np.sqrt(-2.0 * np.log(u1)) * np.cos(TWO_PI * u2)
        else:
            u1 = np.maximum(np.float32(MIN_U32), uniform32(r[0]))
            u2 = uniform32(r[1])
            out = np.sqrt(np.float32(-2.0) * np.log(u1)) * np.cos(np.float32(TWO_PI) * u2)
    return out.astype(dtype).reshape(shape)


class RandomOp(IRDLOperation):
    """Base of the random ops: a rank-0 integer seed, a float result."""

    seed = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$seed attr-dict `:` functional-type(operands, results)"

    def __init__(self, seed: SSAValue, result_type: Attribute):
        super().__init__(operands=[seed], result_types=[result_type])

    def verify_(self) -> None:
        if shape_of(self.seed) != () or not isinstance(elem_of(self.seed), IntegerType) \
                or elem_of(self.seed) == IntegerType(1):
            raise VerifyException(f"expected a rank-0 integer seed, got {self.seed.type}")
        if not isinstance(elem_of(self.result), AnyFloat):
            raise VerifyException(f"expected a float result, got {self.result.type}")


@irdl_op_definition
class RandomUniformOp(RandomOp):
    """Uniform random numbers in [0, 1) of the result's shape and type, from
    Philox-4x32-10 keyed by the seed's value (module docstring: the exact
    definition, bit for bit `tl.rand` in f32).

    ```mlir
    %u = tf.random_uniform %seed : (tensor<i32>) -> tensor<200x500xf32>
    ```
    """

    name = "tf.random_uniform"

    def numpy(self, seed: np.ndarray) -> np.ndarray:
        return random_uniform(int(seed), shape_of(self.result), numpy_dtype_of(self.result.type))


@irdl_op_definition
class RandomNormalOp(RandomOp):
    """Standard normal random numbers: Box-Muller on two uniforms of the same
    Philox counter (module docstring).

    ```mlir
    %n = tf.random_normal %seed : (tensor<i64>) -> tensor<1000xf32>
    ```
    """

    name = "tf.random_normal"

    def numpy(self, seed: np.ndarray) -> np.ndarray:
        return random_normal(int(seed), shape_of(self.result), numpy_dtype_of(self.result.type))


RANDOM_OPS = (RandomUniformOp, RandomNormalOp)
