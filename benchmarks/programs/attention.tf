# Scaled dot-product attention per head (the scale is 1/sqrt(64)).
fn main(q: f32[H, T, D], k: f32[H, T, D], v: f32[H, T, D]) -> f32[H, T, D] {
    let scores = q @ transpose(k, perm=[0, 2, 1]) * 0.125;
    return softmax(scores, axis=-1) @ v;
}
