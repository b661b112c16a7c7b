// RUN: xdsl-opt -p 'split-batch{entry=f batch_axes=0,-1 rows=2}' %s | filecheck %s

// Rows through elementwise ops and a matmul, a constant as long as the batch
// (rebuilt with the chunk's rows), a sum and a logsumexp over the batch.
builtin.module {
  func.func @f(%x: tensor<6x4xf32>, %w: tensor<4x3xf32>) -> (tensor<6x3xf32>, tensor<3xf32>, tensor<3xf32>) {
    %c = tf.constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %cb = tf.broadcast_to %c : (tensor<f32>) -> tensor<6x3xf32>
    %h = tf.matmul %x, %w : (tensor<6x4xf32>, tensor<4x3xf32>) -> tensor<6x3xf32>
    %y = tf.mul %h, %cb : (tensor<6x3xf32>, tensor<6x3xf32>) -> tensor<6x3xf32>
    %s = tf.sum %y {axes = array<i64: 0>, keepdims = false} : (tensor<6x3xf32>) -> tensor<3xf32>
    %m = tf.max %y {axes = array<i64: 0>, keepdims = true} : (tensor<6x3xf32>) -> tensor<1x3xf32>
    %d = tf.sub %y, %m : (tensor<6x3xf32>, tensor<1x3xf32>) -> tensor<6x3xf32>
    %e = tf.exp %d : (tensor<6x3xf32>) -> tensor<6x3xf32>
    %t = tf.sum %e {axes = array<i64: 0>, keepdims = false} : (tensor<6x3xf32>) -> tensor<3xf32>
    func.return %y, %s, %t : tensor<6x3xf32>, tensor<3xf32>, tensor<3xf32>
  }
}

// The max shifts the logsumexp and is a max over the batch itself: one op in
// the chunk (CSE), two partial results (max, and the pair of the logsumexp).
// CHECK:      func.func @f_chunk(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>) -> (tensor<2x3xf32>, tensor<1x3xf32>, tensor<1x3xf32>, tensor<1x3xf32>, tensor<1x3xf32>)
// CHECK-SAME: tfir.split = {batch = 6 : i64, rows = 2 : i64, row_results = array<i64: 0>, row_axes = array<i64: 0>, final_results = array<i64: 1, 2>, partials = 4 : i64, finalize_args = array<i64: 1>, combine = ["sum", "max", "lse-max", "lse-sum"]}
// CHECK:        %h = tf.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
// CHECK:        %cb = tf.broadcast_to %c : (tensor<f32>) -> tensor<2x3xf32>
// CHECK:        %y = tf.mul %h, %cb : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK:        %[[S:.*]] = tf.sum %y {axes = array<i64: 0>, keepdims = true} : (tensor<2x3xf32>) -> tensor<1x3xf32>
// CHECK:        %[[M:.*]] = tf.max %y {axes = array<i64: 0>, keepdims = true} : (tensor<2x3xf32>) -> tensor<1x3xf32>
// CHECK:        %[[D:.*]] = tf.sub %y, %[[M]]
// CHECK:        %[[E:.*]] = tf.exp %[[D]]
// CHECK:        %[[T:.*]] = tf.sum %[[E]] {axes = array<i64: 0>, keepdims = true}
// CHECK:        func.return %y, %[[S]], %[[M]], %[[M]], %[[T]]

// CHECK:      func.func @f_combine(%a0: tensor<1x3xf32>, %a1: tensor<1x3xf32>, %a2: tensor<1x3xf32>, %a3: tensor<1x3xf32>, %b0: tensor<1x3xf32>, %b1: tensor<1x3xf32>, %b2: tensor<1x3xf32>, %b3: tensor<1x3xf32>)
// CHECK:        %[[SUM:.*]] = tf.add %a0, %b0
// CHECK:        %[[MAX:.*]] = tf.maximum %a1, %b1
// CHECK:        %[[LM:.*]] = tf.maximum %a2, %b2
// CHECK:        %[[L:.*]] = tf.sub %a2, %[[LM]]
// CHECK:        %[[LE:.*]] = tf.exp %[[L]]
// CHECK:        %[[LS:.*]] = tf.mul %a3, %[[LE]]
// CHECK:        %[[R:.*]] = tf.sub %b2, %[[LM]]
// CHECK:        %[[RE:.*]] = tf.exp %[[R]]
// CHECK:        %[[RS:.*]] = tf.mul %b3, %[[RE]]
// CHECK:        %[[ALL:.*]] = tf.add %[[LS]], %[[RS]]
// CHECK:        func.return %[[SUM]], %[[MAX]], %[[LM]], %[[ALL]]

// CHECK:      func.func @f_finalize(%p0: tensor<1x3xf32>, %p1: tensor<1x3xf32>, %p2: tensor<1x3xf32>, %p3: tensor<1x3xf32>, %w: tensor<4x3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
// CHECK:        %s = tf.sum %p0 {axes = array<i64: 0>, keepdims = false} : (tensor<1x3xf32>) -> tensor<3xf32>
// CHECK:        %m = tf.max %p1 {axes = array<i64: 0>, keepdims = true}
// CHECK:        %[[SH:.*]] = tf.sub %p2, %m
// CHECK:        %[[EX:.*]] = tf.exp %[[SH]]
// CHECK:        %[[SC:.*]] = tf.mul %p3, %[[EX]]
// CHECK:        %t = tf.sum %[[SC]] {axes = array<i64: 0>, keepdims = false} : (tensor<1x3xf32>) -> tensor<3xf32>
// CHECK:        func.return %s, %t
