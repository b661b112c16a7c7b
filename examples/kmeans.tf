# k-means clustering (Lloyd's algorithm): each step assigns every point to its
# nearest centroid (squared distances, argmin) and moves each centroid to the
# mean of its points, summed with scatter_add (duplicate indices accumulate);
# a centroid that gets no point stays where it is. A `for` loop runs the steps.
fn kmeans(x: f32[N, D], c0: f32[K, D], steps: int = 10) -> (f32[K, D], i64[N], f32[K]) {
    let c = c0;
    for step in range(steps) {
        let d2 = sum((x[:, None] - c[None]) ** 2.0, axis=-1);          # [N, K]
        let assign = argmin(d2, axis=1);
        let counts = scatter_add(zeros([K]), assign, ones([N]));
        let sums = scatter_add(zeros([K, D]), assign, x);
        let c = where(counts[:, None] > 0.0, sums / maximum(counts, 1.0)[:, None], c);
    }
    let assign = argmin(sum((x[:, None] - c[None]) ** 2.0, axis=-1), axis=1);
    return c, assign, scatter_add(zeros([K]), assign, ones([N]));
}

# `tfir run examples/kmeans.tf` runs this entry, which needs no inputs: 400
# points drawn around 4 centers (random_normal, seed 7), clustered from the
# first 4 points; the centroids, the cluster sizes and the mean squared distance
# of the points to their centroids.
fn main() -> (f32[4, 2], f32[4], f32) {
    let centers = [[-4.0, -4.0], [-4.0, 4.0], [4.0, -4.0], [4.0, 4.0]];
    let x = take(centers, arange(400) % 4, axis=0) + random_normal(7, [400, 2]);
    let c, assign, counts = kmeans(x, x[0:4]);
    let inertia = mean(sum((x - take(c, assign, axis=0)) ** 2.0, axis=-1));
    return c, counts, inertia;
}
