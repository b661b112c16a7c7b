// RUN: xdsl-opt -p convert-linalg-to-scalar-loops %s | filecheck %s

// A fill and a row sum of relu(x + b): each linalg op becomes `scf.for` loops
// over its iteration space, reading its inputs with `memref.load` through the
// indexing maps (the bias by column only) and storing its output.

builtin.module {
  func.func @main(%x: memref<4x8xf32>, %b: memref<8xf32>) -> memref<4xf32> {
    %0 = arith.constant 0.000000e+00 : f32
    %1 = memref.alloc() {tfir.buffer = 0 : i64} : memref<4xf32>
    linalg.fill ins(%0 : f32) outs(%1 : memref<4xf32>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x, %b : memref<4x8xf32>, memref<8xf32>) outs(%1 : memref<4xf32>) {
    ^bb0(%2: f32, %3: f32, %4: f32):
      %5 = arith.addf %2, %3 : f32
      %6 = arith.constant 0.000000e+00 : f32
      %7 = arith.maximumf %5, %6 : f32
      %8 = arith.addf %7, %4 : f32
      linalg.yield %8 : f32
    }
    func.return %1 : memref<4xf32>
  }
}

// CHECK:      scf.for %[[I0:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:   memref.store %0, %1[%[[I0]]] : memref<4xf32>
// CHECK-NEXT: }
// CHECK:      scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:   scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:     %[[X:.*]] = memref.load %x[%[[I]], %[[J]]] : memref<4x8xf32>
// CHECK-NEXT:     %[[B:.*]] = memref.load %b[%[[J]]] : memref<8xf32>
// CHECK-NEXT:     %[[ACC:.*]] = memref.load %1[%[[I]]] : memref<4xf32>
// CHECK-NEXT:     %[[S:.*]] = arith.addf %[[X]], %[[B]] : f32
// CHECK:          %[[R:.*]] = arith.maximumf %[[S]], %{{.*}} : f32
// CHECK-NEXT:     %[[T:.*]] = arith.addf %[[R]], %[[ACC]] : f32
// CHECK-NEXT:     memref.store %[[T]], %1[%[[I]]] : memref<4xf32>
// CHECK-NOT:  linalg.
