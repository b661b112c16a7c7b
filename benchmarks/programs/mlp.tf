# Two dense layers: matmuls (BLAS) with elementwise epilogues.
fn main(x: f32[B, D], w1: f32[D, H], b1: f32[H], w2: f32[H, D], b2: f32[D]) -> f32[B, D] {
    return relu(x @ w1 + b1) @ w2 + b2;
}
