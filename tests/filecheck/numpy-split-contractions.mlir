// RUN: xdsl-opt -p 'numpy-split-contractions{workers=2}' %s | filecheck %s

// A matmul of 2^27 multiply-adds becomes a tile loop of one tile per worker,
// along the columns of %b (the larger input): each worker's BLAS call packs
// only its half of %b. The small matmul (2^18) stays whole.

builtin.module {
  func.func @main(%a: memref<256x512xf32>, %b: memref<512x1024xf32>, %c: memref<64x64xf32>) -> (memref<256x1024xf32>, memref<64x64xf32>) {
    %0 = memref.alloc() {tfir.buffer = 0 : i64} : memref<256x1024xf32>
    linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%a, %b : memref<256x512xf32>, memref<512x1024xf32>) outs(%0 : memref<256x1024xf32>)
    %1 = memref.alloc() {tfir.buffer = 1 : i64} : memref<64x64xf32>
    linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%c, %c : memref<64x64xf32>, memref<64x64xf32>) outs(%1 : memref<64x64xf32>)
    func.return %0, %1 : memref<256x1024xf32>, memref<64x64xf32>
  }
}

// CHECK:      %[[LO:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[HI:.*]] = arith.constant 1024 : index
// CHECK-NEXT: %[[STEP:.*]] = arith.constant 512 : index
// CHECK-NEXT: "scf.parallel"(%[[LO]], %[[HI]], %[[STEP]])
// CHECK:        %[[B:.*]] = memref.subview %b[0, %{{.*}}] [512, 512] [1, 1]
// CHECK:        %[[C:.*]] = memref.subview %0[0, %{{.*}}] [256, 512] [1, 1]
// CHECK:        linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%a, %[[B]] : {{.*}}) outs(%[[C]] : {{.*}})
// CHECK:      }) {tfir.tile = array<i64: 512>}
// CHECK:      linalg.matmul {tfir.filled = 0.000000e+00 : f32} ins(%c, %c : memref<64x64xf32>, memref<64x64xf32>)
