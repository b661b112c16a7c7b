// RUN: xdsl-opt -p numpy-gather-views %s | filecheck %s

// An RNN's `xs[t]` (T=4, B=2, D=3, H=4, after numpy-split-contractions): the
// projected inputs are written before the loop and only read in it, so the
// step's row is read in place (`tfir.view`). A gather from a buffer the loop
// writes, or whose destination is returned, keeps its copy.

builtin.module {
  func.func @rnn(%xs: memref<4x2x3xf32>, %h0: memref<2x4xf32>, %w: memref<3x4xf32>, %u: memref<4x4xf32>, %b: memref<4xf32>) -> memref<4x2x4xf32> {
    %0 = arith.constant 0 : index
    %1 = arith.constant 4 : index
    %2 = arith.constant 1 : index
    %3 = memref.collapse_shape %xs [[0 : i64, 1 : i64], [2 : i64]] : memref<4x2x3xf32> into memref<8x3xf32>
    %5 = memref.alloc() {tfir.buffer = 0 : i64} : memref<8x4xf32>
    linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%3, %w : memref<8x3xf32>, memref<3x4xf32>) outs(%5 : memref<8x4xf32>)
    %6 = memref.expand_shape %5 [[0 : i64, 1 : i64], [2 : i64]] output_shape [4, 2, 4] : memref<8x4xf32> into memref<4x2x4xf32>
    %7 = memref.alloc() {tfir.buffer = 1 : i64} : memref<2x4xf32>
    "memref.copy"(%h0, %7) : (memref<2x4xf32>, memref<2x4xf32>) -> ()
    %8 = memref.alloc() {tfir.buffer = 2 : i64} : memref<4x2x4xf32>
    %9 = memref.alloc() {tfir.buffer = 3 : i64} : memref<i32>
    %10 = memref.alloc() {tfir.buffer = 4 : i64} : memref<2x4xf32>
    %11 = memref.alloc() {tfir.buffer = 5 : i64} : memref<2x4xf32>
    scf.for %t = %0 to %1 step %2 {
      %t_1 = arith.index_cast %t : index to i32
      memref.store %t_1, %9[] : memref<i32>
      linalgx.gather %6, %9, %10 {axis = 0 : i64, along = false} : (memref<4x2x4xf32>, memref<i32>, memref<2x4xf32>) -> ()
      linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%7, %u : memref<2x4xf32>, memref<4x4xf32>) outs(%11 : memref<2x4xf32>)
      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%10, %11, %b : memref<2x4xf32>, memref<2x4xf32>, memref<4xf32>) outs(%7 : memref<2x4xf32>) {
      ^bb0(%13: f32, %14: f32, %15: f32, %16: f32):
        %17 = arith.addf %13, %14 : f32
        %18 = arith.addf %17, %15 : f32
        %19 = math.tanh %18 : f32
        linalg.yield %19 : f32
      }
      linalgx.scatter %7, %9, %8 {axis = 0 : i64, accumulate = false} : (memref<2x4xf32>, memref<i32>, memref<4x2x4xf32>) -> ()
    }
    func.return %8 : memref<4x2x4xf32>
  }

  // The loop writes the rows it reads: a view would show the new ones.
  func.func @written(%s: memref<4x2xf32>, %h: memref<2xf32>) -> memref<4x2xf32> {
    %0 = arith.constant 0 : index
    %1 = arith.constant 4 : index
    %2 = arith.constant 1 : index
    %3 = memref.alloc() : memref<4x2xf32>
    "memref.copy"(%s, %3) : (memref<4x2xf32>, memref<4x2xf32>) -> ()
    %4 = memref.alloc() : memref<i32>
    %5 = memref.alloc() : memref<2xf32>
    scf.for %t = %0 to %1 step %2 {
      %t_1 = arith.index_cast %t : index to i32
      memref.store %t_1, %4[] : memref<i32>
      linalgx.gather %3, %4, %5 {axis = 0 : i64, along = false} : (memref<4x2xf32>, memref<i32>, memref<2xf32>) -> ()
      linalgx.scatter %h, %4, %3 {axis = 0 : i64, accumulate = true} : (memref<2xf32>, memref<i32>, memref<4x2xf32>) -> ()
    }
    func.return %3 : memref<4x2xf32>
  }

  // The row is the result: the caller must get a buffer of its own.
  func.func @returned(%s: memref<4x2xf32>, %i: memref<i32>) -> memref<2xf32> {
    %0 = memref.alloc() : memref<2xf32>
    linalgx.gather %s, %i, %0 {axis = 0 : i64, along = false} : (memref<4x2xf32>, memref<i32>, memref<2xf32>) -> ()
    func.return %0 : memref<2xf32>
  }
}

// CHECK-LABEL: func.func @rnn
// CHECK:         linalgx.gather %{{.*}}, %{{.*}}, %{{.*}} {axis = 0 : i64, along = false, tfir.view}
// CHECK-LABEL: func.func @written
// CHECK:         linalgx.gather %{{.*}}, %{{.*}}, %{{.*}} {axis = 0 : i64, along = false} :
// CHECK-LABEL: func.func @returned
// CHECK:         linalgx.gather %{{.*}}, %{{.*}}, %{{.*}} {axis = 0 : i64, along = false} :
