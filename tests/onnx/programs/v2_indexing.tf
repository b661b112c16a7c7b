# Gathers and scatters (indices in [-9, 9] for tables of 20: negative ones count
# from the end), one_hot (out-of-range indices give zeros) and cross_entropy.
fn main(table: f32[20, 4], ids: i32[2, 3], cols: i64[5], x: f32[3, 20], logits: f32[6, 10], labels: i32[6],
        counts: f32[20]) {
    let emb = table[ids];
    let picked = take_along_axis(x, reshape(cols[0:3], [3, 1]), axis=1);
    let sel = take(x, cols, axis=1);
    let bumped = scatter_add(counts, cols, ones([5]));
    let replaced = scatter(table, ids[0], zeros([3, 4]));
    let rows = scatter_add(zeros([3, 20]), cols[1:3], x[:, 0:2] * 2.0, axis=1);
    let hot = one_hot(ids, 6) + 0.0;
    let loss = cross_entropy(logits, abs(labels));
    return emb, picked, sel, bumped, replaced, rows, hot, loss, x[:, None];
}
