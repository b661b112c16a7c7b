fn gru(x: f32[N, 16], h: f32[N, 24], wz: f32[40, 24], wr: f32[40, 24], wh: f32[40, 24]) -> f32[N, 24] {
    let xh = concat([x, h], axis=1);
    let z = xh @ wz;
    let r = xh @ wr;
    let cand = concat([x, r * h], axis=1) @ wh;
    return z * cand;
}
