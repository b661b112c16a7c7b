// RUN: xdsl-opt -p differentiate %s | filecheck %s

// The gradient of sum(x * x) with respect to x: the seed (ones), the rule of
// tf.mul (g * x, twice: x is both operands), summed; tf.gradients is gone.
builtin.module {
  func.func @f(%x: tensor<3xf32>) -> tensor<3xf32> {
    %y = tf.mul %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
    %g = tf.gradients %y, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
    func.return %g : tensor<3xf32>
  }
}

// CHECK:      %y = tf.mul %x, %x
// CHECK-NEXT: %{{.*}} = tf.constant {value = dense<1.000000e+00> : tensor<f32>} : tensor<f32>
// CHECK-NEXT: %[[ONES:.*]] = tf.broadcast_to %{{.*}} : (tensor<f32>) -> tensor<3xf32>
// CHECK-NEXT: %[[A:.*]] = tf.mul %[[ONES]], %x
// CHECK-NEXT: %[[B:.*]] = tf.mul %[[ONES]], %x
// CHECK-NEXT: %[[G:.*]] = tf.add %[[A]], %[[B]]
// CHECK-NEXT: func.return %[[G]]
// CHECK-NOT:  tf.gradients
