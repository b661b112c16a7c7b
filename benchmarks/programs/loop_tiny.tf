# A loop of L iterations whose body is tiny (4 elements): the per-iteration
# overhead. (`steps` only gives L, the trip count, which must be compile-time.)
fn main(x: f32[4], steps: i32[L]) -> f32[4] {
    let acc = zeros([4]);
    for i in range(L) {
        let acc = acc * 0.999 + x;
    }
    return acc;
}
