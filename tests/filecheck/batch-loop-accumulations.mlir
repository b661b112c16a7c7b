// RUN: xdsl-opt -p batch-loop-accumulations %s | filecheck %s

// A reverse loop accumulating a weight gradient, gw += xs[t]^T @ d_t, and a
// bias gradient, gb += sum(d_t): xs's rows are read at n - 1 - k (no tape),
// d_t goes on a tape written at that row; after the loop, one matmul of the
// stacked rows and one sum of the tape.
func.func @reverse(%xs: tensor<3x2x4xf32>, %ds: tensor<2x5xf32>, %w: tensor<5x5xf32>) -> (tensor<4x5xf32>, tensor<5xf32>) {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %m1 = arith.constant -1 : index
  %zw = tf.constant {value = dense<0.000000e+00> : tensor<4x5xf32>} : tensor<4x5xf32>
  %zb = tf.constant {value = dense<0.000000e+00> : tensor<5xf32>} : tensor<5xf32>
  %d, %gw, %gb = scf.for %k = %c0 to %c3 step %c1 iter_args(%d0 = %ds, %aw = %zw, %ab = %zb) -> (tensor<2x5xf32>, tensor<4x5xf32>, tensor<5xf32>) {
    %nk = arith.muli %k, %m1 : index
    %r = arith.addi %c2, %nk : index
    %t = tf.from_index %r : (index) -> tensor<i32>
    %x = tf.take %xs, %t {axis = 0 : i64} : (tensor<3x2x4xf32>, tensor<i32>) -> tensor<2x4xf32>
    %xt = tf.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
    %p = tf.matmul %xt, %d0 : (tensor<4x2xf32>, tensor<2x5xf32>) -> tensor<4x5xf32>
    %aw2 = tf.add %aw, %p : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
    %s = tf.sum %d0 {axes = array<i64: 0>, keepdims = false} : (tensor<2x5xf32>) -> tensor<5xf32>
    %ab2 = tf.add %ab, %s : (tensor<5xf32>, tensor<5xf32>) -> tensor<5xf32>
    %d1 = tf.matmul %d0, %w : (tensor<2x5xf32>, tensor<5x5xf32>) -> tensor<2x5xf32>
    scf.yield %d1, %aw2, %ab2 : tensor<2x5xf32>, tensor<4x5xf32>, tensor<5xf32>
  }
  func.return %gw, %gb : tensor<4x5xf32>, tensor<5xf32>
}

// CHECK:      func.func @reverse
// CHECK:        %[[TAPE0:.*]] = tf.constant {value = dense<0.000000e+00> : tensor<3x2x5xf32>}
// CHECK:        %[[D:.*]], %[[TAPE:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[D0:.*]] = %ds, %[[T0:.*]] = %[[TAPE0]]) -> (tensor<2x5xf32>, tensor<3x2x5xf32>)
// CHECK-NOT:      tf.add
// CHECK:          %[[T:.*]] = tf.from_index
// CHECK-NOT:      tf.take
// CHECK:          %[[D1:.*]] = tf.matmul %[[D0]], %w
// CHECK-NEXT:     %[[T1:.*]] = tf.scatter %[[T0]], %[[T]], %[[D0]] {axis = 0 : i64}
// CHECK-NEXT:     scf.yield %[[D1]], %[[T1]]
// CHECK-NEXT:   }
// CHECK-NEXT:   %[[X:.*]] = tf.reshape %xs : (tensor<3x2x4xf32>) -> tensor<6x4xf32>
// CHECK-NEXT:   %[[XT:.*]] = tf.transpose %[[X]] {perm = array<i64: 1, 0>} : (tensor<6x4xf32>) -> tensor<4x6xf32>
// CHECK-NEXT:   %[[DS:.*]] = tf.reshape %[[TAPE]] : (tensor<3x2x5xf32>) -> tensor<6x5xf32>
// CHECK-NEXT:   %[[GW:.*]] = tf.matmul %[[XT]], %[[DS]] : (tensor<4x6xf32>, tensor<6x5xf32>) -> tensor<4x5xf32>
// CHECK-NEXT:   %[[GB:.*]] = tf.sum %[[TAPE]] {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x2x5xf32>) -> tensor<5xf32>
// CHECK-NEXT:   func.return %[[GW]], %[[GB]]

// A sum alone is not batched (a tape for it would cost n times its
// operand's memory for nothing), nor an accumulator the body reads.
func.func @kept(%xs: tensor<3x4xf32>, %a0: tensor<4x4xf32>) -> (tensor<4xf32>, tensor<4x4xf32>) {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %c1 = arith.constant 1 : index
  %z = tf.constant {value = dense<0.000000e+00> : tensor<4xf32>} : tensor<4xf32>
  %s, %a = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %z, %m = %a0) -> (tensor<4xf32>, tensor<4x4xf32>) {
    %t = tf.from_index %i : (index) -> tensor<i32>
    %x = tf.take %xs, %t {axis = 0 : i64} : (tensor<3x4xf32>, tensor<i32>) -> tensor<4xf32>
    %e = tf.exp %x : (tensor<4xf32>) -> tensor<4xf32>
    %acc2 = tf.add %acc, %e : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %mm = tf.matmul %m, %m : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    %m2 = tf.add %m, %mm : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    scf.yield %acc2, %m2 : tensor<4xf32>, tensor<4x4xf32>
  }
  func.return %s, %a : tensor<4xf32>, tensor<4x4xf32>
}

// CHECK:      func.func @kept
// CHECK:        scf.for
// CHECK:          tf.add
// CHECK:          tf.add
// CHECK:          scf.yield

// A reshaped matmul is not a term the pass batches (only a sum's reshape is).
func.func @reshaped(%xs: tensor<3x2x4xf32>, %ys: tensor<3x2x5xf32>) -> tensor<20xf32> {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %c1 = arith.constant 1 : index
  %z = tf.constant {value = dense<0.000000e+00> : tensor<20xf32>} : tensor<20xf32>
  %r = scf.for %k = %c0 to %c3 step %c1 iter_args(%acc = %z) -> (tensor<20xf32>) {
    %t = tf.from_index %k : (index) -> tensor<i32>
    %x = tf.take %xs, %t {axis = 0 : i64} : (tensor<3x2x4xf32>, tensor<i32>) -> tensor<2x4xf32>
    %y = tf.take %ys, %t {axis = 0 : i64} : (tensor<3x2x5xf32>, tensor<i32>) -> tensor<2x5xf32>
    %e = tf.exp %y : (tensor<2x5xf32>) -> tensor<2x5xf32>
    %xt = tf.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
    %p = tf.matmul %xt, %y : (tensor<4x2xf32>, tensor<2x5xf32>) -> tensor<4x5xf32>
    %q = tf.reshape %p : (tensor<4x5xf32>) -> tensor<20xf32>
    %acc2 = tf.add %acc, %q : (tensor<20xf32>, tensor<20xf32>) -> tensor<20xf32>
    scf.yield %acc2 : tensor<20xf32>
  }
  func.return %r : tensor<20xf32>
}

// CHECK:      func.func @reshaped
// CHECK:        scf.for
// CHECK:          tf.matmul
// CHECK-NEXT:     tf.reshape
// CHECK-NEXT:     tf.add
