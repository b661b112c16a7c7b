# A 3x3 convolution, stride 1, padding 1, NCHW (a ResNet stage): im2col columns
# gathered from the padded input and one batched matmul with the weights.
fn main(x: f32[N, C, H, W], w: f32[O, C, 3, 3]) -> f32[N, O, H, W] {
    return conv2d(x, w, padding=1);
}
