# A two-layer perceptron classifying a batch of 32 flattened 28x28 images.
fn dense(x, w, b) {
    return x @ w + b;
}

fn mlp(x: f32[32, 784], w1: f32[784, 128], b1: f32[128],
       w2: f32[128, 10], b2: f32[10]) -> f32[32, 10] {
    let h = relu(dense(x, w1 * 0.05, b1));
    return softmax(dense(h, w2 * 0.1, b2), axis=-1);
}
