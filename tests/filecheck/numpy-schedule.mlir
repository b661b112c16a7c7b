// RUN: xdsl-opt -p 'numpy-schedule{workers=2}' %s | filecheck %s

// A two-layer MLP on 64 rows: the loops of a function with BLAS work run whole
// (one call on the whole buffers: BLAS threads itself), so every tile loop
// becomes its op on the whole buffers.

builtin.module {
  func.func @main(%x: memref<64x128xf32>, %w1: memref<128x512xf32>, %b1: memref<512xf32>, %w2: memref<512x128xf32>, %b2: memref<128xf32>) -> memref<64x128xf32> {
    %0 = arith.constant 0.000000e+00 : f32
    %1 = memref.alloc() {tfir.buffer = 0 : i64} : memref<64x512xf32>
    %2 = arith.constant 0 : index
    %3 = arith.constant 64 : index
    %4 = arith.constant 32 : index
    "scf.parallel"(%2, %3, %4) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%5: index):
      %6 = memref.subview %1[%5, 0] [32, 512] [1, 1] : memref<64x512xf32> to memref<32x512xf32, strided<[512, 1], offset: ?>>
      linalg.fill ins(%0 : f32) outs(%6 : memref<32x512xf32, strided<[512, 1], offset: ?>>)
      scf.reduce
    }) {tfir.tile = array<i64: 32>} : (index, index, index) -> ()
    %7 = arith.constant 0 : index
    %8 = arith.constant 64 : index
    %9 = arith.constant 32 : index
    "scf.parallel"(%7, %8, %9) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%10: index):
      %11 = memref.subview %x[%10, 0] [32, 128] [1, 1] : memref<64x128xf32> to memref<32x128xf32, strided<[128, 1], offset: ?>>
      %12 = memref.subview %1[%10, 0] [32, 512] [1, 1] : memref<64x512xf32> to memref<32x512xf32, strided<[512, 1], offset: ?>>
      linalg.matmul ins(%11, %w1 : memref<32x128xf32, strided<[128, 1], offset: ?>>, memref<128x512xf32>) outs(%12 : memref<32x512xf32, strided<[512, 1], offset: ?>>)
      scf.reduce
    }) {tfir.tile = array<i64: 32>} : (index, index, index) -> ()
    %13 = memref.alloc() {tfir.buffer = 1 : i64} : memref<64x512xf32>
    %14 = arith.constant 0 : index
    %15 = arith.constant 64 : index
    %16 = arith.constant 32 : index
    "scf.parallel"(%14, %15, %16) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%17: index):
      %18 = memref.subview %1[%17, 0] [32, 512] [1, 1] : memref<64x512xf32> to memref<32x512xf32, strided<[512, 1], offset: ?>>
      %19 = memref.subview %13[%17, 0] [32, 512] [1, 1] : memref<64x512xf32> to memref<32x512xf32, strided<[512, 1], offset: ?>>
      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%18, %b1 : memref<32x512xf32, strided<[512, 1], offset: ?>>, memref<512xf32>) outs(%19 : memref<32x512xf32, strided<[512, 1], offset: ?>>) {
      ^bb0(%20: f32, %21: f32, %22: f32):
        %23 = arith.addf %20, %21 : f32
        %24 = arith.constant 0.000000e+00 : f32
        %25 = arith.maximumf %23, %24 : f32
        linalg.yield %25 : f32
      }
      scf.reduce
    }) {tfir.tile = array<i64: 32>} : (index, index, index) -> ()
    %26 = arith.constant 0.000000e+00 : f32
    %27 = memref.alloc() {tfir.buffer = 2 : i64} : memref<64x128xf32>
    linalg.fill ins(%26 : f32) outs(%27 : memref<64x128xf32>)
    %28 = arith.constant 0 : index
    %29 = arith.constant 64 : index
    %30 = arith.constant 32 : index
    "scf.parallel"(%28, %29, %30) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%31: index):
      %32 = memref.subview %13[%31, 0] [32, 512] [1, 1] : memref<64x512xf32> to memref<32x512xf32, strided<[512, 1], offset: ?>>
      %33 = memref.subview %27[%31, 0] [32, 128] [1, 1] : memref<64x128xf32> to memref<32x128xf32, strided<[128, 1], offset: ?>>
      linalg.matmul ins(%32, %w2 : memref<32x512xf32, strided<[512, 1], offset: ?>>, memref<512x128xf32>) outs(%33 : memref<32x128xf32, strided<[128, 1], offset: ?>>)
      scf.reduce
    }) {tfir.tile = array<i64: 32>} : (index, index, index) -> ()
    %34 = memref.alloc() {tfir.buffer = 3 : i64} : memref<64x128xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%27, %b2 : memref<64x128xf32>, memref<128xf32>) outs(%34 : memref<64x128xf32>) {
    ^bb0(%35: f32, %36: f32, %37: f32):
      %38 = arith.addf %35, %36 : f32
      linalg.yield %38 : f32
    }
    func.return %34 : memref<64x128xf32>
  }
}

// CHECK-NOT: "scf.parallel"
// CHECK:     linalg.fill ins(%{{.*}} : f32) outs(%[[C:.*]] : memref<64x512xf32>)
// CHECK:     linalg.matmul ins(%x, %w1 : memref<64x128xf32>, memref<128x512xf32>) outs(%[[C]] : memref<64x512xf32>)
// CHECK:     linalg.generic {{.*}} ins(%[[C]], %b1 : memref<64x512xf32>, memref<512xf32>)
// CHECK:     linalg.matmul ins(%{{.*}}, %w2 : memref<64x512xf32>, memref<512x128xf32>)
// CHECK-NOT: "scf.parallel"
