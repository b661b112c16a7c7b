// RUN: xdsl-opt -p drop-overwritten-stores %s | filecheck %s

// Two values of a row group share one buffer (a row's max, then its sum): the
// first store to %buf is overwritten before anything reads %buf and goes. The
// store to %buf that the load reads stays; of the two stores to %out, the
// first goes.

builtin.module {
  "device.kernel"() <{sym_name = "tf_row_max_sum_0", grid = array<i64: 1>, block_sizes = {BLOCK = 1024 : i64}, num_warps = 4 : i64}> ({
  ^bb0(%x: memref<1024xf32>, %buf: memref<1024xf32>, %out: memref<1024xf32>):
    %pid = device.program_id 0 : i32
    %idx = device.arange 0 to 1024 {block = "BLOCK"} : tensor<1024xi32>
    %n = arith.constant dense<1000> : tensor<1024xi32>
    %mask = device.cmp "lt" %idx, %n : tensor<1024xi32> -> tensor<1024xi1>
    %v = device.load %x[%idx], %mask {other = 0.000000e+00 : f32} : memref<1024xf32>, tensor<1024xi32>, tensor<1024xi1> -> tensor<1024xf32>
    %m = arith.maximumf %v, %v : tensor<1024xf32>
    device.store %buf[%idx], %m, %mask : memref<1024xf32>, tensor<1024xi32>, tensor<1024xf32>, tensor<1024xi1>
    %s = arith.addf %v, %v : tensor<1024xf32>
    device.store %buf[%idx], %s, %mask : memref<1024xf32>, tensor<1024xi32>, tensor<1024xf32>, tensor<1024xi1>
    %r = device.load %buf[%idx], %mask {other = 0.000000e+00 : f32} : memref<1024xf32>, tensor<1024xi32>, tensor<1024xi1> -> tensor<1024xf32>
    device.store %out[%idx], %r, %mask : memref<1024xf32>, tensor<1024xi32>, tensor<1024xf32>, tensor<1024xi1>
    device.store %out[%idx], %m, %mask : memref<1024xf32>, tensor<1024xi32>, tensor<1024xf32>, tensor<1024xi1>
    device.return
  }) : () -> ()
}

// CHECK:      %m = arith.maximumf
// CHECK-NOT:  device.store %buf[%idx], %m
// CHECK:      %s = arith.addf
// CHECK-NEXT: device.store %buf[%idx], %s, %mask
// CHECK-NEXT: %r = device.load %buf[%idx], %mask
// CHECK-NOT:  device.store %out[%idx], %r
// CHECK-NEXT: device.store %out[%idx], %m, %mask
