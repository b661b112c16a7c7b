fn step(w, x, y) {
    return mean((tanh(x @ w) - y) ** 2.0);
}
fn main(x: f64[N, D], y: f64[N], w0: f64[D], lr: f64) -> (f64[D], f64, f64[D]) {
    let w = w0;
    let m = zeros([D], f64);
    for k in range(6) {
        let loss = step(w, x, y);
        let g = gradients(loss, [w]);
        if k % 2 == 0 {
            let m = 0.9 * m + g;
        } else {
            let m = 0.5 * m + abs(g);
        }
        let w = w - lr * m;
    }
    let final = step(w, x, y);
    let gw0 = gradients(final, [w0]);
    return w, final, gw0;
}
