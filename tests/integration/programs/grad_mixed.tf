fn main(x: f32[4, 5], w: f32[5, 3], s: f64[3]) -> (f32[4, 5], f32[5, 3], f64[3]) {
    let h = cast(x @ w, f64) * s;
    let z = cumsum(h, 1) + cumprod(h, 0);
    let v = var(z, axis=0, ddof=1) + std(z);
    let r = einsum("ij,j->i", z, v);
    let loss = cast(sum(flip(r, 0) * r), f32) + sum(pad(x, [[1, 0], [0, 2]], value=1.0) ** 2.0);
    let gx, gw, gs = gradients(loss, [x, w, s]);
    return gx, gw, gs;
}
