# Found by `tfir fuzz` (seed 1000221): a `bool[]` parameter as an `if`
# condition left its `tensor.extract` behind in bufferize (the parameter,
# retyped to a memref in place, no longer marked it as an op on tensors).
fn f(x: f32[3, 3, 1], c: bool[]) -> f32[3, 3, 1] {
    if c {
        let x = x * 0.5 + 2.0;
    } else {
        let x = x - 2.0;
    }
    return softplus(x);
}
