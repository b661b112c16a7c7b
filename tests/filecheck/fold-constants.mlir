// RUN: xdsl-opt -p fold-constants %s | filecheck %s

// Constant subgraphs evaluated at compile time with the eager backend's NumPy
// (bit-exact with running them): exp(2 * 3) becomes one f32 constant, iota * 10
// one dense constant; the op on the argument %x stays.

builtin.module {
  func.func @main(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<4xi32>) {
    %two = tf.constant {value = dense<2.000000e+00> : tensor<f32>} : tensor<f32>
    %three = tf.constant {value = dense<3.000000e+00> : tensor<f32>} : tensor<f32>
    %six = tf.mul %two, %three : (tensor<f32>, tensor<f32>) -> tensor<f32>
    %e = tf.exp %six : (tensor<f32>) -> tensor<f32>
    %r = tf.mul %x, %e : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
    %k = tf.iota : tensor<4xi32>
    %c = tf.constant {value = dense<10> : tensor<i32>} : tensor<i32>
    %k10 = tf.mul %k, %c : (tensor<4xi32>, tensor<i32>) -> tensor<4xi32>
    func.return %r, %k10 : tensor<3xf32>, tensor<4xi32>
  }
}

// CHECK:      %[[E:.*]] = tf.constant {value = dense<403.428772> : tensor<f32>} : tensor<f32>
// CHECK-NEXT: %r = tf.mul %x, %[[E]] : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
// CHECK-NEXT: %[[K:.*]] = tf.constant {value = dense<[0, 10, 20, 30]> : tensor<4xi32>} : tensor<4xi32>
// CHECK-NEXT: func.return %r, %[[K]]
// CHECK-NOT:  tf.iota
