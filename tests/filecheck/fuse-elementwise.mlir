// RUN: xdsl-opt -p fuse-elementwise %s | filecheck %s

// A dense layer's bias add, relu and scale fuse into one `linalg.generic`
// after the matmul (a contraction, which fusion leaves alone); the scalar
// constant becomes an operand of the fused op.

builtin.module {
  func.func @main(%x: tensor<64x32xf32>, %w: tensor<32x16xf32>, %b: tensor<16xf32>) -> tensor<64x16xf32> {
    %0 = tensor.empty() : tensor<64x16xf32>
    %1 = arith.constant 0.000000e+00 : f32
    %2 = linalg.fill ins(%1 : f32) outs(%0 : tensor<64x16xf32>) -> tensor<64x16xf32>
    %3 = linalg.matmul ins(%x, %w : tensor<64x32xf32>, tensor<32x16xf32>) outs(%2 : tensor<64x16xf32>) -> tensor<64x16xf32>
    %4 = tensor.empty() : tensor<64x16xf32>
    %5 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%3, %b : tensor<64x16xf32>, tensor<16xf32>) outs(%4 : tensor<64x16xf32>) {
    ^bb0(%6: f32, %7: f32, %8: f32):
      %9 = arith.addf %6, %7 : f32
      linalg.yield %9 : f32
    } -> tensor<64x16xf32>
    %h = tensor.empty() : tensor<64x16xf32>
    %h_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%5 : tensor<64x16xf32>) outs(%h : tensor<64x16xf32>) {
    ^bb0(%10: f32, %11: f32):
      %12 = arith.constant 0.000000e+00 : f32
      %13 = arith.maximumf %10, %12 : f32
      linalg.yield %13 : f32
    } -> tensor<64x16xf32>
    %14 = arith.constant dense<5.000000e-01> : tensor<f32>
    %15 = tensor.empty() : tensor<64x16xf32>
    %16 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%h_1, %14 : tensor<64x16xf32>, tensor<f32>) outs(%15 : tensor<64x16xf32>) {
    ^bb0(%17: f32, %18: f32, %19: f32):
      %20 = arith.mulf %17, %18 : f32
      linalg.yield %20 : f32
    } -> tensor<64x16xf32>
    func.return %16 : tensor<64x16xf32>
  }
}

// CHECK:      %[[MM:.*]] = linalg.matmul ins(%x, %w : tensor<64x32xf32>, tensor<32x16xf32>)
// CHECK:      %[[K:.*]] = arith.constant dense<5.000000e-01> : tensor<f32>
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[MM]], %b, %[[K]] : tensor<64x16xf32>, tensor<16xf32>, tensor<f32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:   %[[ADD:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT:   %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:   %[[R:.*]] = arith.maximumf %[[ADD]], %[[Z]] : f32
// CHECK-NEXT:   %[[M:.*]] = arith.mulf %[[R]], %[[S]] : f32
// CHECK-NEXT:   linalg.yield %[[M]] : f32
// CHECK-NOT:  linalg.generic
