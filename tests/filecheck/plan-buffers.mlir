// RUN: xdsl-opt -p plan-buffers %s | filecheck %s

// Buffers reused once dead: x3 takes x1's buffer (dead after x2), x4 takes
// x2's (dead after x3), seen through views of another shape; the returned
// value keeps its own buffer even though x3's is dead by then: a view of x4
// (the collapse) keeps x4's buffer alive up to the last op.

builtin.module {
  func.func @main(%a: memref<4x6xf32>) -> memref<24xf32> {
    %0 = memref.alloc() : memref<4x6xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : memref<4x6xf32>) outs(%0 : memref<4x6xf32>) {
    ^bb0(%x0: f32, %o: f32):
      %s = arith.negf %x0 : f32
      linalg.yield %s : f32
    }
    %1 = memref.alloc() : memref<4x6xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%0 : memref<4x6xf32>) outs(%1 : memref<4x6xf32>) {
    ^bb0(%x0_1: f32, %o_1: f32):
      %s_1 = arith.mulf %x0_1, %x0_1 : f32
      linalg.yield %s_1 : f32
    }
    %2 = memref.alloc() : memref<6x4xf32>
    linalg.transpose ins(%1:memref<4x6xf32>) outs(%2:memref<6x4xf32>) permutation = [1, 0]
    %3 = memref.alloc() : memref<6x4xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%2 : memref<6x4xf32>) outs(%3 : memref<6x4xf32>) {
    ^bb0(%x0_2: f32, %o_2: f32):
      %s_2 = arith.addf %x0_2, %x0_2 : f32
      linalg.yield %s_2 : f32
    }
    %4 = memref.collapse_shape %3 [[0 : i64, 1 : i64]] : memref<6x4xf32> into memref<24xf32>
    %5 = memref.alloc() : memref<24xf32>
    linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%4 : memref<24xf32>) outs(%5 : memref<24xf32>) {
    ^bb0(%x0_3: f32, %o_3: f32):
      %s_3 = arith.addf %x0_3, %x0_3 : f32
      linalg.yield %s_3 : f32
    }
    func.return %5 : memref<24xf32>
  }
}

// CHECK:      %[[B0:.*]] = memref.alloc() {tfir.buffer = 0 : i64} : memref<4x6xf32>
// CHECK:      %[[B1:.*]] = memref.alloc() {tfir.buffer = 1 : i64} : memref<4x6xf32>
// CHECK:      %[[F0:.*]] = memref.collapse_shape %[[B0]] {{.*}} into memref<24xf32>
// CHECK-NEXT: %[[X3:.*]] = memref.expand_shape %[[F0]] {{.*}} into memref<6x4xf32>
// CHECK-NEXT: linalg.transpose ins(%[[B1]]:memref<4x6xf32>) outs(%[[X3]]:memref<6x4xf32>)
// CHECK:      %[[X4:.*]] = memref.expand_shape {{.*}} into memref<6x4xf32>
// CHECK-NEXT: linalg.generic {{.*}} ins(%[[X3]] : memref<6x4xf32>) outs(%[[X4]] : memref<6x4xf32>)
// CHECK-NEXT: ^
// CHECK:      %[[C:.*]] = memref.collapse_shape %[[X4]]
// CHECK-NEXT: %[[R:.*]] = memref.alloc() {tfir.buffer = 2 : i64} : memref<24xf32>
// CHECK:      func.return %[[R]]
