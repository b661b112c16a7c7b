# Found by `tfir fuzz --targets numpy-stress` (seed 21000973): a row of a
# vector is 0-d; `numpy-gather-views` read it in place as `t[i % 3]`, a NumPy
# scalar without `.ctypes`, which the C kernel after it needs (`t[i % 3, ...]`).
fn main(x: f32[2], i: i64) -> f32[] {
    let t = random_uniform(695, [3]);
    let r = take(t, abs(i) % 3, axis=0) + 5.0;
    return atan2(r, elu(r)) + x[1];
}
