"""`mylib`: an example tfir dialect, one op per kind of lowering.

- `mylib.rms_norm(x, weight, eps=1e-6)`: decomposed into `tf` by a `.tf` function;
- `mylib.swish(x, beta=1.0)`: decomposed into `tf` by Python against a TfBuilder;
- `mylib.hard_tanh(x, lo=-1.0, hi=1.0)`: lowered to a `linalg.generic`;
- `mylib.cumsum(x)`: a scan over the last axis, implemented by hand for the
  numpy target (`np.cumsum`) and the triton target (a Triton kernel).

Each op's NumPy reference is also what the eager target runs. The pass
`mylib-merge-hard-tanh` (a clamp of a clamp is one clamp) shows a plugin's
rewrite inserted into the pipeline, after `expand-custom-ops`.
"""

from __future__ import annotations

import numpy as np

from tfir.plugin import CallInfo, Dialect, TfBuilder, TType, register_pass, same_as
from tfir_mylib import kernels
from tfir_mylib.passes import MergeHardTanhPass

mylib = Dialect("mylib", "An example dialect of tfir plugins.")

FLOATS = ("f16", "f32", "f64")


def _float_operand(call: CallInfo) -> TType:
    (x,) = call.tensors[:1]
    if x.dtype not in FLOATS:
        raise call.error(f"{call.name} needs a float operand, got {x}", at="x")
    return x


def _rms_norm_shape(call: CallInfo) -> TType:
    x, weight = call.tensors
    _float_operand(call)
    if x.rank == 0:
        raise call.error("rms_norm needs an operand of rank >= 1", at="x")
    if weight.dtype != x.dtype or weight.shape != x.shape[-1:]:
        raise call.error(f"weight must be {x.dtype}[{x.shape[-1]}] (the last axis of x), got {weight}",
                         at="weight")
    if call.attrs["eps"] < 0:
        raise call.error(f"eps must be >= 0, got {call.attrs['eps']}", at="eps")
    return x


@mylib.op(shape=_rms_norm_shape)
def rms_norm(x: np.ndarray, weight: np.ndarray, *, eps: float = 1e-6) -> np.ndarray:
    """x / sqrt(mean(x**2 over the last axis) + eps) * weight."""
    ms = np.mean(x * x, axis=-1, keepdims=True, dtype=x.dtype)
    return x / np.sqrt(ms + x.dtype.type(eps)) * weight


rms_norm.decompose("""
fn rms_norm(x, weight, eps: float) {
    return x * rsqrt(mean(x * x, axis=-1, keepdims=true) + eps) * weight;
}
""")


@mylib.op(shape=_float_operand)
def swish(x: np.ndarray, *, beta: float = 1.0) -> np.ndarray:
    """x * sigmoid(beta * x)."""
    return x / (1 + np.exp(-x.dtype.type(beta) * x))


@swish.decompose
def _swish_tf(b: TfBuilder, x, *, beta: float):
    return b.mul(x, b.sigmoid(b.mul(x, beta)))


def _hard_tanh_shape(call: CallInfo) -> TType:
    x = _float_operand(call)
    if call.attrs["lo"] > call.attrs["hi"]:
        raise call.error(f"lo ({call.attrs['lo']}) must not exceed hi ({call.attrs['hi']})", at="lo")
    return x


@mylib.op(shape=_hard_tanh_shape)
def hard_tanh(x: np.ndarray, *, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """x clamped to [lo, hi]."""
    return np.clip(x, x.dtype.type(lo), x.dtype.type(hi))


@hard_tanh.linalg
def _hard_tanh_linalg(em, x, *, lo: float, hi: float):
    from xdsl.dialects import arith

    from tfir.lowering.utils.linalg_builders import elem_of, shape_of

    elem = elem_of(x)

    def body(b, args):
        low = b.val(arith.MaximumfOp(args[0], b.const(lo, elem)))
        return [b.val(arith.MinimumfOp(low, b.const(hi, elem)))]

    return em.elementwise([x], shape_of(x), elem, body)


def _cumsum_shape(call: CallInfo) -> TType:
    (x,) = call.tensors
    if x.dtype not in ("i32", "i64", "f32", "f64"):
        raise call.error(f"cumsum needs an i32, i64, f32 or f64 operand, got {x}", at="x")
    if x.rank == 0:
        raise call.error("cumsum needs an operand of rank >= 1", at="x")
    return x


@mylib.op(shape=_cumsum_shape)
def cumsum(x: np.ndarray) -> np.ndarray:
    """The running sum over the last axis."""
    return np.cumsum(x, axis=-1, dtype=x.dtype)


cumsum.numpy(kernels.cumsum_numpy)
cumsum.triton(kernels.cumsum_triton)

register_pass(MergeHardTanhPass, after="expand-custom-ops")

__all__ = ["cumsum", "hard_tanh", "mylib", "rms_norm", "same_as", "swish"]
