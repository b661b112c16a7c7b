# A small convolutional network on 28x28 images: conv2d -> relu -> max_pool2d
# -> dense -> the mean cross-entropy of the logits against integer labels.
fn cnn(x: f32[16, 1, 28, 28], labels: i32[16], w1: f32[8, 1, 3, 3], b1: f32[8],
       w2: f32[1568, 10], b2: f32[10]) -> (f32[16, 10], f32) {
    let h = relu(conv2d(x, w1 * 0.3, padding=1) + reshape(b1, [8, 1, 1]));  # [16, 8, 28, 28]
    let p = max_pool2d(h, 2);                                               # [16, 8, 14, 14]
    let logits = reshape(p, [16, 1568]) @ (w2 * 0.02) + b2;
    # The labels as one-hot rows (mod 10: `tfir run` draws any integers);
    # cross_entropy(logits, labels) says this in one call.
    let onehot = cast(equal(reshape(mod(labels, 10), [16, 1]), arange(10)), f32);
    let loss = -mean(sum(onehot * log_softmax(logits, axis=-1), axis=-1));
    return logits, loss;
}
