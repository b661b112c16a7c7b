# Elementwise chain: eight elementwise ops over three inputs, one output.
# Hand-written NumPy makes a temporary per op; a fused kernel need not.
fn main(a: f32[N], b: f32[N], c: f32[N]) -> f32[N] {
    return tanh(a * b + c) * sigmoid(a) - exp(-b * b);
}
