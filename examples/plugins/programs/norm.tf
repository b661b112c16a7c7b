# rms_norm (a .tf decomposition) and swish (a Python decomposition).
use mylib;

fn block(x: f32[B, D], w: f32[D]) -> f32[B, D] {
    let h = mylib.rms_norm(x, w, eps=1e-5);
    return mylib.swish(h, beta=1.5);
}
