# Loss and gradients of an LSTM over T steps (backpropagation through time):
# the loss is the mean over the steps of the squared error of the hidden state.
fn main(xs: f32[T, B, D], ys: f32[T, B, H], h0: f32[B, H], c0: f32[B, H],
        w: f32[D, 4 * H], u: f32[H, 4 * H], b: f32[4 * H])
        -> (f32, f32[D, 4 * H], f32[H, 4 * H], f32[4 * H]) {
    let h = h0;
    let c = c0;
    let loss = full([], 0.0);
    for t in range(T) {
        let z = xs[t] @ w + h @ u + b;
        let i = sigmoid(z[:, 0:H]);
        let f = sigmoid(z[:, H:2 * H]);
        let g = tanh(z[:, 2 * H:3 * H]);
        let o = sigmoid(z[:, 3 * H:4 * H]);
        let c = f * c + i * g;
        let h = o * tanh(c);
        let loss = loss + mean((h - ys[t]) ** 2.0);
    }
    let loss = loss / T;
    let gw, gu, gb = gradients(loss, [w, u, b]);
    return loss, gw, gu, gb;
}
