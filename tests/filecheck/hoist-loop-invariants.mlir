// RUN: xdsl-opt -p hoist-loop-invariants %s | filecheck %s

// An invariant subgraph leaves both loops; what reads the carried value stays.
func.func @main(%x: tensor<4xf32>, %w: tensor<4x4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %x) -> (tensor<4xf32>) {
    %r2 = scf.for %j = %c0 to %c3 step %c1 iter_args(%acc2 = %acc) -> (tensor<4xf32>) {
      %e = tf.exp %b : (tensor<4xf32>) -> tensor<4xf32>
      %two = tf.constant {value = dense<2.000000e+00> : tensor<f32>} : tensor<f32>
      %k = tf.mul %e, %two : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
      %m = tf.matmul %acc2, %w : (tensor<4xf32>, tensor<4x4xf32>) -> tensor<4xf32>
      %n = tf.add %m, %k : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      scf.yield %n : tensor<4xf32>
    }
    scf.yield %r2 : tensor<4xf32>
  }
  func.return %r : tensor<4xf32>
}

// CHECK:      func.func @main
// CHECK:        %{{.*}} = tf.exp %b
// CHECK-NEXT:   %{{.*}} = tf.constant
// CHECK-NEXT:   %[[K:.*]] = tf.mul
// CHECK-NEXT:   %{{.*}} = scf.for
// CHECK-NEXT:     %{{.*}} = scf.for
// CHECK-NEXT:       %[[M:.*]] = tf.matmul
// CHECK-NEXT:       %{{.*}} = tf.add %[[M]], %[[K]]
// CHECK-NEXT:       scf.yield

// An index check stays in the loop (it has a side effect), and so do the
// ops that use its result; a while loop's condition region is hoisted from too.
func.func @checked(%x: tensor<5xf32>, %i: tensor<i32>, %n: tensor<i32>) -> tensor<i32> {
  %r = scf.while (%k = %n) : (tensor<i32>) -> tensor<i32> {
    %ok = tf.check_index %i {size = 5 : i64, axis = 0 : i64, negative = true, what = "take"} : (tensor<i32>) -> tensor<i32>
    %v = tf.take %x, %ok {axis = 0 : i64} : (tensor<5xf32>, tensor<i32>) -> tensor<f32>
    %zero = tf.constant {value = dense<0> : tensor<i32>} : tensor<i32>
    %c = tf.greater %k, %zero : (tensor<i32>, tensor<i32>) -> tensor<i1>
    %flag = tensor.extract %c[] : tensor<i1>
    scf.condition(%flag) %k : tensor<i32>
  } do {
  ^bb0(%k2: tensor<i32>):
    %one = tf.constant {value = dense<1> : tensor<i32>} : tensor<i32>
    %k3 = tf.sub %k2, %one : (tensor<i32>, tensor<i32>) -> tensor<i32>
    scf.yield %k3 : tensor<i32>
  }
  func.return %r : tensor<i32>
}

// CHECK:      func.func @checked
// CHECK-NEXT:   %{{.*}} = tf.constant {value = dense<0>
// CHECK-NEXT:   %{{.*}} = tf.constant {value = dense<1>
// CHECK-NEXT:   %{{.*}} = scf.while
// CHECK-NEXT:     %{{.*}} = tf.check_index
// CHECK-NEXT:     %{{.*}} = tf.take
