# NumPy's NaN semantics: max/min propagate NaN, argmax/argmin take the first NaN.
fn main(x: f32[3, 4]) -> (f32[3], f32[3], i64[3], i64[3], f32[4], i64[4]) {
    return max(x, axis=1), min(x, axis=1), argmax(x, axis=1), argmin(x, axis=1),
           max(x, axis=0), argmin(x, axis=0);
}
