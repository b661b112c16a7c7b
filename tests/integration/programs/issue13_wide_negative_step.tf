# A negative step on one axis while another is shortened (the loop of the
# shortened axis had two sizes in the old lowering).
fn main(x: f32[3, 8, 4], y: f32[5]) -> (f32[2, 4, 4], f32[5], f32[2]) {
    return x[1:, ::-2, :] * 2.0, y[::-1], y[3:0:-2];
}
