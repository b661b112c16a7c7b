// RUN: xdsl-opt -p convert-tf-to-linalg --split-input-file %s | filecheck %s

// Broadcasting binary ops: a `linalg.generic` each, reading the smaller
// operands through broadcast maps (a missing dim dropped, a unit dim read at
// 0).

builtin.module {
  func.func @main(%a0: tensor<4x5xf32>, %a1: tensor<5xf32>, %a2: tensor<1x5xf32>) -> (tensor<4x5xf32>) {
    %0 = tf.add %a0, %a1 : (tensor<4x5xf32>, tensor<5xf32>) -> tensor<4x5xf32> loc("t.tf":2:1)
    %1 = tf.mul %0, %a2 : (tensor<4x5xf32>, tensor<1x5xf32>) -> tensor<4x5xf32> loc("t.tf":3:1)
    func.return %1 : tensor<4x5xf32> loc("t.tf":4:1)
  }
}

// CHECK:      %[[E0:.*]] = tensor.empty() : tensor<4x5xf32>
// CHECK-NEXT: %[[G0:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a0, %a1 : tensor<4x5xf32>, tensor<5xf32>) outs(%[[E0]] : tensor<4x5xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:   %[[S:.*]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK-NEXT:   linalg.yield %[[S]] : f32
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (0, d1)>, affine_map<(d0, d1) -> (d0, d1)>]
// CHECK:        arith.mulf

// -----

// A reduction over axis 1 keeping the dim: a fill with the identity (-inf), a
// reduction `linalg.generic`, then an expand_shape back to rank 3.

builtin.module {
  func.func @main(%a0: tensor<3x4x5xf32>) -> (tensor<3x1x5xf32>) {
    %0 = tf.max %a0 {axes = array<i64: 1>, keepdims = true} : (tensor<3x4x5xf32>) -> tensor<3x1x5xf32> loc("t.tf":2:1)
    func.return %0 : tensor<3x1x5xf32> loc("t.tf":3:1)
  }
}

// CHECK:      %[[E:.*]] = tensor.empty() : tensor<3x5xf32>
// CHECK-NEXT: %[[NEG_INF:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: %[[INIT:.*]] = linalg.fill ins(%[[NEG_INF]] : f32) outs(%[[E]] : tensor<3x5xf32>) -> tensor<3x5xf32>
// CHECK-NEXT: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a0 : tensor<3x4x5xf32>) outs(%[[INIT]] : tensor<3x5xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK-NEXT:   %[[M:.*]] = arith.maximumf %[[IN]], %[[OUT]] : f32
// CHECK-NEXT:   linalg.yield %[[M]] : f32
// CHECK:      tensor.expand_shape %[[R]] {{\[}}[0 : i64], [1 : i64, 2 : i64]] output_shape [3, 1, 5] : tensor<3x5xf32> into tensor<3x1x5xf32>

// -----

// argmax: value and index carried together; the first maximum wins and NaN is
// a maximum.

builtin.module {
  func.func @main(%a0: tensor<6x7xf32>) -> (tensor<6xi64>) {
    %0 = tf.argmax %a0 {axis = 1 : i64} : (tensor<6x7xf32>) -> tensor<6xi64> loc("t.tf":2:1)
    func.return %0 : tensor<6xi64> loc("t.tf":3:1)
  }
}

// CHECK:      linalg.fill
// CHECK:      linalg.fill
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %[[V:.*]]: f32, %[[I:.*]]: i64):
// CHECK-NEXT:   %[[IDX:.*]] = linalg.index 1 : index
// CHECK-NEXT:   %[[IDX64:.*]] = arith.index_cast %[[IDX]] : index to i64
// CHECK-NEXT:   %[[GT:.*]] = arith.cmpf ugt, %[[IN]], %[[V]] : f32
// CHECK-NEXT:   %[[ORD:.*]] = arith.cmpf ord, %[[V]], %[[V]] : f32
// CHECK-NEXT:   %[[B:.*]] = arith.andi %[[GT]], %[[ORD]] : i1
// CHECK-NEXT:   %[[NV:.*]] = arith.select %[[B]], %[[IN]], %[[V]] : f32
// CHECK-NEXT:   %[[NI:.*]] = arith.select %[[B]], %[[IDX64]], %[[I]] : i64
// CHECK-NEXT:   linalg.yield %[[NV]], %[[NI]] : f32, i64

// -----

// A slice with a negative stride: the elements taken in increasing order
// (extract_slice), then a generic reading them backwards; its loops have the
// result's sizes only (issue 13: reading the whole operand gave loop d0 two sizes).

builtin.module {
  func.func @main(%a0: tensor<4x5xf32>) -> (tensor<4x2xf32>) {
    %0 = tf.slice %a0 {start = array<i64: 3, 1>, stride = array<i64: -1, 2>} : (tensor<4x5xf32>) -> tensor<4x2xf32> loc("t.tf":2:1)
    func.return %0 : tensor<4x2xf32> loc("t.tf":3:1)
  }
}

// CHECK:      %0 = tensor.extract_slice %a0[0, 1] [4, 2] [1, 2] : tensor<4x5xf32> to tensor<4x2xf32>
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (((d0 * -1) + 3), d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%0 : tensor<4x2xf32>)

// -----

// A broadcast batched matmul: operands broadcast to the batch shape,
// collapsed to one batch dim, contracted, expanded back.

builtin.module {
  func.func @main(%a0: tensor<2x1x5x3xf32>, %a1: tensor<6x3x4xf32>) -> (tensor<2x6x5x4xf32>) {
    %0 = tf.matmul %a0, %a1 : (tensor<2x1x5x3xf32>, tensor<6x3x4xf32>) -> tensor<2x6x5x4xf32> loc("t.tf":2:1)
    func.return %0 : tensor<2x6x5x4xf32> loc("t.tf":3:1)
  }
}

// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>]
// CHECK:      tensor.collapse_shape {{.*}} : tensor<2x6x5x3xf32> into tensor<12x5x3xf32>
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>]
// CHECK:      tensor.collapse_shape {{.*}} : tensor<2x6x3x4xf32> into tensor<12x3x4xf32>
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK:        arith.mulf
// CHECK-NEXT:   arith.addf
// CHECK:      tensor.expand_shape {{.*}} : tensor<12x5x4xf32> into tensor<2x6x5x4xf32>
