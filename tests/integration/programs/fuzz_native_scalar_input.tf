# Found by `tfir fuzz --targets numpy-stress` (seed 1000000): a scalar parameter
# next to an op large enough for a C kernel (numpy-native-kernels); the
# inputs made contiguous for C must stay 0-d (np.ascontiguousarray made them 1-d).
fn f(x: f32[64, 80], s: f32[]) -> (f32[64, 80], f32[]) {
    return exp(x) * s + 1.0, s * 2.0;
}
