# Convolution and pooling (PyTorch's), einsum, scans and the array builtins.
fn main(img: f32[2, 4, 7, 7], w: f32[6, 2, 3, 3], seq: f32[2, 3, 9], k: f32[4, 3, 2], m: f32[4, 5],
        v: i32[5]) {
    let c2 = conv2d(img, w, stride=2, padding=1, groups=2);
    let c1 = conv1d(seq, k, dilation=2, padding=1);
    let mx = max_pool2d(img, 3, stride=2, padding=1);
    let av = avg_pool2d(img, 2);
    let e = einsum("ij,kj->ik", m, m) + einsum("ii->i", m[:, 0:4])[0];
    let scans = cumsum(m, 1) + cumprod(m * 0.5 + 1.0, axis=0);
    let ints = cumsum(v, 0) + cumprod(v, 0);
    let tri = tril(m, k=1) - triu(m, k=-1);
    let moved = flip(m, 0) + tile(m[0:2], [2, 1]);
    let padded = pad(m, [[1, 0], [0, 2]], value=-1.5);
    let rep = repeat(m, 2, axis=0);
    return c2, c1, mx, av, e, scans, ints, tri, moved, padded, rep;
}
