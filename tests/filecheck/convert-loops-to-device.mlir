// RUN: xdsl-opt -p convert-loops-to-device %s | filecheck %s

// A fused elementwise op on memrefs becomes a kernel over blocks of 1024
// elements (masked loads and stores) and a launch in its place; its operands
// become kernel arguments.

builtin.module {
  "memref.global"() <{sym_name = "__tfir_const_0", type = memref<f32>, initial_value = dense<5.000000e-01> : tensor<f32>, sym_visibility = "private", constant}> : () -> ()
  func.func @main(%x: memref<4096xf32>) -> memref<4096xf32> {
    %0 = memref.get_global @__tfir_const_0 : memref<f32>
    %1 = memref.alloc() {tfir.buffer = 0 : i64} : memref<4096xf32>
    linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x, %0 : memref<4096xf32>, memref<f32>) outs(%1 : memref<4096xf32>) {
    ^bb0(%2: f32, %3: f32, %4: f32):
      %5 = arith.constant 0.000000e+00 : f32
      %6 = arith.maximumf %2, %5 : f32
      %7 = arith.mulf %6, %3 : f32
      linalg.yield %7 : f32
    }
    func.return %1 : memref<4096xf32>
  }
}

// CHECK:      "device.kernel"() <{sym_name = "tf_max_mul_0", grid = array<i64: 4>, block_sizes = {BLOCK = 1024 : i64}, num_warps = 4 : i64}> ({
// CHECK-NEXT: ^bb0(%x: memref<4096xf32>, %0: memref<f32>, %1: memref<4096xf32>):
// CHECK:        %pid = device.program_id 0 : i32
// CHECK:        %ridx = device.arange 0 to 1024 {block = "BLOCK"} : tensor<1024xi32>
// CHECK:        %mask = device.cmp "lt" %idx, %{{.*}} : tensor<1024xi32> -> tensor<1024xi1>
// CHECK:        %x_1 = device.load %x[%idx], %mask {other = 0.000000e+00 : f32}
// CHECK:        %[[C:.*]] = device.load %0[%{{.*}}], %mask
// CHECK:        %[[M:.*]] = arith.maximumf %x_1, %{{.*}} : tensor<1024xf32>
// CHECK:        %[[R:.*]] = arith.mulf %[[M]], %[[C]] : tensor<1024xf32>
// CHECK:        device.store %1[%idx], %[[R]], %mask
// CHECK:        device.return
// CHECK:      func.func @main(%x: memref<4096xf32>) -> memref<4096xf32> {
// CHECK-NOT:    linalg.generic
// CHECK:        device.launch @tf_max_mul_0(%x, %0, %1) : memref<4096xf32>, memref<f32>, memref<4096xf32>
