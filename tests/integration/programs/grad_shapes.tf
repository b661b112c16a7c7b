fn main(x: f32[3, 4], y: f32[4]) -> (f32[3, 4], f32[4]) {
    let a = tile(x, [2, 1]) * repeat(y, 2, 0)[0:4];
    let b = concat([a, stack([y, y * 2.0], axis=0)], axis=0);
    let c = triu(expand_dims(b, 0)[0, 0:4, :]) + transpose(broadcast_to(y, [4, 4]));
    let d = squeeze(max(c, axis=1, keepdims=true), 1) + min(c, axis=0);
    let e = sum(clip(d, -1.0, 1.0) * minimum(d, 0.5)) + prod(y[::-1] + 2.0) + sum(leaky_relu(x, 0.2) * sigmoid(x));
    let gx, gy = gradients(e, [x, y]);
    return gx, gy;
}
