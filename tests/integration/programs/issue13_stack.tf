fn f(x: f32[12]) -> f32[10, 2] {
    return stack([x[0:10], x[1:11]], axis=1);
}
