// RUN: xdsl-opt -p 'tile-linalg{max_tile_bytes=1048576}' %s | filecheck %s

// Softmax over 512 rows of 1024 (the pipeline's 1 MiB tile budget): each op
// becomes an `scf.parallel` over blocks of rows, of at least two tiles, with
// static sizes; every operand is read through a subview of the tile's rows.

builtin.module {
  func.func @main(%x: memref<512x1024xf32>) -> memref<512x1024xf32> {
    %0 = arith.constant 0xff800000 : f32
    %1 = memref.alloc() {tfir.buffer = 0 : i64} : memref<512xf32>
    linalg.fill ins(%0 : f32) outs(%1 : memref<512xf32>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<512x1024xf32>) outs(%1 : memref<512xf32>) {
    ^bb0(%2: f32, %3: f32):
      %4 = arith.maximumf %2, %3 : f32
      linalg.yield %4 : f32
    }
    %5 = memref.expand_shape %1 [[0 : i64, 1 : i64]] output_shape [512, 1] : memref<512xf32> into memref<512x1xf32>
    %6 = memref.alloc() {tfir.buffer = 1 : i64} : memref<512x1024xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %5 : memref<512x1024xf32>, memref<512x1xf32>) outs(%6 : memref<512x1024xf32>) {
    ^bb0(%7: f32, %8: f32, %9: f32):
      %10 = arith.subf %7, %8 : f32
      %11 = math.exp %10 : f32
      linalg.yield %11 : f32
    }
    %12 = arith.constant 0.000000e+00 : f32
    linalg.fill ins(%12 : f32) outs(%1 : memref<512xf32>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%6 : memref<512x1024xf32>) outs(%1 : memref<512xf32>) {
    ^bb0(%13: f32, %14: f32):
      %15 = arith.addf %13, %14 : f32
      linalg.yield %15 : f32
    }
    %16 = memref.expand_shape %1 [[0 : i64, 1 : i64]] output_shape [512, 1] : memref<512xf32> into memref<512x1xf32>
    %17 = memref.alloc() {tfir.buffer = 2 : i64} : memref<512x1024xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%6, %16 : memref<512x1024xf32>, memref<512x1xf32>) outs(%17 : memref<512x1024xf32>) {
    ^bb0(%18: f32, %19: f32, %20: f32):
      %21 = arith.divf %18, %19 : f32
      linalg.yield %21 : f32
    }
    func.return %17 : memref<512x1024xf32>
  }
}

// CHECK:      %[[LB:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[UB:.*]] = arith.constant 512 : index
// CHECK-NEXT: %[[STEP:.*]] = arith.constant 128 : index
// CHECK-NEXT: "scf.parallel"(%[[LB]], %[[UB]], %[[STEP]])
// CHECK-NEXT: ^bb0(%[[I:.*]]: index):
// CHECK-NEXT:   %[[X:.*]] = memref.subview %x[%[[I]], 0] [128, 1024] [1, 1] : memref<512x1024xf32> to memref<128x1024xf32, strided<[1024, 1], offset: ?>>
// CHECK-NEXT:   %[[M:.*]] = memref.subview %1[%[[I]]] [128] [1] : memref<512xf32> to memref<128xf32, strided<[1], offset: ?>>
// CHECK-NEXT:   linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : {{.*}}) outs(%[[M]] :
// CHECK:        scf.reduce
// CHECK-NEXT: }) {tfir.tile = array<i64: 128>} : (index, index, index) -> ()
// CHECK:      "scf.parallel"
// CHECK:      }) {tfir.tile = array<i64: 64>}
// CHECK:      "scf.parallel"
// CHECK:      "scf.parallel"
// CHECK:      func.return
