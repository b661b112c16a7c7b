# One step of a GRU cell: update gate z, reset gate r, candidate state n.
fn gate(x, h, wx, wh, b) {
    return x @ wx + h @ wh + b;
}

fn gru_step(x: f32[8, 32], h: f32[8, 64],
            wz: f32[32, 64], uz: f32[64, 64], bz: f32[64],
            wr: f32[32, 64], ur: f32[64, 64], br: f32[64],
            wn: f32[32, 64], un: f32[64, 64], bn: f32[64]) -> f32[8, 64] {
    let z = sigmoid(gate(x, h, wz * 0.1, uz * 0.1, bz));
    let r = sigmoid(gate(x, h, wr * 0.1, ur * 0.1, br));
    let n = tanh(x @ (wn * 0.1) + r * (h @ (un * 0.1)) + bn);
    return (1.0 - z) * n + z * h;
}
