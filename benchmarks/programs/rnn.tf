# An Elman RNN over T steps, collecting every state (benchmark: T=256, B=64, H=256).
fn main(xs: f32[T, B, D], h0: f32[B, H], w: f32[D, H], u: f32[H, H], b: f32[H]) -> f32[T, B, H] {
    let h = h0;
    let hs = zeros([T, B, H]);
    for t in range(T) {
        let h = tanh(xs[t] @ w + h @ u + b);
        let hs = scatter(hs, t, h);
    }
    return hs;
}
