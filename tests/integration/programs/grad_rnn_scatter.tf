fn main(xs: f32[T, B, D], h0: f32[B, H], w: f32[D, H], u: f32[H, H], v: f32[H]) -> (f32[D, H], f32[H, H], f32[B, H], f32[T, B, D], f32[H]) {
    let h = h0;
    let hs = zeros([T, B, H]);
    for t in range(T) {
        let h = tanh(xs[t] @ w + h @ u);
        let hs = scatter(hs, t, h);
    }
    let score = sum(hs * v, axis=-1);
    let loss = mean(logsumexp(score, axis=0));
    let gw, gu, gh0, gxs, gv = gradients(loss, [w, u, h0, xs, v]);
    return gw, gu, gh0, gxs, gv;
}
