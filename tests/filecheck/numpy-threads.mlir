// RUN: xdsl-opt -p numpy-threads %s | filecheck %s
// RUN: xdsl-opt -p 'numpy-threads{threads=false}' %s | filecheck %s --check-prefix=OFF

// The row-group loop of a 512x1024 softmax is worth the thread pool: marked
// `tfir.threads`. With `threads=false` nothing is marked.
//
// An RNN (T=256, B=64, D=128, H=256) spends its time in the loop's `h @ u`,
// run in the calling thread, and would send only its input projection's
// tiles to the pool: the function keeps the BLAS's threads (no
// `tfir.one_blas_thread` but `tfir.keep_blas_threads`): the generated code
// runs those tiles in turn while the BLAS has its threads.

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
  func.func @rnn(%xs: memref<256x64x128xf32>, %h0: memref<64x256xf32>, %w: memref<128x256xf32>, %u: memref<256x256xf32>, %b: memref<256xf32>) -> memref<256x64x256xf32> {
    %0 = arith.constant 0 : index
    %1 = arith.constant 256 : index
    %2 = arith.constant 1 : index
    %3 = memref.collapse_shape %xs [[0 : i64, 1 : i64], [2 : i64]] : memref<256x64x128xf32> into memref<16384x128xf32>
    %4 = arith.constant 0.000000e+00 : f32
    %5 = memref.alloc() {tfir.buffer = 0 : i64} : memref<16384x256xf32>
    %6 = arith.constant 0 : index
    %7 = arith.constant 16384 : index
    %8 = arith.constant 1024 : index
    %9 = arith.constant 0 : index
    %10 = arith.constant 16384 : index
    %11 = arith.constant 8192 : index
    %12 = arith.constant 0 : index
    %13 = arith.constant 16384 : index
    %14 = arith.constant 512 : index
    %15 = arith.constant 0 : index
    %16 = arith.constant 16384 : index
    %17 = arith.constant 8192 : index
    "scf.parallel"(%15, %16, %17) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%18: index):
      %19 = memref.subview %3[%18, 0] [8192, 128] [1, 1] : memref<16384x128xf32> to memref<8192x128xf32, strided<[128, 1], offset: ?>>
      %20 = memref.subview %5[%18, 0] [8192, 256] [1, 1] : memref<16384x256xf32> to memref<8192x256xf32, strided<[256, 1], offset: ?>>
      linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%19, %w : memref<8192x128xf32, strided<[128, 1], offset: ?>>, memref<128x256xf32>) outs(%20 : memref<8192x256xf32, strided<[256, 1], offset: ?>>)
      scf.reduce
    }) {tfir.tile = array<i64: 8192>} : (index, index, index) -> ()
    %21 = memref.expand_shape %5 [[0 : i64, 1 : i64], [2 : i64]] output_shape [256, 64, 256] : memref<16384x256xf32> into memref<256x64x256xf32>
    %22 = memref.alloc() {tfir.buffer = 1 : i64} : memref<64x256xf32>
    "memref.copy"(%h0, %22) : (memref<64x256xf32>, memref<64x256xf32>) -> ()
    %23 = memref.alloc() {tfir.buffer = 2 : i64} : memref<256x64x256xf32>
    %24 = memref.alloc() {tfir.buffer = 3 : i64} : memref<i32>
    %25 = memref.alloc() {tfir.buffer = 4 : i64} : memref<64x256xf32>
    %26 = memref.alloc() {tfir.buffer = 5 : i64} : memref<64x256xf32>
    scf.for %t = %0 to %1 step %2 {
      %t_1 = arith.index_cast %t : index to i32
      memref.store %t_1, %24[] : memref<i32>
      linalgx.gather %21, %24, %25 {axis = 0 : i64, along = false, tfir.view} : (memref<256x64x256xf32>, memref<i32>, memref<64x256xf32>) -> ()
      %27 = arith.constant 0.000000e+00 : f32
      %28 = arith.constant 0 : index
      %29 = arith.constant 64 : index
      %30 = arith.constant 32 : index
      %31 = arith.constant 0 : index
      %32 = arith.constant 64 : index
      %33 = arith.constant 32 : index
      linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%22, %u : memref<64x256xf32>, memref<256x256xf32>) outs(%26 : memref<64x256xf32>)
      %34 = arith.constant 0 : index
      %35 = arith.constant 64 : index
      %36 = arith.constant 32 : index
      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%25, %26, %b : memref<64x256xf32>, memref<64x256xf32>, memref<256xf32>) outs(%22 : memref<64x256xf32>) attrs =  {tfir.native} {
      ^bb0(%37: f32, %38: f32, %39: f32, %40: f32):
        %41 = arith.addf %37, %38 : f32
        %42 = arith.addf %41, %39 : f32
        %43 = math.tanh %42 : f32
        linalg.yield %43 : f32
      }
      linalgx.scatter %22, %24, %23 {axis = 0 : i64, accumulate = false} : (memref<64x256xf32>, memref<i32>, memref<256x64x256xf32>) -> ()
    }
    func.return %23 : memref<256x64x256xf32>
  }
}

// CHECK:  }) {tfir.tile = array<i64: 128>, tfir.threads} : (index, index, index) -> ()
// CHECK:  func.func @rnn({{.*}} attributes {tfir.keep_blas_threads} {
// CHECK-NOT: tfir.one_blas_thread
// CHECK:  }) {tfir.tile = array<i64: 8192>, tfir.threads} : (index, index, index) -> ()

// OFF-NOT: tfir.threads
