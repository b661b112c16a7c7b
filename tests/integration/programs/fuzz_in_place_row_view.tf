# Found by `tfir fuzz --gradients --targets numpy-stress` (seed 36): plan-buffers let
# the gradient's last op write in place into the buffer of t4 while it also read
# a row of it (t4[1], broadcast); once tiled, later tiles read that row already
# overwritten. `tfir bisect` named tile-linalg, where the tiles appear.
fn grad_run(lambda: f64[3, 64, 128], k: int = 1) {
    let t4 = transpose(lambda);
    return gradients(clip(t4, t4[1], k), [lambda]);
}
