# Five nested loops (compile time): a counter and a running sum, 3^5 iterations.
fn main(x: f32[N]) -> f32[N] {
    let acc = zeros([N]);
    for a in range(3) {
        for b in range(3) {
            for c in range(3) {
                for d in range(3) {
                    for e in range(3) {
                        let acc = acc * 0.5 + x * cast(a + b + c + d + e, f32);
                    }
                }
            }
        }
    }
    return acc;
}
