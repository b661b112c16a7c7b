fn main(y: f32[2, 1], q: f32[3, 3]) -> f32[1, 1] {
    let t1 = gelu(sin(y));
    let t2 = cast(sin(y), i32);
    let t3 = t1 / 0.5;
    let t4 = q @ q;
    let t5 = 2 * t4;
    let t6 = t3 - full([2, 1], 0.5);
    let t7 = max(t6, axis=0, keepdims=true);
    let t8 = transpose(t7, perm=[1, 0]);
    let t9 = log_softmax(sigmoid(t4), axis=-1);
    let t10 = where(greater(t6, t3), t8, ones([1]));
    let t11 = softmax(t10, axis=-2);
    let t12 = t9 * mean(t9, axis=0, keepdims=true);
    let t13 = t12 - 3;
    let t14 = t13 >= [[-1.0, 0.0, 0.0]];
    let t15 = gelu(t8);
    let t16 = t6[-2, -1::-1];
    let t17 = maximum(-t2, t2);
    let t5 = mean(-t5, axis=[0, 1], keepdims=true);
    let t18 = floor(t16);
    let t19 = rsqrt(abs(t5) + 0.5);
    let t20 = t19 - sum(t11) + mean(cast(t14, f32)) - t15 - mean(cast(t17, f32)) - t18;
    return t20;
}
