// RUN: xdsl-opt -p merge-tile-pieces %s | filecheck %s

// Two pieces of one op (rows 0..872 and 872..997, as untile-loops leaves
// them) merge back into one op on the whole buffers.

builtin.module {
  "memref.global"() <{sym_name = "__tfir_const_0", type = memref<f32>, initial_value = dense<2.000000e+00> : tensor<f32>, sym_visibility = "private", constant}> : () -> ()
  func.func @main(%x: memref<997x300xf32>) -> memref<997x300xf32> {
    %0 = memref.get_global @__tfir_const_0 : memref<f32>
    %1 = memref.alloc() {tfir.buffer = 0 : i64} : memref<997x300xf32>
    %2 = arith.constant 0 : index
    %3 = arith.constant 872 : index
    %4 = arith.constant 436 : index
    %5 = memref.subview %x[0, 0] [872, 300] [1, 1] : memref<997x300xf32> to memref<872x300xf32, strided<[300, 1]>>
    %6 = memref.subview %1[0, 0] [872, 300] [1, 1] : memref<997x300xf32> to memref<872x300xf32, strided<[300, 1]>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%5, %0 : memref<872x300xf32, strided<[300, 1]>>, memref<f32>) outs(%6 : memref<872x300xf32, strided<[300, 1]>>) {
    ^bb0(%7: f32, %8: f32, %9: f32):
      %10 = math.tanh %7 : f32
      %11 = arith.mulf %10, %8 : f32
      linalg.yield %11 : f32
    }
    %12 = memref.subview %x[872, 0] [125, 300] [1, 1] : memref<997x300xf32> to memref<125x300xf32, strided<[300, 1], offset: 261600>>
    %13 = memref.subview %1[872, 0] [125, 300] [1, 1] : memref<997x300xf32> to memref<125x300xf32, strided<[300, 1], offset: 261600>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%12, %0 : memref<125x300xf32, strided<[300, 1], offset: 261600>>, memref<f32>) outs(%13 : memref<125x300xf32, strided<[300, 1], offset: 261600>>) {
    ^bb0(%14: f32, %15: f32, %16: f32):
      %17 = math.tanh %14 : f32
      %18 = arith.mulf %17, %15 : f32
      linalg.yield %18 : f32
    }
    func.return %1 : memref<997x300xf32>
  }
}

// CHECK:     linalg.generic {{.*}} ins(%x, %0 : memref<997x300xf32>, memref<f32>) outs(%1 : memref<997x300xf32>)
// CHECK-NOT: linalg.generic
