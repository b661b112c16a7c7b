# Found by `tfir fuzz --targets triton` (seed 2001484): in f64, a float literal
# passed to a Triton helper (`_powf(1.5, x)`) was an fp32 scalar, so log2(1.5)
# was computed in f32 (a relative error of 7e-9). Checked to 1e-13 below.
fn main(x: f64[6], y: f64[6]) -> (f64[6], f64[6], f64[6], f64[6]) {
    let p = abs(x) + 0.5;
    return 1.5 ** p, p ** 0.1, atan2(y, 0.1), maximum(y, 0.1) - 1.0 / 3.0;
}
