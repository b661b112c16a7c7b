# Control flow: a for loop carrying a state and stacking it with scatter (an RNN),
# a loop counting down with a nested runtime if, a while loop, and a runtime if.
fn main(xs: f32[5, 3], h0: f32[3], w: f32[3, 3], a: f32[5], flag: f32) {
    let h = h0;
    let hs = zeros([5, 3]);
    for t in range(5) {
        let h = tanh(xs[t] @ w + h);
        let hs = scatter(hs, t, h);
    }
    let acc = full([], 0.0);
    let positives = full([], 0);
    for i in range(4, -1, -2) {
        let acc = acc * 0.5 + a[i];
        if a[i] > 0.0 {
            let positives = positives + 1;
        }
    }
    let x = abs(a) + 2.0;
    let steps = full([], 0);
    while logical_and(max(x) > 1.5, steps < 20) {
        let x = sqrt(x);
        let steps = steps + 1;
    }
    let y = a;
    if flag > 0.0 {
        let y = a * flag;
    } else {
        let y = exp(a) - 1.0;
    }
    return hs, h, acc, positives, x, steps, y;
}
