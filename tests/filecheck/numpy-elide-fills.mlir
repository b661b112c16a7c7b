// RUN: xdsl-opt -p numpy-elide-fills %s | filecheck %s

// The zero fills of the matmuls' outputs go: each matmul is marked with the
// value it starts from (the code generator then writes `np.matmul(a, b, out=c)`).

builtin.module {
  func.func @main(%x: memref<64x128xf32>, %w1: memref<128x512xf32>, %b1: memref<512xf32>, %w2: memref<512x128xf32>, %b2: memref<128xf32>) -> memref<64x128xf32> {
    %0 = arith.constant 0.000000e+00 : f32
    %1 = memref.alloc() {tfir.buffer = 0 : i64} : memref<64x512xf32>
    %2 = arith.constant 0 : index
    %3 = arith.constant 64 : index
    %4 = arith.constant 32 : index
    linalg.fill ins(%0 : f32) outs(%1 : memref<64x512xf32>)
    %5 = arith.constant 0 : index
    %6 = arith.constant 64 : index
    %7 = arith.constant 32 : index
    linalg.matmul ins(%x, %w1 : memref<64x128xf32>, memref<128x512xf32>) outs(%1 : memref<64x512xf32>)
    %8 = memref.alloc() {tfir.buffer = 1 : i64} : memref<64x512xf32>
    %9 = arith.constant 0 : index
    %10 = arith.constant 64 : index
    %11 = arith.constant 32 : index
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%1, %b1 : memref<64x512xf32>, memref<512xf32>) outs(%8 : memref<64x512xf32>) {
    ^bb0(%12: f32, %13: f32, %14: f32):
      %15 = arith.addf %12, %13 : f32
      %16 = arith.constant 0.000000e+00 : f32
      %17 = arith.maximumf %15, %16 : f32
      linalg.yield %17 : f32
    }
    %18 = arith.constant 0.000000e+00 : f32
    %19 = memref.alloc() {tfir.buffer = 2 : i64} : memref<64x128xf32>
    linalg.fill ins(%18 : f32) outs(%19 : memref<64x128xf32>)
    %20 = arith.constant 0 : index
    %21 = arith.constant 64 : index
    %22 = arith.constant 32 : index
    linalg.matmul ins(%8, %w2 : memref<64x512xf32>, memref<512x128xf32>) outs(%19 : memref<64x128xf32>)
    %23 = memref.alloc() {tfir.buffer = 3 : i64} : memref<64x128xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%19, %b2 : memref<64x128xf32>, memref<128xf32>) outs(%23 : memref<64x128xf32>) {
    ^bb0(%24: f32, %25: f32, %26: f32):
      %27 = arith.addf %24, %25 : f32
      linalg.yield %27 : f32
    }
    func.return %23 : memref<64x128xf32>
  }
}

// CHECK-NOT: linalg.fill ins(%0 : f32) outs(%1 : memref<64x512xf32>)
// CHECK:     linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%x, %w1 : memref<64x128xf32>, memref<128x512xf32>) outs(%1 : memref<64x512xf32>)
// CHECK-NOT: linalg.fill {{.*}} memref<64x128xf32>
// CHECK:     linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%{{.*}}, %w2
