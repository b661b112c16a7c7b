fn main(u: f64[3, 5]) -> i64[3] {
    let t1 = pow(sigmoid(u) + 0.5, 1.5);
    let t1 = sqrt(abs(-t1) + 0.5);
    return argmin(t1, axis=-1);
}
