# Column statistics of a batch, with integer bookkeeping and slicing.
fn main(x: f32[100, 8]) -> (f32[8], f32[8], i64[8], i32, f32[50, 8]) {
    let mu = mean(x, axis=0);
    let sd = sqrt(mean((x - mu) ** 2.0, axis=0));
    let best = argmax(x, axis=0);
    let positives = sum(cast(x > 0.0, i32));
    return mu, sd, best, positives, x[::2] - mu;
}
