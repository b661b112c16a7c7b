# A transformer block's normalisation and feed-forward path.
fn ffn(x, w1, w2) {
    return gelu(x @ w1) @ w2;
}

fn block(x: f32[16, 64], gamma: f32[64], beta: f32[64],
         w1: f32[64, 256], w2: f32[256, 64]) -> f32[16, 64] {
    let h = layernorm(x, gamma, beta, eps=1e-5);
    return x + ffn(h, w1 * 0.1, w2 * 0.05);
}
