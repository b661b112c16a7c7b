"""The whole `tf` stage (inline-calls, canonicalize-tf, fold-constants, cse,
dce) on hand-written modules: the redundancy goes, the results stay bit-exact."""

from __future__ import annotations

import pytest

from tests.support.tf_stage import assert_same_results, body_ops, parse, run_stage, with_locations

REDUNDANCY = """
builtin.module {
  func.func @main(%a: tensor<1000xf32>, %b: tensor<1000xf32>) -> tensor<1000xf32> {
    %two = tf.constant {value = dense<2.000000e+00> : tensor<f32>} : tensor<f32> loc("r.tf":2:14)
    %three = tf.constant {value = dense<3.000000e+00> : tensor<f32>} : tensor<f32> loc("r.tf":2:20)
    %six = tf.mul %two, %three : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("r.tf":2:14)
    %c = tf.mul %six, %a : (tensor<f32>, tensor<1000xf32>) -> tensor<1000xf32> loc("r.tf":2:13)
    %ab = tf.mul %a, %b : (tensor<1000xf32>, tensor<1000xf32>) -> tensor<1000xf32> loc("r.tf":3:18)
    %one = tf.constant {value = dense<1.000000e+00> : tensor<f32>} : tensor<f32> loc("r.tf":3:26)
    %s = tf.add %ab, %one : (tensor<1000xf32>, tensor<f32>) -> tensor<1000xf32> loc("r.tf":3:18)
    %u = tf.tanh %s : (tensor<1000xf32>) -> tensor<1000xf32> loc("r.tf":3:13)
    %ab2 = tf.mul %a, %b : (tensor<1000xf32>, tensor<1000xf32>) -> tensor<1000xf32> loc("r.tf":4:18)
    %one2 = tf.constant {value = dense<1.000000e+00> : tensor<f32>} : tensor<f32> loc("r.tf":4:26)
    %s2 = tf.add %ab2, %one2 : (tensor<1000xf32>, tensor<f32>) -> tensor<1000xf32> loc("r.tf":4:18)
    %v = tf.tanh %s2 : (tensor<1000xf32>) -> tensor<1000xf32> loc("r.tf":4:13)
    %ab3 = tf.mul %a, %b : (tensor<1000xf32>, tensor<1000xf32>) -> tensor<1000xf32> loc("r.tf":5:18)
    %one3 = tf.constant {value = dense<1.000000e+00> : tensor<f32>} : tensor<f32> loc("r.tf":5:26)
    %s3 = tf.add %ab3, %one3 : (tensor<1000xf32>, tensor<f32>) -> tensor<1000xf32> loc("r.tf":5:18)
    %t3 = tf.tanh %s3 : (tensor<1000xf32>) -> tensor<1000xf32> loc("r.tf":5:13)
    %one4 = tf.constant {value = dense<1.000000e+00> : tensor<f32>} : tensor<f32> loc("r.tf":5:33)
    %m3 = tf.mul %t3, %one4 : (tensor<1000xf32>, tensor<f32>) -> tensor<1000xf32> loc("r.tf":5:13)
    %zero = tf.constant {value = dense<0.000000e+00> : tensor<f32>} : tensor<f32> loc("r.tf":5:39)
    %w = tf.add %m3, %zero : (tensor<1000xf32>, tensor<f32>) -> tensor<1000xf32> loc("r.tf":5:13)
    %e = tf.exp %a : (tensor<1000xf32>) -> tensor<1000xf32> loc("r.tf":6:16)
    %hundred = tf.constant {value = dense<1.000000e+02> : tensor<f32>} : tensor<f32> loc("r.tf":6:25)
    %dead = tf.mul %e, %hundred : (tensor<1000xf32>, tensor<f32>) -> tensor<1000xf32> loc("r.tf":6:16)
    %uv = tf.add %u, %v : (tensor<1000xf32>, tensor<1000xf32>) -> tensor<1000xf32> loc("r.tf":7:13)
    %uvw = tf.add %uv, %w : (tensor<1000xf32>, tensor<1000xf32>) -> tensor<1000xf32> loc("r.tf":7:13)
    %x = tf.mul %uvw, %c : (tensor<1000xf32>, tensor<1000xf32>) -> tensor<1000xf32> loc("r.tf":7:12)
    %tb = tf.transpose %b {perm = array<i64: 0>} : (tensor<1000xf32>) -> tensor<1000xf32> loc("r.tf":7:38)
    %ttb = tf.transpose %tb {perm = array<i64: 0>} : (tensor<1000xf32>) -> tensor<1000xf32> loc("r.tf":7:28)
    %r = tf.sub %x, %ttb : (tensor<1000xf32>, tensor<1000xf32>) -> tensor<1000xf32> loc("r.tf":7:12)
    func.return %r : tensor<1000xf32> loc("r.tf":7:5)
  } loc("r.tf":1:1)
}
"""


def test_tf_stage_removes_the_redundancy() -> None:
    after = run_stage(parse(REDUNDANCY))
    ops = body_ops(after)
    assert ops.count("tf.tanh") == 1
    assert "tf.transpose" not in ops and "tf.exp" not in ops
    # (2.0 * 3.0) folded to one constant; `w`'s `+ 0.0` stays (inexact for -0.0)
    assert ops.count("tf.mul") == 3  # a * 6, a * b, (u + v + w) * c
    assert "dense<6.000000e+00> : tensor<f32>" in str(after)
    assert ops.count("tf.add") == 4 and ops.count("tf.constant") == 3
    assert_same_results(parse(REDUNDANCY), after)
    text = with_locations(after)
    assert 'tf.tanh' in text and 'loc("r.tf":3:13)' in text and 'loc("r.tf":2:14)' in text


DIFFERENTIAL = {
    "calls and broadcasts": """
builtin.module {
  func.func @main(%x: tensor<3x4xf32>, %y: tensor<4xf32>) -> (tensor<4x3xf32>, tensor<3x4xi1>) {
    %0 = func.call @scale(%y) : (tensor<4xf32>) -> tensor<4xf32>
    %1 = tf.broadcast_to %0 : (tensor<4xf32>) -> tensor<3x4xf32>
    %2 = tf.add %x, %1 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
    %3 = tf.transpose %2 {perm = array<i64: 1, 0>} : (tensor<3x4xf32>) -> tensor<4x3xf32>
    %4 = tf.neg %3 : (tensor<4x3xf32>) -> tensor<4x3xf32>
    %5 = tf.neg %4 : (tensor<4x3xf32>) -> tensor<4x3xf32>
    %6 = func.call @scale(%y) : (tensor<4xf32>) -> tensor<4xf32>
    %7 = tf.less %x, %6 : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xi1>
    %8 = tf.logical_not %7 : (tensor<3x4xi1>) -> tensor<3x4xi1>
    %9 = tf.logical_not %8 : (tensor<3x4xi1>) -> tensor<3x4xi1>
    func.return %5, %9 : tensor<4x3xf32>, tensor<3x4xi1>
  }
  func.func private @scale(%v: tensor<4xf32>) -> tensor<4xf32> {
    %c = tf.constant {value = dense<-1.0> : tensor<f32>} : tensor<f32>
    %one = tf.constant {value = dense<1.0> : tensor<4xf32>} : tensor<4xf32>
    %0 = tf.mul %c, %v : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
    %1 = tf.div %0, %one : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    func.return %1 : tensor<4xf32>
  }
}
""",
    "integers and constants": """
builtin.module {
  func.func @main(%x: tensor<2x3xi32>) -> tensor<3x2xi32> {
    %k = tf.iota : tensor<3xi32>
    %two = tf.constant {value = dense<2> : tensor<i32>} : tensor<i32>
    %zero = tf.constant {value = dense<0> : tensor<i32>} : tensor<i32>
    %t = tf.constant {value = dense<true> : tensor<i1>} : tensor<i1>
    %k2 = tf.mul %k, %two : (tensor<3xi32>, tensor<i32>) -> tensor<3xi32>
    %a = tf.add %zero, %x : (tensor<i32>, tensor<2x3xi32>) -> tensor<2x3xi32>
    %b = tf.sub %a, %k2 : (tensor<2x3xi32>, tensor<3xi32>) -> tensor<2x3xi32>
    %c = tf.sub %b, %b : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
    %d = tf.select %t, %b, %c : (tensor<i1>, tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
    %e = tf.reshape %d : (tensor<2x3xi32>) -> tensor<6xi32>
    %f = tf.reshape %e : (tensor<6xi32>) -> tensor<3x2xi32>
    %g = tf.floordiv %f, %two : (tensor<3x2xi32>, tensor<i32>) -> tensor<3x2xi32>
    func.return %g : tensor<3x2xi32>
  }
}
""",
}


@pytest.mark.parametrize("case", DIFFERENTIAL)
def test_tf_stage_preserves_results(case: str) -> None:
    after = run_stage(parse(DIFFERENTIAL[case]))
    assert [f.sym_name.data for f in after.ops] == ["main"]
    assert "func.call" not in body_ops(after)
    assert_same_results(parse(DIFFERENTIAL[case]), after)
