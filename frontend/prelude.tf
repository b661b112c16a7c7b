# The composite builtins of `.tf`, written in `.tf` itself and decomposed into
# primitives like any function. Numerically stable forms throughout.

fn softmax(x, axis: int = -1) {
    let e = exp(x - max(x, axis=axis, keepdims=true));
    return e / sum(e, axis=axis, keepdims=true);
}

fn log_softmax(x, axis: int = -1) {
    let s = x - max(x, axis=axis, keepdims=true);
    return s - log(sum(exp(s), axis=axis, keepdims=true));
}

fn logsumexp(x, axis: int = -1) {
    let m = max(x, axis=axis, keepdims=true);
    return squeeze(m, axis) + log(sum(exp(x - m), axis=axis));
}

fn layernorm(x, gamma, beta, axis: int = -1, eps: float = 1e-5) {
    let d = x - mean(x, axis=axis, keepdims=true);
    let var = mean(d * d, axis=axis, keepdims=true);
    return d / sqrt(var + eps) * gamma + beta;
}

fn gelu(x) {
    return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

fn silu(x) {
    return x * sigmoid(x);
}

fn mse(a, b) {
    let d = a - b;
    return mean(d * d);
}

fn cross_entropy(logits, labels) {
    # a label outside [0, C), a negative one included, is a run-time error at the call
    let checked = check_label(labels, dim(logits, -1));
    let picked = take_along_axis(logits, expand_dims(checked, -1), axis=-1);
    return mean(logsumexp(logits, axis=-1) - squeeze(picked, -1));
}
