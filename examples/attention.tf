# Scaled dot-product attention over 4 heads, with a causal mask.
fn attention(q: f32[4, 64, 32], k: f32[4, 64, 32], v: f32[4, 64, 32]) -> f32[4, 64, 32] {
    let scores = q @ transpose(k, perm=[0, 2, 1]) * rsqrt(cast(full([], 32), f32));
    let row = reshape(arange(64), [64, 1]);
    let col = reshape(arange(64), [1, 64]);
    let masked = where(col <= row, scores, -1e9);
    return softmax(masked, axis=-1) @ v;
}
