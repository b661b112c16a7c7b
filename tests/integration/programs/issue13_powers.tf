# Integer powers (Triton has no ipowi) and IEEE's special cases of pow:
# pow(1, b) and pow(-1, +-inf) are 1, pow(a, 0) is 1, -0.0 is a negative base.
fn main(i: i32[6], j: i32[6], a: f32[8], b: f32[8]) -> (i32[6], i64[6], f32[8], f32[6]) {
    return i ** abs(j), cast(i, i64) ** 3, a ** b, cast((-1) ** abs(j), f32) * a[0:6];
}
