# An Elman RNN over a sequence. The `for` loop carries the state `h` and
# collects every state into `hs` with `scatter`; the compiled code runs it as
# a real loop (never unrolled) and updates `hs` in place.
fn rnn(xs: f32[T, B, D], h0: f32[B, H], w: f32[D, H], u: f32[H, H], b: f32[H])
        -> (f32[T, B, H], f32[B, H]) {
    let h = h0;
    let hs = zeros([T, B, H]);
    for t in range(T) {
        let h = tanh(xs[t] @ w + h @ u + b);
        let hs = scatter(hs, t, h);
    }
    return hs, h;
}

# `tfir run examples/rnn.tf` runs this entry on random inputs: 32 steps of a
# batch of 8, 16 features in, 64 hidden units; the states' mean and the last state.
fn main(xs: f32[32, 8, 16], h0: f32[8, 64], w: f32[16, 64], u: f32[64, 64], b: f32[64])
        -> (f32[8, 64], f32[32]) {
    let hs, h = rnn(xs, h0 * 0.1, w * 0.25, u * 0.1, b * 0.1);
    return h, mean(hs, axis=[1, 2]);
}
