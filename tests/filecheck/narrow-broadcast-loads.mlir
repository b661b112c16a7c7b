// RUN: xdsl-opt -p narrow-broadcast-loads %s | filecheck %s

// The epilogue of a matmul kernel loads the bias `b[n]` through the offsets of
// the whole 64x16 tile; narrowed, it loads the 16 columns once under the column
// mask and broadcasts them over the rows.

builtin.module {
  "memref.global"() <{sym_name = "__tfir_const_0", type = memref<f32>, initial_value = dense<5.000000e-01> : tensor<f32>, sym_visibility = "private", constant}> : () -> ()
  "device.kernel"() <{sym_name = "tf_matmul_add_max_0", grid = array<i64: 1, 1>, block_sizes = {BLOCK_M = 64 : i64, BLOCK_N = 16 : i64, BLOCK_K = 32 : i64}, num_warps = 4 : i64}> ({
  ^bb0(%x: memref<64x32xf32>, %w: memref<32x16xf32>, %b: memref<16xf32>, %0: memref<f32>, %1: memref<64x16xf32>):
    %pid = device.program_id 0 : i32
    %2 = arith.constant 64 : i32
    %m0 = arith.muli %pid, %2 : i32
    %rrm = device.arange 0 to 64 {block = "BLOCK_M"} : tensor<64xi32>
    %3 = device.splat %m0 : i32 -> tensor<64xi32>
    %rm = arith.addi %3, %rrm : tensor<64xi32>
    %pid_n = device.program_id 1 : i32
    %4 = arith.constant 16 : i32
    %n0 = arith.muli %pid_n, %4 : i32
    %rrn = device.arange 0 to 16 {block = "BLOCK_N"} : tensor<16xi32>
    %5 = device.splat %n0 : i32 -> tensor<16xi32>
    %rn = arith.addi %5, %rrn : tensor<16xi32>
    %6 = arith.constant dense<64> : tensor<64xi32>
    %mask_m = device.cmp "lt" %rm, %6 : tensor<64xi32> -> tensor<64xi1>
    %7 = arith.constant dense<16> : tensor<16xi32>
    %mask_n = device.cmp "lt" %rn, %7 : tensor<16xi32> -> tensor<16xi1>
    %acc = arith.constant dense<0.000000e+00> : tensor<64x16xf32>
    %8 = arith.constant 0 : i32
    %9 = arith.constant 32 : i32
    %acc_1 = scf.for %k = %8 to %9 step %9 iter_args(%acc_2 = %acc) -> (tensor<64x16xf32>) : i32 {
      %rrk = device.arange 0 to 32 {block = "BLOCK_K"} : tensor<32xi32>
      %10 = device.splat %k : i32 -> tensor<32xi32>
      %rk = arith.addi %10, %rrk : tensor<32xi32>
      %11 = arith.constant dense<32> : tensor<32xi32>
      %mask_k = device.cmp "lt" %rk, %11 : tensor<32xi32> -> tensor<32xi1>
      %12 = device.expand_dims %rm {axis = 1 : i64} : tensor<64xi32> -> tensor<64x1xi32>
      %13 = device.broadcast %12 : tensor<64x1xi32> -> tensor<64x32xi32>
      %14 = device.expand_dims %rk {axis = 0 : i64} : tensor<32xi32> -> tensor<1x32xi32>
      %15 = device.broadcast %14 : tensor<1x32xi32> -> tensor<64x32xi32>
      %16 = device.expand_dims %mask_m {axis = 1 : i64} : tensor<64xi1> -> tensor<64x1xi1>
      %17 = device.broadcast %16 : tensor<64x1xi1> -> tensor<64x32xi1>
      %18 = device.expand_dims %mask_k {axis = 0 : i64} : tensor<32xi1> -> tensor<1x32xi1>
      %19 = device.broadcast %18 : tensor<1x32xi1> -> tensor<64x32xi1>
      %mask = arith.andi %17, %19 : tensor<64x32xi1>
      %20 = arith.constant dense<32> : tensor<64x32xi32>
      %21 = arith.muli %13, %20 : tensor<64x32xi32>
      %offs_a = arith.addi %21, %15 : tensor<64x32xi32>
      %a = device.load %x[%offs_a], %mask {other = 0.000000e+00 : f32} : memref<64x32xf32>, tensor<64x32xi32>, tensor<64x32xi1> -> tensor<64x32xf32>
      %22 = device.expand_dims %rk {axis = 1 : i64} : tensor<32xi32> -> tensor<32x1xi32>
      %23 = device.broadcast %22 : tensor<32x1xi32> -> tensor<32x16xi32>
      %24 = device.expand_dims %rn {axis = 0 : i64} : tensor<16xi32> -> tensor<1x16xi32>
      %25 = device.broadcast %24 : tensor<1x16xi32> -> tensor<32x16xi32>
      %26 = device.expand_dims %mask_k {axis = 1 : i64} : tensor<32xi1> -> tensor<32x1xi1>
      %27 = device.broadcast %26 : tensor<32x1xi1> -> tensor<32x16xi1>
      %28 = device.expand_dims %mask_n {axis = 0 : i64} : tensor<16xi1> -> tensor<1x16xi1>
      %29 = device.broadcast %28 : tensor<1x16xi1> -> tensor<32x16xi1>
      %mask_1 = arith.andi %27, %29 : tensor<32x16xi1>
      %30 = arith.constant dense<16> : tensor<32x16xi32>
      %31 = arith.muli %23, %30 : tensor<32x16xi32>
      %offs_b = arith.addi %25, %31 : tensor<32x16xi32>
      %b_1 = device.load %w[%offs_b], %mask_1 {other = 0.000000e+00 : f32} : memref<32x16xf32>, tensor<32x16xi32>, tensor<32x16xi1> -> tensor<32x16xf32>
      %acc_3 = device.dot %a, %b_1, %acc_2 : tensor<64x32xf32>, tensor<32x16xf32> -> tensor<64x16xf32>
      scf.yield %acc_3 : tensor<64x16xf32>
    }
    %32 = device.expand_dims %rm {axis = 1 : i64} : tensor<64xi32> -> tensor<64x1xi32>
    %33 = device.broadcast %32 : tensor<64x1xi32> -> tensor<64x16xi32>
    %34 = device.expand_dims %rn {axis = 0 : i64} : tensor<16xi32> -> tensor<1x16xi32>
    %offs_b_1 = device.broadcast %34 : tensor<1x16xi32> -> tensor<64x16xi32>
    %35 = device.expand_dims %mask_m {axis = 1 : i64} : tensor<64xi1> -> tensor<64x1xi1>
    %36 = device.broadcast %35 : tensor<64x1xi1> -> tensor<64x16xi1>
    %37 = device.expand_dims %mask_n {axis = 0 : i64} : tensor<16xi1> -> tensor<1x16xi1>
    %38 = device.broadcast %37 : tensor<1x16xi1> -> tensor<64x16xi1>
    %mask_2 = arith.andi %36, %38 : tensor<64x16xi1>
    %b_2 = device.load %b[%offs_b_1], %mask_2 {other = 0.000000e+00 : f32} : memref<16xf32>, tensor<64x16xi32>, tensor<64x16xi1> -> tensor<64x16xf32>
    %39 = arith.constant dense<5.000000e-01> : tensor<64x16xf32>
    %40 = arith.addf %acc_1, %b_2 : tensor<64x16xf32>
    %41 = arith.maximumf %40, %acc : tensor<64x16xf32>
    %42 = arith.mulf %41, %39 : tensor<64x16xf32>
    %43 = arith.constant dense<16> : tensor<64x16xi32>
    %44 = arith.muli %33, %43 : tensor<64x16xi32>
    %offs_c = arith.addi %44, %offs_b_1 : tensor<64x16xi32>
    device.store %1[%offs_c], %42, %mask_2 : memref<64x16xf32>, tensor<64x16xi32>, tensor<64x16xf32>, tensor<64x16xi1>
    device.return
  }) : () -> ()
  func.func @main(%x: memref<64x32xf32>, %w: memref<32x16xf32>, %b: memref<16xf32>) -> memref<64x16xf32> {
    %0 = memref.get_global @__tfir_const_0 : memref<f32>
    %1 = memref.alloc() {tfir.buffer = 1 : i64} : memref<64x16xf32>
    device.launch @tf_matmul_add_max_0(%x, %w, %b, %0, %1) : memref<64x32xf32>, memref<32x16xf32>, memref<16xf32>, memref<f32>, memref<64x16xf32>
    func.return %1 : memref<64x16xf32>
  }
}

// CHECK:      %b_2 = device.load %b[%rn], %mask_n {other = 0.000000e+00 : f32} : memref<16xf32>, tensor<16xi32>, tensor<16xi1> -> tensor<16xf32>
// CHECK-NEXT: %[[E:.*]] = device.expand_dims %b_2 {axis = 0 : i64} : tensor<16xf32> -> tensor<1x16xf32>
// CHECK-NEXT: %b_3 = device.broadcast %[[E]] : tensor<1x16xf32> -> tensor<64x16xf32>
// CHECK:      arith.addf %acc_1, %b_3 : tensor<64x16xf32>
