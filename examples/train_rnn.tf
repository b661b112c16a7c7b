# Backpropagation through time: an RNN learns to output the running average
# of its input sequence. The data are random_normal sequences (fixed seed) and
# their exponential averages, computed here; each of the 200 SGD steps takes
# the gradients of a loss accumulated over a `for` loop across the time steps,
# which the compiler differentiates with a reverse loop. Returns the loss of
# every step.
#
#     tfir run examples/train_rnn.tf

fn sequence_loss(xs, ys, wx, u, b, v) {
    let h = zeros([dim(xs, 1), dim(u, 0)]);
    let loss = full([], 0.0);
    for t in range(dim(xs, 0)) {
        let h = tanh(xs[t] @ wx + h @ u + b);
        let loss = loss + mean((h @ v - ys[t]) ** 2.0);
    }
    return loss / dim(xs, 0);
}

fn train() -> (f32[200], f32) {
    let xs = random_normal(11, [20, 16, 1]);
    let ys = zeros([20, 16, 1]);
    let avg = zeros([16, 1]);
    for t in range(20) {
        let avg = 0.7 * avg + 0.3 * xs[t];
        let ys = scatter(ys, t, avg);
    }
    let wx = random_normal(12, [1, 24]) * 0.5;
    let u = random_normal(13, [24, 24]) * 0.1;
    let b = zeros([24]);
    let v = random_normal(14, [24, 1]) * 0.1;
    let curve = zeros([200]);
    for step in range(200) {
        let loss = sequence_loss(xs, ys, wx, u, b, v);
        let gwx, gu, gb, gv = gradients(loss, [wx, u, b, v]);
        let wx = wx - 0.2 * gwx;
        let u = u - 0.2 * gu;
        let b = b - 0.2 * gb;
        let v = v - 0.2 * gv;
        let curve = scatter(curve, step, loss);
    }
    return curve, sequence_loss(xs, ys, wx, u, b, v);
}
