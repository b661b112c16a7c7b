# Newton's method for the square root, run by a `while` loop until every
# element has converged (relative error below `tol`) or 50 steps have run.
fn newton_sqrt(a: f32[N], tol: float = 1e-6) -> (f32[N], i32) {
    let x = a * 0.5 + 0.5;
    let steps = full([], 0);
    while logical_and(max(abs(x * x - a) / a) > tol, steps < 50) {
        let x = 0.5 * (x + a / x);
        let steps = steps + 1;
    }
    return x, steps;
}

# `tfir run examples/newton.tf` runs this entry on random inputs: the square
# roots of 1000 positive numbers, the steps it took, and the largest error.
fn main(a: f32[1000]) -> (f32[1000], i32, f32) {
    let positive = abs(a) * 10.0 + 0.01;
    let x, steps = newton_sqrt(positive);
    return x, steps, max(abs(x - sqrt(positive)) / sqrt(positive));
}
