// RUN: xdsl-opt -p fold-transposes %s | filecheck %s

// A transpose read only by an elementwise op goes: the op reads the
// transpose's source through the permuted indexing map.

builtin.module {
  func.func @main(%a: memref<64x32xf32>, %b: memref<32x64xf32>) -> memref<32x64xf32> {
    %0 = memref.alloc() {tfir.buffer = 0 : i64} : memref<32x64xf32>
    linalg.transpose ins(%a:memref<64x32xf32>) outs(%0:memref<32x64xf32>) permutation = [1, 0]
    %1 = memref.alloc() {tfir.buffer = 1 : i64} : memref<32x64xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%0, %b : memref<32x64xf32>, memref<32x64xf32>) outs(%1 : memref<32x64xf32>) {
    ^bb0(%2: f32, %3: f32, %4: f32):
      %5 = math.exp %2 : f32
      %6 = arith.addf %5, %3 : f32
      linalg.yield %6 : f32
    }
    func.return %1 : memref<32x64xf32>
  }
}

// CHECK-NOT:  linalg.transpose
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>]
// CHECK-SAME: ins(%a, %b : memref<64x32xf32>, memref<32x64xf32>)
// CHECK:        math.exp
