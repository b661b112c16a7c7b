fn attend(q, k, v, mask) {
    let s = q @ transpose(k, perm=[0, 2, 1]) / sqrt(dim(q, -1) * 1.0);
    let s = where(mask, s, -1e9);
    return softmax(s, axis=-1) @ v;
}
fn main(x: f32[B, T, D], wq: f32[D, D], wk: f32[D, D], wv: f32[D, D], g: f32[D], b: f32[D]) -> (f32, f32[D, D], f32[D, D], f32[D, D], f32[D], f32[B, T, D]) {
    let mask = tril(ones([T, T])) > 0.5;
    let h = layernorm(x, g, b);
    let y = attend(h @ wq, h @ wk, h @ wv, mask) + x;
    let loss = mean(y * y) + 0.1 * sum(abs(wq));
    let gq, gk, gv, gg, gx = gradients(loss, [wq, wk, wv, g, x]);
    return loss, gq, gk, gv, gg, gx;
}
