fn main(x: f32[N, 2, 8, 8], w1: f32[4, 2, 3, 3], w2: f32[4, 2, 3, 3], fc: f32[16, 3], labels: i64[N]) -> (f32, f32[4, 2, 3, 3], f32[4, 2, 3, 3], f32[16, 3], f32[N, 2, 8, 8]) {
    let a = relu(conv2d(x, w1, stride=1, padding=1));
    let p = max_pool2d(a, 2);
    let c = conv2d(p, w2, padding=[1, 1], groups=2);
    let q = avg_pool2d(elu(c), 2);
    let logits = reshape(q, [N, 16]) @ fc;
    let loss = cross_entropy(logits, labels);
    let g1, g2, gf, gx = gradients(loss, [w1, w2, fc, x]);
    return loss, g1, g2, gf, gx;
}
