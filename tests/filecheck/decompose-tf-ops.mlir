// RUN: xdsl-opt -p decompose-tf-ops %s | filecheck %s

builtin.module {
  func.func @main(%x: tensor<4x5xf32>, %m: tensor<4x5xi1>, %w: tensor<3x5xf32>) -> (tensor<5xf32>, tensor<4xi1>, tensor<4x5xf32>, tensor<4x10xf32>, tensor<4x3xf32>) {
    %v = tf.var %x {axes = array<i64: 0>, keepdims = false, ddof = 1 : i64} : (tensor<4x5xf32>) -> tensor<5xf32>
    %a = tf.any %m {axes = array<i64: 1>, keepdims = false} : (tensor<4x5xi1>) -> tensor<4xi1>
    %f = tf.flip %x {axes = array<i64: 1>} : (tensor<4x5xf32>) -> tensor<4x5xf32>
    %r = tf.repeat %x {repeats = 2 : i64, axis = 1 : i64} : (tensor<4x5xf32>) -> tensor<4x10xf32>
    %e = tf.einsum %x, %w {equation = "ij,kj->ik"} : (tensor<4x5xf32>, tensor<3x5xf32>) -> tensor<4x3xf32>
    func.return %v, %a, %f, %r, %e : tensor<5xf32>, tensor<4xi1>, tensor<4x5xf32>, tensor<4x10xf32>, tensor<4x3xf32>
  }
}

// var: mean, squared deviations, one sum, divided by n - ddof = 3
// CHECK:      %0 = tf.mean %x {axes = array<i64: 0>, keepdims = true}
// CHECK-NEXT: %1 = tf.sub %x, %0
// CHECK-NEXT: %2 = tf.mul %1, %1
// CHECK-NEXT: %3 = tf.sum %2 {axes = array<i64: 0>, keepdims = false}
// CHECK-NEXT: %4 = tf.constant {value = dense<3.000000e+00> : tensor<f32>}
// CHECK-NEXT: %v = tf.div %3, %4
// any: max of the operand as i32, compared with 0
// CHECK-NEXT: %5 = tf.cast %m : (tensor<4x5xi1>) -> tensor<4x5xi32>
// CHECK-NEXT: %6 = tf.max %5 {axes = array<i64: 1>, keepdims = false}
// CHECK-NEXT: %7 = tf.constant {value = dense<0> : tensor<i32>}
// CHECK-NEXT: %a = tf.greater %6, %7
// flip: a slice with stride -1
// CHECK-NEXT: %f = tf.slice %x {start = array<i64: 0, 4>, stride = array<i64: 1, -1>}
// repeat: a unit axis after the repeated one, broadcast, reshaped
// CHECK-NEXT: %8 = tf.reshape %x : (tensor<4x5xf32>) -> tensor<4x1x5x1xf32>
// CHECK-NEXT: %9 = tf.broadcast_to %8 : (tensor<4x1x5x1xf32>) -> tensor<4x1x5x2xf32>
// CHECK-NEXT: %r = tf.reshape %9 : (tensor<4x1x5x2xf32>) -> tensor<4x10xf32>
// einsum without batch letters: the contracted side transposed, one 2-D matmul
// CHECK-NEXT: %10 = tf.transpose %w {perm = array<i64: 1, 0>}
// CHECK-NEXT: %e = tf.matmul %x, %10 : (tensor<4x5xf32>, tensor<5x3xf32>) -> tensor<4x3xf32>
// CHECK-NOT:  tf.var
// CHECK-NOT:  tf.einsum
