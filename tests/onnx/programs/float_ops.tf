# Every float primitive of the tf dialect that the exporter maps, with broadcasting.
fn main(x: f32[4, 6], y: f32[6], z: f64[4, 6]) {
    let a = floordiv(x, y) + mod(x, y) - x / (y * y + 1.0);
    let b = rsqrt(abs(x) + 1.0) * sign(x) + erf(x) + floor(x) - ceil(y) + sin(x) * cos(y);
    let c = where(x != y, maximum(x, y), minimum(x, y)) ** 2.0;
    let d = relu(x) + sigmoid(x) + tanh(x) + exp(-abs(x)) + log(abs(x) + 1.0) + sqrt(abs(x));
    let e = sum(x, axis=0) + mean(x, axis=0) + max(x, axis=0, keepdims=true) + min(x, axis=[0])
          + prod(x * 0.5, axis=0);
    let f = cast(argmax(x, axis=1) + argmin(x, axis=1), f32);
    let g = mod(z, cast(y, f64)) + floordiv(z, 3.0);
    return a, b, c, d, e, f, g;
}
