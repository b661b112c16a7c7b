# Every math function on f16 and f64 (Triton's take fp32 and fp64 only, sqrt_rn fp32 only).
fn main(h: f16[3, 5], d: f64[3, 5]) -> (f16[3, 5], f64[3, 5], f16[3], f64[3]) {
    let a = exp(h) + log(abs(h) + 0.5) + sqrt(abs(h)) + rsqrt(abs(h) + 1.0) + tanh(h) + sin(h) + cos(h);
    let b = floor(h) + ceil(h) + erf(h) + sigmoid(h) + abs(h) ** 1.5;
    let c = exp(d) + log(abs(d) + 0.5) + sqrt(abs(d)) + rsqrt(abs(d) + 1.0) + tanh(d) + sin(d) + cos(d);
    let e = floor(d) + ceil(d) + erf(d) + sigmoid(d) + abs(d) ** 1.5;
    return a * 0.125 + b * 0.125, c + e, max(h, axis=1), sum(d * d, axis=1);
}
