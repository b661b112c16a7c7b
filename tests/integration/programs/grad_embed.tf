fn main(table: f64[V, D], ids: i64[B, S], pos: f64[S, D], w: f64[D, C], y: i32[B]) -> (f64, f64[V, D], f64[S, D], f64[D, C]) {
    let e = table[ids] + pos;
    let pooled = max(e, axis=1) + mean(e, axis=1);
    let logits = pooled @ w;
    let nll = -mean(sum(one_hot(y, C, f64) * log_softmax(logits), axis=-1));
    let extra = sum(scatter_add(zeros([V, D], f64), ids[:, 0], e[:, 0] * 2.0) ** 2.0);
    let loss = nll + 0.01 * extra;
    let gt, gp, gw = gradients(loss, [table, pos, w]);
    return loss, gt, gp, gw;
}
