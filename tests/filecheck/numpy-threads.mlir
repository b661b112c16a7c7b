// RUN: xdsl-opt -p numpy-threads %s | filecheck %s
// RUN: xdsl-opt -p 'numpy-threads{threads=false}' %s | filecheck %s --check-prefix=OFF

// The row-group loop of a 512x1024 softmax is worth the thread pool: marked
// `tfir.threads`. With `threads=false` nothing is marked.

builtin.module {
  func.func @main(%x: memref<512x1024xf32>) -> memref<512x1024xf32> {
    %0 = arith.constant 0xff800000 : f32
    %1 = arith.constant 0 : index
    %2 = arith.constant 512 : index
    %3 = arith.constant 128 : index
    %4 = arith.constant 0 : index
    %5 = arith.constant 512 : index
    %6 = arith.constant 64 : index
    %7 = arith.constant 0.000000e+00 : f32
    %8 = arith.constant 0 : index
    %9 = arith.constant 512 : index
    %10 = arith.constant 128 : index
    %11 = memref.alloc() {tfir.buffer = 2 : i64} : memref<512x1024xf32>
    %12 = arith.constant 0 : index
    %13 = arith.constant 512 : index
    %14 = arith.constant 64 : index
    %15 = arith.constant 0 : index
    %16 = arith.constant 512 : index
    %17 = arith.constant 128 : index
    "scf.parallel"(%15, %16, %17) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%18: index):
      %buf0_tile = memref.alloc() : memref<128xf32>
      linalg.fill ins(%0 : f32) outs(%buf0_tile : memref<128xf32>)
      %19 = memref.subview %x[%18, 0] [128, 1024] [1, 1] : memref<512x1024xf32> to memref<128x1024xf32, strided<[1024, 1], offset: ?>>
      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%19 : memref<128x1024xf32, strided<[1024, 1], offset: ?>>) outs(%buf0_tile : memref<128xf32>) {
      ^bb0(%20: f32, %21: f32):
        %22 = arith.maximumf %20, %21 : f32
        linalg.yield %22 : f32
      }
      %23 = memref.subview %x[%18, 0] [128, 1024] [1, 1] : memref<512x1024xf32> to memref<128x1024xf32, strided<[1024, 1], offset: ?>>
      %24 = memref.expand_shape %buf0_tile [[0 : i64, 1 : i64]] output_shape [128, 1] : memref<128xf32> into memref<128x1xf32>
      %buf1_tile = memref.alloc() : memref<128x1024xf32>
      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%23, %24 : memref<128x1024xf32, strided<[1024, 1], offset: ?>>, memref<128x1xf32>) outs(%buf1_tile : memref<128x1024xf32>) {
      ^bb0(%25: f32, %26: f32, %27: f32):
        %28 = arith.subf %25, %26 : f32
        %29 = math.exp %28 : f32
        linalg.yield %29 : f32
      }
      linalg.fill ins(%7 : f32) outs(%buf0_tile : memref<128xf32>)
      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%buf1_tile : memref<128x1024xf32>) outs(%buf0_tile : memref<128xf32>) {
      ^bb0(%30: f32, %31: f32):
        %32 = arith.addf %30, %31 : f32
        linalg.yield %32 : f32
      }
      %33 = memref.expand_shape %buf0_tile [[0 : i64, 1 : i64]] output_shape [128, 1] : memref<128xf32> into memref<128x1xf32>
      %34 = memref.subview %11[%18, 0] [128, 1024] [1, 1] : memref<512x1024xf32> to memref<128x1024xf32, strided<[1024, 1], offset: ?>>
      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%buf1_tile, %33 : memref<128x1024xf32>, memref<128x1xf32>) outs(%34 : memref<128x1024xf32, strided<[1024, 1], offset: ?>>) {
      ^bb0(%35: f32, %36: f32, %37: f32):
        %38 = arith.divf %35, %36 : f32
        linalg.yield %38 : f32
      }
      scf.reduce
    }) {tfir.tile = array<i64: 128>} : (index, index, index) -> ()
    func.return %11 : memref<512x1024xf32>
  }
}

// CHECK:  }) {tfir.tile = array<i64: 128>, tfir.threads} : (index, index, index) -> ()

// OFF-NOT: tfir.threads
