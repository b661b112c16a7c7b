// RUN: xdsl-opt -p untile-loops %s | filecheck %s

// The CPU tiling undone: a tile loop over 436-row tiles becomes one op on the
// 872 rows the loop covered; the remainder piece (rows 872..997) stays.

builtin.module {
  "memref.global"() <{sym_name = "__tfir_const_0", type = memref<f32>, initial_value = dense<2.000000e+00> : tensor<f32>, sym_visibility = "private", constant}> : () -> ()
  func.func @main(%x: memref<997x300xf32>) -> memref<997x300xf32> {
    %0 = memref.get_global @__tfir_const_0 : memref<f32>
    %1 = memref.alloc() {tfir.buffer = 0 : i64} : memref<997x300xf32>
    %2 = arith.constant 0 : index
    %3 = arith.constant 872 : index
    %4 = arith.constant 436 : index
    "scf.parallel"(%2, %3, %4) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%5: index):
      %6 = memref.subview %x[%5, 0] [436, 300] [1, 1] : memref<997x300xf32> to memref<436x300xf32, strided<[300, 1], offset: ?>>
      %7 = memref.subview %1[%5, 0] [436, 300] [1, 1] : memref<997x300xf32> to memref<436x300xf32, strided<[300, 1], offset: ?>>
      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%6, %0 : memref<436x300xf32, strided<[300, 1], offset: ?>>, memref<f32>) outs(%7 : memref<436x300xf32, strided<[300, 1], offset: ?>>) {
      ^bb0(%8: f32, %9: f32, %10: f32):
        %11 = math.tanh %8 : f32
        %12 = arith.mulf %11, %9 : f32
        linalg.yield %12 : f32
      }
      scf.reduce
    }) {tfir.tile = array<i64: 436>} : (index, index, index) -> ()
    %13 = memref.subview %x[872, 0] [125, 300] [1, 1] : memref<997x300xf32> to memref<125x300xf32, strided<[300, 1], offset: 261600>>
    %14 = memref.subview %1[872, 0] [125, 300] [1, 1] : memref<997x300xf32> to memref<125x300xf32, strided<[300, 1], offset: 261600>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%13, %0 : memref<125x300xf32, strided<[300, 1], offset: 261600>>, memref<f32>) outs(%14 : memref<125x300xf32, strided<[300, 1], offset: 261600>>) {
    ^bb0(%15: f32, %16: f32, %17: f32):
      %18 = math.tanh %15 : f32
      %19 = arith.mulf %18, %16 : f32
      linalg.yield %19 : f32
    }
    func.return %1 : memref<997x300xf32>
  }
}

// CHECK-NOT: scf.parallel
// CHECK:     %[[X0:.*]] = memref.subview %x[0, 0] [872, 300] [1, 1]
// CHECK:     %[[O0:.*]] = memref.subview %1[0, 0] [872, 300] [1, 1]
// CHECK:     linalg.generic {{.*}} ins(%[[X0]], %0 : {{.*}}) outs(%[[O0]] :
// CHECK:       math.tanh
// CHECK:     memref.subview %x[872, 0] [125, 300] [1, 1]
// CHECK:     linalg.generic
// CHECK-NOT: scf.parallel
