// RUN: xdsl-opt -p prune-kernel-args %s | filecheck %s

// The constant buffer no kernel reads any more leaves the kernel's arguments,
// the launch and the host function.

builtin.module {
  "memref.global"() <{sym_name = "__tfir_const_0", type = memref<f32>, initial_value = dense<5.000000e-01> : tensor<f32>, sym_visibility = "private", constant}> : () -> ()
  "device.kernel"() <{sym_name = "tf_max_mul_0", grid = array<i64: 4>, block_sizes = {BLOCK = 1024 : i64}, num_warps = 4 : i64}> ({
  ^bb0(%x: memref<4096xf32>, %0: memref<f32>, %1: memref<4096xf32>):
    %pid = device.program_id 0 : i32
    %2 = arith.constant 1024 : i32
    %start = arith.muli %pid, %2 : i32
    %ridx = device.arange 0 to 1024 {block = "BLOCK"} : tensor<1024xi32>
    %3 = device.splat %start : i32 -> tensor<1024xi32>
    %idx = arith.addi %3, %ridx : tensor<1024xi32>
    %4 = arith.constant dense<4096> : tensor<1024xi32>
    %mask = device.cmp "lt" %idx, %4 : tensor<1024xi32> -> tensor<1024xi1>
    %x_1 = device.load %x[%idx], %mask {other = 0.000000e+00 : f32} : memref<4096xf32>, tensor<1024xi32>, tensor<1024xi1> -> tensor<1024xf32>
    %5 = arith.constant dense<5.000000e-01> : tensor<1024xf32>
    %6 = arith.constant dense<0.000000e+00> : tensor<1024xf32>
    %7 = arith.maximumf %x_1, %6 : tensor<1024xf32>
    %8 = arith.mulf %7, %5 : tensor<1024xf32>
    device.store %1[%idx], %8, %mask : memref<4096xf32>, tensor<1024xi32>, tensor<1024xf32>, tensor<1024xi1>
    device.return
  }) : () -> ()
  func.func @main(%x: memref<4096xf32>) -> memref<4096xf32> {
    %0 = memref.get_global @__tfir_const_0 : memref<f32>
    %1 = memref.alloc() {tfir.buffer = 0 : i64} : memref<4096xf32>
    device.launch @tf_max_mul_0(%x, %0, %1) : memref<4096xf32>, memref<f32>, memref<4096xf32>
    func.return %1 : memref<4096xf32>
  }
}

// CHECK:     ^bb0(%x: memref<4096xf32>, %0: memref<4096xf32>):
// CHECK:     func.func @main(%x: memref<4096xf32>) -> memref<4096xf32> {
// CHECK-NOT:   memref.get_global
// CHECK:       device.launch @tf_max_mul_0(%x, %0) : memref<4096xf32>, memref<4096xf32>
