# Found by `tfir fuzz --targets triton` (seed 21000438): the Triton kernel of
# a 64-bit `sign` was `tl.where(m, 1, tl.where(n, -1, 0))`, all literals, so
# Triton typed it int32; the max reduction's identity (-2**63) then did not
# fit. A 64-bit result made of literals only now starts from a typed scalar.
fn main(a: i64[3], x: f64[1, 3]) -> (i64[1], i64[3], f64[1, 3]) {
    let s = sign(a);
    let m = max(s, axis=-1, keepdims=true) * 2;
    return m, s * 4000000000, sign(x) * 0.1;
}
