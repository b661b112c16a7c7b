# Trains a 2-layer MLP with SGD on a synthetic classification set that the
# program makes itself: points drawn from random_normal (fixed seeds), labelled
# by whether they lie outside the circle of radius 1. All 300 steps run inside
# one `for` loop; each step's gradients come from `gradients`, differentiated by
# the compiler. Returns the loss of every step and the final training accuracy.
#
#     tfir run examples/train_mlp.tf

fn forward(x, w1, b1, w2, b2) {
    return relu(x @ w1 + b1) @ w2 + b2;
}

fn train() -> (f32[300], f32) {
    let x = random_normal(1, [512, 2]);
    let labels = cast(sum(x * x, axis=1) > 1.0, i32);
    let w1 = random_normal(2, [2, 32]) * 0.7;
    let b1 = zeros([32]);
    let w2 = random_normal(3, [32, 2]) * 0.2;
    let b2 = zeros([2]);
    let curve = zeros([300]);
    for step in range(300) {
        let loss = cross_entropy(forward(x, w1, b1, w2, b2), labels);
        let gw1, gb1, gw2, gb2 = gradients(loss, [w1, b1, w2, b2]);
        let w1 = w1 - 0.5 * gw1;
        let b1 = b1 - 0.5 * gb1;
        let w2 = w2 - 0.5 * gw2;
        let b2 = b2 - 0.5 * gb2;
        let curve = scatter(curve, step, loss);
    }
    let predicted = argmax(forward(x, w1, b1, w2, b2), 1);
    let accuracy = mean(cast(predicted == cast(labels, i64), f32));
    return curve, accuracy;
}
