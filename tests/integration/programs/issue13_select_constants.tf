# where(c, 1, 0) is an integer, not c (1 == True in Python).
fn main(a: f32[4], b: f32[4]) -> (i32[4], i32[4], bool[4]) {
    let c = a > b;
    return where(c, 1, 0), abs(where(c, 0, 1)), where(c, true, false);
}
