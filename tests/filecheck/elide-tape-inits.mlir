// RUN: xdsl-opt -p elide-tape-inits %s | filecheck %s

// A tape written at row 2 - k by iteration k of three: every row is
// overwritten before anything reads it, so its zeros are never observed.
func.func @reverse(%x: tensor<4xf32>) -> tensor<3x4xf32> {
  %zeros = arith.constant dense<0.000000e+00> : tensor<3x4xf32>
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %m1 = arith.constant -1 : index
  %r = scf.for %k = %c0 to %c3 step %c1 iter_args(%tape = %zeros) -> (tensor<3x4xf32>) {
    %nk = arith.muli %k, %m1 : index
    %row = arith.addi %c2, %nk : index
    %i = arith.index_cast %row : index to i32
    %t = tensor.from_elements %i : tensor<i32>
    %w = linalgx.scatter %x, %t, %tape {axis = 0 : i64, accumulate = false} : (tensor<4xf32>, tensor<i32>, tensor<3x4xf32>) -> tensor<3x4xf32>
    scf.yield %w : tensor<3x4xf32>
  }
  func.return %r : tensor<3x4xf32>
}

// CHECK:      func.func @reverse
// CHECK-NOT:    arith.constant dense
// CHECK:        %[[E:.*]] = tensor.empty() : tensor<3x4xf32>
// CHECK-NEXT:   %{{.*}} = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %[[E]])

// Kept: a tape with a row no iteration writes (two iterations, three rows),
// one the body reads before the write, one it reads after it (rows of later
// iterations unwritten yet), and one a scatter adds to.
func.func @kept(%x: tensor<4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
  %zeros = arith.constant dense<0.000000e+00> : tensor<3x4xf32>
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c1 = arith.constant 1 : index
  %a = scf.for %k = %c0 to %c2 step %c1 iter_args(%tape = %zeros) -> (tensor<3x4xf32>) {
    %i = arith.index_cast %k : index to i32
    %t = tensor.from_elements %i : tensor<i32>
    %w = linalgx.scatter %x, %t, %tape {axis = 0 : i64, accumulate = false} : (tensor<4xf32>, tensor<i32>, tensor<3x4xf32>) -> tensor<3x4xf32>
    scf.yield %w : tensor<3x4xf32>
  }
  %b = scf.for %k = %c0 to %c3 step %c1 iter_args(%tape = %zeros) -> (tensor<3x4xf32>) {
    %i = arith.index_cast %k : index to i32
    %t = tensor.from_elements %i : tensor<i32>
    %e = tensor.empty() : tensor<4xf32>
    %prev = linalgx.gather %tape, %t, %e {axis = 0 : i64, along = false} : (tensor<3x4xf32>, tensor<i32>, tensor<4xf32>) -> tensor<4xf32>
    %w = linalgx.scatter %prev, %t, %tape {axis = 0 : i64, accumulate = false} : (tensor<4xf32>, tensor<i32>, tensor<3x4xf32>) -> tensor<3x4xf32>
    scf.yield %w : tensor<3x4xf32>
  }
  %c = scf.for %k = %c0 to %c3 step %c1 iter_args(%tape = %zeros) -> (tensor<3x4xf32>) {
    %i = arith.index_cast %k : index to i32
    %t = tensor.from_elements %i : tensor<i32>
    %w = linalgx.scatter %x, %t, %tape {axis = 0 : i64, accumulate = true} : (tensor<4xf32>, tensor<i32>, tensor<3x4xf32>) -> tensor<3x4xf32>
    scf.yield %w : tensor<3x4xf32>
  }
  %d, %y = scf.for %k = %c0 to %c3 step %c1 iter_args(%tape = %zeros, %v = %x) -> (tensor<3x4xf32>, tensor<4xf32>) {
    %i = arith.index_cast %k : index to i32
    %t = tensor.from_elements %i : tensor<i32>
    %w = linalgx.scatter %v, %t, %tape {axis = 0 : i64, accumulate = false} : (tensor<4xf32>, tensor<i32>, tensor<3x4xf32>) -> tensor<3x4xf32>
    %e = tensor.empty() : tensor<4xf32>
    %next = linalgx.gather %w, %t, %e {axis = 0 : i64, along = false} : (tensor<3x4xf32>, tensor<i32>, tensor<4xf32>) -> tensor<4xf32>
    scf.yield %w, %next : tensor<3x4xf32>, tensor<4xf32>
  }
  func.return %a, %b, %c, %d : tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
}

// CHECK:      func.func @kept
// CHECK-NOT:    tensor.empty() : tensor<3x4xf32>
// CHECK:        func.return
