// RUN: xdsl-opt -p 'numpy-row-groups{workers=2}' %s | filecheck %s

// Softmax over 512 rows: four tile loops (row max, exp, row sum, divide), each
// over all rows, become one loop over blocks of 128 rows whose intermediate
// values live in tile buffers (%buf0_tile, %buf1_tile) instead of whole arrays.

builtin.module {
  func.func @main(%x: memref<512x1024xf32>) -> memref<512x1024xf32> {
    %0 = arith.constant 0xff800000 : f32
    %1 = memref.alloc() {tfir.buffer = 0 : i64} : memref<512xf32>
    linalg.fill ins(%0 : f32) outs(%1 : memref<512xf32>)
    %2 = arith.constant 0 : index
    %3 = arith.constant 512 : index
    %4 = arith.constant 128 : index
    "scf.parallel"(%2, %3, %4) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%5: index):
      %6 = memref.subview %x[%5, 0] [128, 1024] [1, 1] : memref<512x1024xf32> to memref<128x1024xf32, strided<[1024, 1], offset: ?>>
      %7 = memref.subview %1[%5] [128] [1] : memref<512xf32> to memref<128xf32, strided<[1], offset: ?>>
      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%6 : memref<128x1024xf32, strided<[1024, 1], offset: ?>>) outs(%7 : memref<128xf32, strided<[1], offset: ?>>) {
      ^bb0(%8: f32, %9: f32):
        %10 = arith.maximumf %8, %9 : f32
        linalg.yield %10 : f32
      }
      scf.reduce
    }) {tfir.tile = array<i64: 128>} : (index, index, index) -> ()
    %11 = memref.expand_shape %1 [[0 : i64, 1 : i64]] output_shape [512, 1] : memref<512xf32> into memref<512x1xf32>
    %12 = memref.alloc() {tfir.buffer = 1 : i64} : memref<512x1024xf32>
    %13 = arith.constant 0 : index
    %14 = arith.constant 512 : index
    %15 = arith.constant 64 : index
    "scf.parallel"(%13, %14, %15) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%16: index):
      %17 = memref.subview %x[%16, 0] [64, 1024] [1, 1] : memref<512x1024xf32> to memref<64x1024xf32, strided<[1024, 1], offset: ?>>
      %18 = memref.subview %11[%16, 0] [64, 1] [1, 1] : memref<512x1xf32> to memref<64x1xf32, strided<[1, 1], offset: ?>>
      %19 = memref.subview %12[%16, 0] [64, 1024] [1, 1] : memref<512x1024xf32> to memref<64x1024xf32, strided<[1024, 1], offset: ?>>
      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%17, %18 : memref<64x1024xf32, strided<[1024, 1], offset: ?>>, memref<64x1xf32, strided<[1, 1], offset: ?>>) outs(%19 : memref<64x1024xf32, strided<[1024, 1], offset: ?>>) {
      ^bb0(%20: f32, %21: f32, %22: f32):
        %23 = arith.subf %20, %21 : f32
        %24 = math.exp %23 : f32
        linalg.yield %24 : f32
      }
      scf.reduce
    }) {tfir.tile = array<i64: 64>} : (index, index, index) -> ()
    %25 = arith.constant 0.000000e+00 : f32
    linalg.fill ins(%25 : f32) outs(%1 : memref<512xf32>)
    %26 = arith.constant 0 : index
    %27 = arith.constant 512 : index
    %28 = arith.constant 128 : index
    "scf.parallel"(%26, %27, %28) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%29: index):
      %30 = memref.subview %12[%29, 0] [128, 1024] [1, 1] : memref<512x1024xf32> to memref<128x1024xf32, strided<[1024, 1], offset: ?>>
      %31 = memref.subview %1[%29] [128] [1] : memref<512xf32> to memref<128xf32, strided<[1], offset: ?>>
      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%30 : memref<128x1024xf32, strided<[1024, 1], offset: ?>>) outs(%31 : memref<128xf32, strided<[1], offset: ?>>) {
      ^bb0(%32: f32, %33: f32):
        %34 = arith.addf %32, %33 : f32
        linalg.yield %34 : f32
      }
      scf.reduce
    }) {tfir.tile = array<i64: 128>} : (index, index, index) -> ()
    %35 = memref.expand_shape %1 [[0 : i64, 1 : i64]] output_shape [512, 1] : memref<512xf32> into memref<512x1xf32>
    %36 = memref.alloc() {tfir.buffer = 2 : i64} : memref<512x1024xf32>
    %37 = arith.constant 0 : index
    %38 = arith.constant 512 : index
    %39 = arith.constant 64 : index
    "scf.parallel"(%37, %38, %39) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%40: index):
      %41 = memref.subview %12[%40, 0] [64, 1024] [1, 1] : memref<512x1024xf32> to memref<64x1024xf32, strided<[1024, 1], offset: ?>>
      %42 = memref.subview %35[%40, 0] [64, 1] [1, 1] : memref<512x1xf32> to memref<64x1xf32, strided<[1, 1], offset: ?>>
      %43 = memref.subview %36[%40, 0] [64, 1024] [1, 1] : memref<512x1024xf32> to memref<64x1024xf32, strided<[1024, 1], offset: ?>>
      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%41, %42 : memref<64x1024xf32, strided<[1024, 1], offset: ?>>, memref<64x1xf32, strided<[1, 1], offset: ?>>) outs(%43 : memref<64x1024xf32, strided<[1024, 1], offset: ?>>) {
      ^bb0(%44: f32, %45: f32, %46: f32):
        %47 = arith.divf %44, %45 : f32
        linalg.yield %47 : f32
      }
      scf.reduce
    }) {tfir.tile = array<i64: 64>} : (index, index, index) -> ()
    func.return %36 : memref<512x1024xf32>
  }
}

// CHECK:      "scf.parallel"
// CHECK:        %buf0_tile = memref.alloc() : memref<128xf32>
// CHECK:        linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:        %buf1_tile = memref.alloc() : memref<128x1024xf32>
// CHECK:        linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:        linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:        linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:      }) {tfir.tile = array<i64: 128>}
// CHECK-NOT:  "scf.parallel"
