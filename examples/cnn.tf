# A small convolutional network on 28x28 images: conv2d -> relu -> max_pool2d
# -> dense -> the mean cross-entropy of the logits against integer labels.
fn cnn(x: f32[B, 1, 28, 28], labels: i64[B], w1: f32[8, 1, 3, 3], b1: f32[8],
       w2: f32[1568, 10], b2: f32[10]) -> (f32[B, 10], f32) {
    let h = relu(conv2d(x, w1, padding=1) + reshape(b1, [8, 1, 1]));  # [B, 8, 28, 28]
    let p = max_pool2d(h, 2);                                         # [B, 8, 14, 14]
    let logits = reshape(p, [B, 1568]) @ w2 + b2;
    return logits, cross_entropy(logits, labels);  # a label outside [0, 10) is an error
}

# `tfir run examples/cnn.tf` runs this entry on random images and weights. The
# labels come from the images: the class a fixed random linear "teacher" scores
# highest (argmax), so they are in [0, 10) whatever the inputs.
fn main(x: f32[16, 1, 28, 28], w1: f32[8, 1, 3, 3], b1: f32[8], w2: f32[1568, 10], b2: f32[10])
        -> (f32[16, 10], f32, i64[16]) {
    let teacher = random_normal(3, [784, 10]);
    let labels = argmax(reshape(x, [16, 784]) @ teacher, axis=1);
    let logits, loss = cnn(x, labels, w1 * 0.3, b1, w2 * 0.02, b2);
    return logits, loss, labels;
}
