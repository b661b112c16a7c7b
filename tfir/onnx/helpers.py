"""Helper functions that imported `.tf` files define when their graph needs
them: ONNX semantics that are several `.tf` primitives, written once."""

from __future__ import annotations

HELPERS: dict[str, str] = {
    "onnx_div_trunc": """
# ONNX Div on integers rounds toward zero (C semantics); floordiv rounds down.
fn onnx_div_trunc(a, b) {
    let q = floordiv(a, b);
    let r = a - q * b;
    return where(logical_and(r != 0, (a < 0) != (b < 0)), q + 1, q);
}""",
    "onnx_fmod": """
# ONNX Mod with fmod=1: the remainder has the sign of the dividend (C fmod);
# mod's has the sign of the divisor.
fn onnx_fmod(a, b) {
    let m = mod(a, b);
    return where(logical_and(m != 0, (m < 0) != (a < 0)), m - b, m);
}""",
    "onnx_normalize": """
# Normalization over `axes` (ONNX LayerNormalization): the normalized value,
# the mean and 1 / sqrt(variance + eps), the variance with ddof 0.
fn onnx_normalize(x, axes: [int], eps: float) {
    let m = mean(x, axis=axes, keepdims=true);
    let d = x - m;
    let inv_std = 1.0 / sqrt(mean(d * d, axis=axes, keepdims=true) + eps);
    return d * inv_std, m, inv_std;
}""",
}
