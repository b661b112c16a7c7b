# Found by `tfir fuzz --gradients --targets numpy-stress` (seed 36): numpy-row-groups
# grouped an op that reads a row of a buffer (a slice, (c0 * c0)[1]) with a later
# op that writes that buffer's rows: the slice's buffer was not counted as read whole.
fn grad_run(lambda: f64[3, 4, 4], k: int = 1, c0: f64[4, 4, 3]) {
    let g0 = gradients(clip(clip(transpose(lambda), c0, transpose(lambda)), (c0 * c0)[1], k), [lambda]);
    return g0;
}
