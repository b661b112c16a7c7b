# The v2 elementwise builtins, reductions of bools and statistics.
fn main(x: f32[4, 5], y: f32[4, 5], n: i32[4]) {
    let a = log1p(x * 1e-6) + expm1(x * 1e-6) + log1p(abs(x)) + expm1(x);
    let b = tan(x * 0.5) + atan(x) + square(x) + reciprocal(abs(x) + 1.0);
    let c = softplus(x * 100.0) + softplus(-abs(x) * 100.0) + softplus(x);
    let d = clip(x, -0.5, 0.75) + leaky_relu(x) + leaky_relu(x, alpha=0.2) + elu(x, alpha=0.5);
    let e = atan2(x, y) + atan2(x, -abs(y)) + atan2(0.0 * x, y);
    let f = isnan(x / (y - y)) != isinf(x / (y - y));
    let g = any(x > 1.0, axis=1) != all(x > -1.5, axis=1);
    let h = var(x, axis=0) + std(x, axis=1, ddof=1)[0:1];
    let i = clip(n, -2, 3) * square(n);
    return a, b, c, d, e, f, g, h, i, isnan(n);
}
