// RUN: xdsl-opt -p inline-calls --print-debuginfo %s | filecheck %s

// Calls inlined, chains of calls too (@f calls @g), multi-result calls
// included; the private functions are erased once nothing calls them, and every
// inlined op keeps its own location (--print-debuginfo).

builtin.module {
  func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
    %0 = func.call @f(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("m.tf":10:13)
    %1 = func.call @f(%0, %a) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("m.tf":11:13)
    %2, %3 = func.call @pair(%1) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) loc("m.tf":12:13)
    func.return %2, %3 : tensor<4xf32>, tensor<4xf32> loc("m.tf":13:5)
  } loc("m.tf":9:1)
  func.func private @f(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
    %0 = func.call @g(%x) : (tensor<4xf32>) -> tensor<4xf32> loc("m.tf":2:12)
    %1 = tf.mul %0, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("m.tf":2:12)
    func.return %1 : tensor<4xf32> loc("m.tf":2:5)
  } loc("m.tf":1:1)
  func.func private @g(%x: tensor<4xf32>) -> tensor<4xf32> {
    %0 = tf.exp %x : (tensor<4xf32>) -> tensor<4xf32> loc("m.tf":5:12)
    func.return %0 : tensor<4xf32> loc("m.tf":5:5)
  } loc("m.tf":4:1)
  func.func private @pair(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
    %0 = tf.neg %x : (tensor<4xf32>) -> tensor<4xf32> loc("m.tf":7:12)
    func.return %x, %0 : tensor<4xf32>, tensor<4xf32> loc("m.tf":7:5)
  } loc("m.tf":6:1)
  func.func private @unused(%x: tensor<4xf32>) -> tensor<4xf32> {
    func.return %x : tensor<4xf32>
  }
}

// CHECK:      func.func @main(%a: tensor<4xf32>{{.*}}, %b: tensor<4xf32>{{.*}})
// CHECK-NEXT:   %[[G:.*]] = tf.exp %a : {{.*}} loc("m.tf":5:12)
// CHECK-NEXT:   %[[F:.*]] = tf.mul %[[G]], %b : {{.*}} loc("m.tf":2:12)
// CHECK-NEXT:   %[[G2:.*]] = tf.exp %[[F]]
// CHECK-NEXT:   %[[F2:.*]] = tf.mul %[[G2]], %a
// CHECK-NEXT:   %[[N:.*]] = tf.neg %[[F2]] : {{.*}} loc("m.tf":7:12)
// CHECK-NEXT:   func.return %[[F2]], %[[N]]
// CHECK-NOT:  func.call
// CHECK-NOT:  func.func
