# Shapes: transpose, reshape, broadcast, slices with negative steps, concat,
# stack, expand/squeeze, constants, arange and matmul forms.
fn main(x: f32[2, 3, 4], v: f32[4], m: f32[4, 5]) {
    let a = transpose(x, perm=[2, 0, 1]);
    let b = reshape(x, [6, -1]) @ m;
    let c = broadcast_to(v, [3, 4]) + x[1, ::-1, :];
    let d = x[:, 2:0:-1, ::-2];
    let e = concat([x, x * 2.0], axis=2) + 0.0;
    let f = stack([v, v + 1.0], axis=1);
    let g = squeeze(expand_dims(v, 0), 0) + arange(4, f32) + [1.0, 2.0, 3.0, 4.0];
    let h = v @ m + ones([5]) + full([5], 0.5);
    let k = x @ m;
    return a, b, c, d, e, f, g, h, k, x[-1];
}
