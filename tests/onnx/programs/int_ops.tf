# Integer semantics that ONNX spells differently: floordiv rounds down, mod
# takes the divisor's sign, relu and comparisons on integers.
fn main(i: i32[5, 4], j: i32[4], k: i64[5, 4]) {
    let q = floordiv(i, j);
    let r = mod(i, j);
    let s = relu(i - 3) + abs(i) * sign(j) - maximum(i, j) + minimum(i, j);
    let t = where(logical_and(i >= j, logical_not(i == 0)), i, -j);
    let u = sum(i * i, axis=1) + prod(j, axis=0);
    let v = floordiv(k, cast(j, i64)) + mod(k, -3) + cast(i < j, i64);
    return q, r, s, t, u, v, logical_or(i > 2, i <= -2);
}
