# Softmax over the last axis (the prelude's numerically stable composite).
fn main(x: f32[M, K]) -> f32[M, K] {
    return softmax(x, axis=-1);
}
