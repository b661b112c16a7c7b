// RUN: env PYTHONPATH=%S/../../examples/plugins TFIR_PLUGINS=tfir_mylib xdsl-opt -p 'expand-custom-ops{target="numpy"}' %s | filecheck %s

// Custom ops of the example plugin (examples/plugins, loaded by TFIR_PLUGINS):
// `mylib.swish`, decomposed by Python, is replaced by its `tf` ops;
// `mylib.hard_tanh`, which has a linalg lowering, stays, marked for
// convert-tf-to-linalg to apply it.

builtin.module {
  func.func @main(%x: tensor<4x8xf32>, %w: tensor<8xf32>) -> tensor<4x8xf32> {
    %0 = mylib.hard_tanh %x {lo = -2.000000e+00 : f64, hi = 2.000000e+00 : f64} : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %1 = tf.mul %0, %w : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %2 = mylib.swish %1 {beta = 1.500000e+00 : f64} : (tensor<4x8xf32>) -> tensor<4x8xf32>
    func.return %2 : tensor<4x8xf32>
  }
}

// CHECK:      %0 = mylib.hard_tanh %x {lo = -2.000000e+00 : f64, hi = 2.000000e+00 : f64, tfir.lowering = "linalg"}
// CHECK-NEXT: %1 = tf.mul %0, %w
// CHECK-NEXT: %[[BETA:.*]] = tf.constant {value = dense<1.500000e+00> : tensor<f32>} : tensor<f32>
// CHECK-NEXT: %[[BX:.*]] = tf.mul %1, %[[BETA]]
// CHECK-NEXT: %[[S:.*]] = tf.sigmoid %[[BX]]
// CHECK-NEXT: %[[R:.*]] = tf.mul %1, %[[S]]
// CHECK-NEXT: func.return %[[R]]
// CHECK-NOT:  mylib.swish
