# Python keywords and the names generated code uses are valid .tf names.
fn lambda(self: f32[3], class: f32[3], np: f32[3], x_1: f32[3]) -> f32[3] {
    let x = self + class;
    let x = x * np - x_1;
    return x;
}
