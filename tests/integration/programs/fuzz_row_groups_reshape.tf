# Found by `tfir fuzz --gradients` (seed 178): numpy-row-groups gave a
# reshape that merges the rows with other dims (64x1x256 -> 16384) the tile's
# row count as its size (16 for 16 rows of 256: 4096). `tfir bisect` named
# the pass; contracts.check_reshapes now catches such IR after every pass.
fn grad_np(x: f64[64, 1, 256], c: f64[1, 1, 1]) -> f64[64, 1, 256] {
    return gradients(cumprod(x, 1) * c, [x]);
}
