fn main(x: f64[6], w: f64[6, 6]) -> (f64[6], f64[6], f64[6], f64[6]) {
    let acc = zeros([6], f64);
    let gs = zeros([6], f64);
    for i in range(3) {
        let z = tanh(w @ x + acc);
        let y = sum(z * z) * (cast(i, f64) + 1.0);
        let gz, gacc = gradients(y, [z, acc]);
        let gs = gs + gz * gacc;
        let acc = acc + z;
    }
    let total = sum(acc * acc);
    let gx = gradients(total, [x]);
    let hx = gradients(sum(gx * x), [x]);
    return acc, gs, gx, hx;
}
