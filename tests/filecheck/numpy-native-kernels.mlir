// RUN: xdsl-opt -p numpy-native-kernels --split-input-file %s | filecheck %s

// Marked tfir.native (a C kernel): the elementwise exp(x - m) over 128x256
// and the row sum; not marked: the column sum (its reduced dim is no row),
// and the 4x4 elementwise op (too small to be worth a C call).

builtin.module {
  func.func @main(%x: memref<128x256xf32>, %m: memref<128xf32>, %s: memref<4x4xf32>) -> (memref<128x256xf32>, memref<128xf32>, memref<256xf32>, memref<4x4xf32>) {
    %e = memref.alloc() : memref<128x256xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %m : memref<128x256xf32>, memref<128xf32>) outs(%e : memref<128x256xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %d = arith.subf %a, %b : f32
      %r = math.exp %d : f32
      linalg.yield %r : f32
    }
    %zero = arith.constant 0.000000e+00 : f32
    %rows = memref.alloc() : memref<128xf32>
    linalg.fill ins(%zero : f32) outs(%rows : memref<128xf32>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%e : memref<128x256xf32>) outs(%rows : memref<128xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %t = arith.addf %a, %acc : f32
      linalg.yield %t : f32
    }
    %cols = memref.alloc() : memref<256xf32>
    linalg.fill ins(%zero : f32) outs(%cols : memref<256xf32>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<128x256xf32>) outs(%cols : memref<256xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %t = arith.addf %a, %acc : f32
      linalg.yield %t : f32
    }
    %small = memref.alloc() : memref<4x4xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%s : memref<4x4xf32>) outs(%small : memref<4x4xf32>) {
    ^bb0(%a: f32, %o: f32):
      %r = math.tanh %a : f32
      linalg.yield %r : f32
    }
    func.return %e, %rows, %cols, %small : memref<128x256xf32>, memref<128xf32>, memref<256xf32>, memref<4x4xf32>
  }
}

// CHECK:      linalg.generic {{.*}} ins(%x, %m : {{.*}}) outs(%e : memref<128x256xf32>) attrs =  {tfir.native}
// CHECK:        math.exp
// CHECK:      linalg.generic {{.*}} ins(%e : memref<128x256xf32>) outs(%rows : memref<128xf32>) attrs =  {tfir.native}
// CHECK:      linalg.generic {{.*}} ins(%x : memref<128x256xf32>) outs(%cols : memref<256xf32>) {
// CHECK:      linalg.generic {{.*}} ins(%s : memref<4x4xf32>) outs(%small : memref<4x4xf32>) {

// -----

// A loop of 2000 steps over a 4-element state whose body is a native op on
// buffers from outside it: the loop is marked as a whole (one C call); its
// op alone (4 points) is not. A loop whose body reads its step index is not.

builtin.module {
  func.func @loop(%x: memref<4xf32>, %acc: memref<4xf32>, %big: memref<2000x4xf32>) {
    %lo = arith.constant 0 : index
    %hi = arith.constant 2000 : index
    %one = arith.constant 1 : index
    scf.for %i = %lo to %hi step %one {
      linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%acc, %x : memref<4xf32>, memref<4xf32>) outs(%acc : memref<4xf32>) {
      ^bb0(%a: f32, %b: f32, %o: f32):
        %m = arith.mulf %a, %b : f32
        linalg.yield %m : f32
      }
    }
    scf.for %j = %lo to %hi step %one {
      %row = memref.subview %big[%j, 0] [1, 4] [1, 1] : memref<2000x4xf32> to memref<4xf32, strided<[1], offset: ?>>
      linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%row : memref<4xf32, strided<[1], offset: ?>>) outs(%acc : memref<4xf32>) {
      ^bb0(%a: f32, %o: f32):
        %t = math.tanh %a : f32
        linalg.yield %t : f32
      }
    }
    func.return
  }
}

// CHECK:      scf.for %i = %lo to %hi step %one {
// CHECK-NEXT:   linalg.generic {{.*}} outs(%acc : memref<4xf32>) {
// CHECK:      } {tfir.native}
// CHECK:      scf.for %j = %lo to %hi step %one {
// CHECK:        linalg.generic {{.*}} outs(%acc : memref<4xf32>) {
// CHECK:      }
// CHECK-NOT:  tfir.native
