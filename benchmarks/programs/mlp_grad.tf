# Loss and gradients of a 2-layer MLP with softmax cross-entropy (one-hot labels).
fn main(x: f32[B, D], labels: f32[B, C], w1: f32[D, H], b1: f32[H], w2: f32[H, C], b2: f32[C])
        -> (f32, f32[D, H], f32[H], f32[H, C], f32[C]) {
    let h = relu(x @ w1 + b1);
    let logits = h @ w2 + b2;
    let loss = -mean(sum(labels * log_softmax(logits), axis=-1));
    let gw1, gb1, gw2, gb2 = gradients(loss, [w1, b1, w2, b2]);
    return loss, gw1, gb1, gw2, gb2;
}
