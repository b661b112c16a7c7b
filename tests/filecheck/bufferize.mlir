// RUN: xdsl-opt -p bufferize %s | filecheck %s

// Tensors to buffers, destination-passing: the matmul accumulates into the
// buffer its fill wrote, the fused epilogue writes a fresh buffer that is the
// result, and the rank-0 constant becomes a private constant global.

builtin.module {
  func.func @main(%x: tensor<64x32xf32>, %w: tensor<32x16xf32>, %b: tensor<16xf32>) -> tensor<64x16xf32> {
    %0 = tensor.empty() : tensor<64x16xf32>
    %1 = arith.constant 0.000000e+00 : f32
    %2 = linalg.fill ins(%1 : f32) outs(%0 : tensor<64x16xf32>) -> tensor<64x16xf32>
    %3 = linalg.matmul ins(%x, %w : tensor<64x32xf32>, tensor<32x16xf32>) outs(%2 : tensor<64x16xf32>) -> tensor<64x16xf32>
    %4 = arith.constant dense<5.000000e-01> : tensor<f32>
    %5 = tensor.empty() : tensor<64x16xf32>
    %6 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%3, %b, %4 : tensor<64x16xf32>, tensor<16xf32>, tensor<f32>) outs(%5 : tensor<64x16xf32>) {
    ^bb0(%7: f32, %8: f32, %9: f32, %10: f32):
      %11 = arith.addf %7, %8 : f32
      %12 = arith.constant 0.000000e+00 : f32
      %13 = arith.maximumf %11, %12 : f32
      %14 = arith.mulf %13, %9 : f32
      linalg.yield %14 : f32
    } -> tensor<64x16xf32>
    func.return %6 : tensor<64x16xf32>
  }
}

// CHECK:      "memref.global"() <{sym_name = "__tfir_const_0", type = memref<f32>, initial_value = dense<5.000000e-01> : tensor<f32>, sym_visibility = "private", constant}>
// CHECK:      func.func @main(%x: memref<64x32xf32>, %w: memref<32x16xf32>, %b: memref<16xf32>) -> memref<64x16xf32> {
// CHECK:        %[[ACC:.*]] = memref.alloc() : memref<64x16xf32>
// CHECK-NEXT:   linalg.fill ins(%{{.*}} : f32) outs(%[[ACC]] : memref<64x16xf32>)
// CHECK-NEXT:   linalg.matmul ins(%x, %w : memref<64x32xf32>, memref<32x16xf32>) outs(%[[ACC]] : memref<64x16xf32>)
// CHECK-NEXT:   %[[C:.*]] = memref.get_global @__tfir_const_0 : memref<f32>
// CHECK-NEXT:   %[[OUT:.*]] = memref.alloc() : memref<64x16xf32>
// CHECK-NEXT:   linalg.generic {{.*}} ins(%[[ACC]], %b, %[[C]] : memref<64x16xf32>, memref<16xf32>, memref<f32>) outs(%[[OUT]] : memref<64x16xf32>)
// CHECK:        func.return %[[OUT]] : memref<64x16xf32>
// CHECK-NOT:  tensor.
