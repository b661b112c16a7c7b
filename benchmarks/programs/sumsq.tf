# Column sums of squares: a reduction over the leading (strided) axis.
fn main(x: f32[M, K]) -> f32[K] {
    return sum(x * x, axis=0);
}
