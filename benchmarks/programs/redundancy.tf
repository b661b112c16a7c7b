# The graph of the conformance program redundancy.tf with a symbolic size:
# three copies of tanh(a*b + 1), identities, a constant product and a dead exp.
fn main(a: f32[N], b: f32[N]) -> f32[N] {
    let c = (2.0 * 3.0) * a;
    let u = tanh(a * b + 1.0);
    let v = tanh(a * b + 1.0);
    let w = tanh(a * b + 1.0) * 1.0 + 0.0;
    let dead = exp(a) * 100.0;
    return (u + v + w) * c - transpose(transpose(b));
}
