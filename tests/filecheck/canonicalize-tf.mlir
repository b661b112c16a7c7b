// RUN: xdsl-opt -p canonicalize-tf %s | filecheck %s

// Exact simplifications: `1 * x` (the constant first moved right) -> x,
// `--x` -> x, `x / 2` -> `x * 0.5` (a power of two: the same rounding), and a
// transpose of a transpose with inverse permutations -> its operand. The ops
// they leave unused go with them (the greedy rewriter erases unused pure ops).

builtin.module {
  func.func @main(%x: tensor<4x3xf32>, %y: tensor<3x4xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<3x4xf32>) {
    %one = tf.constant {value = dense<1.000000e+00> : tensor<f32>} : tensor<f32>
    %two = tf.constant {value = dense<2.000000e+00> : tensor<f32>} : tensor<f32>
    %a = tf.mul %one, %x : (tensor<f32>, tensor<4x3xf32>) -> tensor<4x3xf32>
    %n = tf.neg %a : (tensor<4x3xf32>) -> tensor<4x3xf32>
    %nn = tf.neg %n : (tensor<4x3xf32>) -> tensor<4x3xf32>
    %h = tf.div %nn, %two : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
    %ny = tf.neg %y : (tensor<3x4xf32>) -> tensor<3x4xf32>
    %t = tf.transpose %ny {perm = array<i64: 1, 0>} : (tensor<3x4xf32>) -> tensor<4x3xf32>
    %s = tf.add %x, %t : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
    %tt = tf.transpose %t {perm = array<i64: 1, 0>} : (tensor<4x3xf32>) -> tensor<3x4xf32>
    func.return %h, %s, %tt : tensor<4x3xf32>, tensor<4x3xf32>, tensor<3x4xf32>
  }
}

// CHECK:      func.func @main(%x: tensor<4x3xf32>, %y: tensor<3x4xf32>)
// CHECK-NEXT:   %[[HALF:.*]] = tf.constant {value = dense<5.000000e-01> : tensor<f32>} : tensor<f32>
// CHECK-NEXT:   %[[H:.*]] = tf.mul %x, %[[HALF]] : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
// CHECK-NEXT:   %ny = tf.neg %y
// CHECK-NEXT:   %t = tf.transpose %ny {perm = array<i64: 1, 0>}
// CHECK-NEXT:   %s = tf.add %x, %t
// CHECK-NEXT:   func.return %[[H]], %s, %ny
// CHECK-NOT:  tf.div
