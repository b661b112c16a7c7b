"""canonicalize-tf: each pattern's result, and that it is exact.

A case is a function body computing `%r` from arguments `%x`, `%y`, `%z`; after
the pass, the ops left in `@main` (constants not counted) must be the expected
ones, and the function must give bit-identical results (NaNs aside) to the
original on inputs full of signed zeros, NaNs, infinities and integer extremes.
Cases whose rewrite would be inexact check that the op is left alone.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.tf_stage import (
    assert_same_results,
    body_ops,
    parse,
    run_passes,
    with_locations,
)
from tfir.dialects import tf
from tfir.pipeline import make_context, pass_class
from tfir.testing.differential import tf_module

F4 = "tensor<4xf32>"
I4 = "tensor<4xi32>"
B4 = "tensor<4xi1>"


def module(args: list[str], body: str, result: str) -> str:
    params = ", ".join(f"%{n}: {t}" for n, t in zip("xyz", args, strict=False))
    return f"""
builtin.module {{
  func.func @main({params}) -> {result} {{
{body}
    func.return %r : {result}
  }}
}}
"""


def const(name: str, value: str, typ: str) -> str:
    return f"    %{name} = tf.constant {{value = dense<{value}> : {typ}}} : {typ}\n"


def binary(op: str, lhs: str, rhs: str, types: str, result: str, name: str = "r") -> str:
    return f"    %{name} = tf.{op} %{lhs}, %{rhs} : ({types}) -> {result}\n"


def unary(op: str, x: str, typ: str, name: str = "r") -> str:
    return f"    %{name} = tf.{op} %{x} : ({typ}) -> {typ}\n"


def scalar_case(op: str, value: str, dtype: str = "f32", const_left: bool = False) -> tuple:
    """`x op c` (or `c op x`) with a rank-0 constant `c`."""
    t, s = f"tensor<4x{dtype}>", f"tensor<{dtype}>"
    lhs, rhs, types = ("c", "x", f"{s}, {t}") if const_left else ("x", "c", f"{t}, {s}")
    return [t], const("c", value, s) + binary(op, lhs, rhs, types, t), t


CASES: dict[str, tuple[tuple, list[str]]] = {
    # identities
    "x*1": (scalar_case("mul", "1.0"), []),
    "1*x": (scalar_case("mul", "1.0", const_left=True), []),
    "x*1 i32": (scalar_case("mul", "1", "i32"), []),
    "x*-1": (scalar_case("mul", "-1.0"), ["tf.neg"]),
    "x*0 i32": (scalar_case("mul", "0", "i32"), ["tf.broadcast_to"]),
    "x*0.0 kept": (scalar_case("mul", "0.0"), ["tf.mul"]),
    "x/1": (scalar_case("div", "1.0"), []),
    "x/-1": (scalar_case("div", "-1.0"), ["tf.neg"]),
    "x/3 kept": (scalar_case("div", "3.0"), ["tf.div"]),
    "x/2": (scalar_case("div", "2.0"), ["tf.mul"]),
    "x/-0.25": (scalar_case("div", "-0.25"), ["tf.mul"]),
    "x/2**15 f16": (scalar_case("div", "32768.0", "f16"), ["tf.mul"]),
    "x/2**-126 f64": (scalar_case("div", "1.1754943508222875e-38", "f64"), ["tf.mul"]),
    "x/2**-149 kept": (scalar_case("div", "1.40129846e-45"), ["tf.div"]),
    "x/0.0 kept": (scalar_case("div", "0.0"), ["tf.div"]),
    "x-0.0": (scalar_case("sub", "0.0"), []),
    "x-(-0.0) kept": (scalar_case("sub", "-0.0"), ["tf.sub"]),
    "x-0 i32": (scalar_case("sub", "0", "i32"), []),
    "-0.0-x": (scalar_case("sub", "-0.0", const_left=True), ["tf.neg"]),
    "0.0-x kept": (scalar_case("sub", "0.0", const_left=True), ["tf.sub"]),
    "0-x i32": (scalar_case("sub", "0", "i32", const_left=True), ["tf.neg"]),
    "x+(-0.0)": (scalar_case("add", "-0.0"), []),
    "(-0.0)+x": (scalar_case("add", "-0.0", const_left=True), []),
    "x+0.0 kept": (scalar_case("add", "0.0"), ["tf.add"]),
    "x+0 i32": (scalar_case("add", "0", "i64"), []),
    "0+x i32": (scalar_case("add", "0", "i32", const_left=True), []),
    "x**1": (scalar_case("pow", "1.0"), []),
    "x**0": (scalar_case("pow", "0.0"), ["tf.broadcast_to"]),
    "x**0 i32": (scalar_case("pow", "0", "i32"), ["tf.broadcast_to"]),
    "x**2 kept": (scalar_case("pow", "2.0"), ["tf.pow"]),
    "x*1 broadcast": (([F4], const("c", "1.0", "tensor<3x4xf32>")
                       + binary("mul", "x", "c", f"{F4}, tensor<3x4xf32>", "tensor<3x4xf32>"),
                       "tensor<3x4xf32>"), ["tf.broadcast_to"]),
    "x*dense kept": (([F4], const("c", "[1.0, 1.0, 2.0, 1.0]", F4)
                      + binary("mul", "x", "c", f"{F4}, {F4}", F4), F4), ["tf.mul"]),
    "x*1 dense splat": (([F4], const("c", "[1.0, 1.0, 1.0, 1.0]", F4)
                         + binary("mul", "x", "c", f"{F4}, {F4}", F4), F4), []),
    "x-x i32": (([I4], binary("sub", "x", "x", f"{I4}, {I4}", I4), I4), ["tf.broadcast_to"]),
    "x-x kept": (([F4], binary("sub", "x", "x", f"{F4}, {F4}", F4), F4), ["tf.sub"]),
    # negations
    "x+-y": (([F4, F4], unary("neg", "y", F4, "n") + binary("add", "x", "n", f"{F4}, {F4}", F4), F4),
             ["tf.sub"]),
    "-x+y": (([F4, F4], unary("neg", "x", F4, "n") + binary("add", "n", "y", f"{F4}, {F4}", F4), F4),
             ["tf.sub"]),
    "x--y": (([F4, F4], unary("neg", "y", F4, "n") + binary("sub", "x", "n", f"{F4}, {F4}", F4), F4),
             ["tf.add"]),
    "-x*-y": (([F4, F4], unary("neg", "x", F4, "a") + unary("neg", "y", F4, "b")
               + binary("mul", "a", "b", f"{F4}, {F4}", F4), F4), ["tf.mul"]),
    "--x": (([F4], unary("neg", "x", F4, "n") + unary("neg", "n", F4), F4), []),
    "--x i32": (([I4], unary("neg", "x", I4, "n") + unary("neg", "n", I4), I4), []),
    "-(x-y) kept": (([F4, F4], binary("sub", "x", "y", f"{F4}, {F4}", F4, "d") + unary("neg", "d", F4), F4),
                    ["tf.sub", "tf.neg"]),
    # logic
    "not not": (([B4], unary("logical_not", "x", B4, "n") + unary("logical_not", "n", B4), B4), []),
    "not ==": (([F4, F4], binary("equal", "x", "y", f"{F4}, {F4}", B4, "e")
                + unary("logical_not", "e", B4), B4), ["tf.not_equal"]),
    "not !=": (([F4, F4], binary("not_equal", "x", "y", f"{F4}, {F4}", B4, "e")
                + unary("logical_not", "e", B4), B4), ["tf.equal"]),
    "not < kept": (([F4, F4], binary("less", "x", "y", f"{F4}, {F4}", B4, "e")
                    + unary("logical_not", "e", B4), B4), ["tf.less", "tf.logical_not"]),
    "not < i32": (([I4, I4], binary("less", "x", "y", f"{I4}, {I4}", B4, "e")
                   + unary("logical_not", "e", B4), B4), ["tf.greater_equal"]),
    "not <= i32": (([I4, I4], binary("less_equal", "x", "y", f"{I4}, {I4}", B4, "e")
                    + unary("logical_not", "e", B4), B4), ["tf.greater"]),
    "not > bool": (([B4, B4], binary("greater", "x", "y", f"{B4}, {B4}", B4, "e")
                    + unary("logical_not", "e", B4), B4), ["tf.less_equal"]),
    "not >= i32": (([I4, I4], binary("greater_equal", "x", "y", f"{I4}, {I4}", B4, "e")
                    + unary("logical_not", "e", B4), B4), ["tf.less"]),
    "and true": (scalar_case("logical_and", "true", "i1"), []),
    "true or": (scalar_case("logical_or", "false", "i1", const_left=True), []),
    "and false": (scalar_case("logical_and", "false", "i1"), ["tf.broadcast_to"]),
    "or true": (scalar_case("logical_or", "true", "i1"), ["tf.broadcast_to"]),
    "and self": (([B4], binary("logical_and", "x", "x", f"{B4}, {B4}", B4), B4), []),
    "or self": (([B4], binary("logical_or", "x", "x", f"{B4}, {B4}", B4), B4), []),
    "max self": (([F4], binary("maximum", "x", "x", f"{F4}, {F4}", F4), F4), []),
    "min self": (([F4], binary("minimum", "x", "x", f"{F4}, {F4}", F4), F4), []),
    "max(c, x) kept": (scalar_case("maximum", "-0.0", const_left=True), ["tf.maximum"]),
    # unary
    "abs abs": (([F4], unary("abs", "x", F4, "a") + unary("abs", "a", F4), F4), ["tf.abs"]),
    "abs neg": (([I4], unary("neg", "x", I4, "a") + unary("abs", "a", I4), I4), ["tf.abs"]),
    "relu relu": (([F4], unary("relu", "x", F4, "a") + unary("relu", "a", F4), F4), ["tf.relu"]),
    "floor floor": (([F4], unary("floor", "x", F4, "a") + unary("floor", "a", F4), F4), ["tf.floor"]),
    "ceil ceil": (([F4], unary("ceil", "x", F4, "a") + unary("ceil", "a", F4), F4), ["tf.ceil"]),
    "floor i32": (([I4], unary("floor", "x", I4), I4), []),
    "exp exp kept": (([F4], unary("exp", "x", F4, "a") + unary("exp", "a", F4), F4), ["tf.exp", "tf.exp"]),
    # shapes
    "transpose twice": ((["tensor<2x3x4xf32>"],
                         "    %t = tf.transpose %x {perm = array<i64: 1, 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>\n"
                         "    %r = tf.transpose %t {perm = array<i64: 1, 0, 2>} : (tensor<3x4x2xf32>) -> tensor<4x3x2xf32>\n",
                         "tensor<4x3x2xf32>"), ["tf.transpose"]),
    "transpose inverse": ((["tensor<2x3x4xf32>"],
                           "    %t = tf.transpose %x {perm = array<i64: 1, 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>\n"
                           "    %r = tf.transpose %t {perm = array<i64: 2, 0, 1>} : (tensor<3x4x2xf32>) -> tensor<2x3x4xf32>\n",
                           "tensor<2x3x4xf32>"), []),
    "transpose identity": ((["tensor<2x3xf32>"],
                            "    %r = tf.transpose %x {perm = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>\n",
                            "tensor<2x3xf32>"), []),
    "reshape twice": ((["tensor<2x6xf32>"],
                       "    %t = tf.reshape %x : (tensor<2x6xf32>) -> tensor<3x4xf32>\n"
                       "    %r = tf.reshape %t : (tensor<3x4xf32>) -> tensor<12xf32>\n", "tensor<12xf32>"),
                      ["tf.reshape"]),
    "reshape back": ((["tensor<2x6xf32>"],
                      "    %t = tf.reshape %x : (tensor<2x6xf32>) -> tensor<3x4xf32>\n"
                      "    %r = tf.reshape %t : (tensor<3x4xf32>) -> tensor<2x6xf32>\n", "tensor<2x6xf32>"), []),
    "broadcast twice": (([F4],
                         "    %t = tf.broadcast_to %x : (tensor<4xf32>) -> tensor<3x4xf32>\n"
                         "    %r = tf.broadcast_to %t : (tensor<3x4xf32>) -> tensor<2x3x4xf32>\n",
                         "tensor<2x3x4xf32>"), ["tf.broadcast_to"]),
    "broadcast same": (([F4], f"    %r = tf.broadcast_to %x : ({F4}) -> {F4}\n", F4), []),
    "cast same": (([F4], f"    %r = tf.cast %x : ({F4}) -> {F4}\n", F4), []),
    "cast other kept": (([F4], f"    %r = tf.cast %x : ({F4}) -> {I4}\n", I4), ["tf.cast"]),
    "slice full": (([F4], "    %r = tf.slice %x {start = array<i64: 0>, stride = array<i64: 1>} : "
                          f"({F4}) -> {F4}\n", F4), []),
    "slice reversed kept": (([F4], "    %r = tf.slice %x {start = array<i64: 3>, stride = array<i64: -1>} : "
                                   f"({F4}) -> {F4}\n", F4), ["tf.slice"]),
    "concat one": (([F4], f"    %r = tf.concat %x {{axis = 0 : i64}} : ({F4}) -> {F4}\n", F4), []),
    # select
    "select true": (([F4, F4], const("c", "true", "tensor<i1>")
                     + f"    %r = tf.select %c, %x, %y : (tensor<i1>, {F4}, {F4}) -> {F4}\n", F4), []),
    "select false bcast": (([F4, "tensor<f32>"], const("c", "false", "tensor<3x1xi1>")
                            + f"    %r = tf.select %c, %x, %y : (tensor<3x1xi1>, {F4}, tensor<f32>) -> tensor<3x4xf32>\n",
                            "tensor<3x4xf32>"), ["tf.broadcast_to"]),
    "select same": (([B4, F4], f"    %r = tf.select %x, %y, %y : ({B4}, {F4}, {F4}) -> {F4}\n", F4), []),
    "select not": (([B4, F4, F4], unary("logical_not", "x", B4, "n")
                    + f"    %r = tf.select %n, %y, %z : ({B4}, {F4}, {F4}) -> {F4}\n", F4), ["tf.select"]),
    "select bool": (([B4], const("t", "true", "tensor<i1>") + const("f", "false", "tensor<i1>")
                     + f"    %r = tf.select %x, %t, %f : ({B4}, tensor<i1>, tensor<i1>) -> {B4}\n", B4), []),
    "select !bool": (([B4], const("t", "true", "tensor<i1>") + const("f", "false", "tensor<i1>")
                      + f"    %r = tf.select %x, %f, %t : ({B4}, tensor<i1>, tensor<i1>) -> {B4}\n", B4),
                     ["tf.logical_not"]),
    # operand broadcasts the op does itself
    "drop broadcast": (([F4, "tensor<3x4xf32>"],
                        "    %b = tf.broadcast_to %x : (tensor<4xf32>) -> tensor<3x4xf32>\n"
                        + binary("add", "b", "y", "tensor<3x4xf32>, tensor<3x4xf32>", "tensor<3x4xf32>"),
                        "tensor<3x4xf32>"), ["tf.add"]),
    "needed broadcast kept": (([F4, F4],
                               "    %b = tf.broadcast_to %x : (tensor<4xf32>) -> tensor<3x4xf32>\n"
                               + binary("add", "b", "y", "tensor<3x4xf32>, tensor<4xf32>", "tensor<3x4xf32>"),
                               "tensor<3x4xf32>"), ["tf.broadcast_to", "tf.add"]),
}


@pytest.mark.parametrize("case", CASES)
def test_canonicalize_tf(case: str) -> None:
    (args, body, result), want = CASES[case]
    text = module(args, body, result)
    after = run_passes(parse(text), ["canonicalize-tf"])
    assert [n for n in body_ops(after) if n != "tf.constant"] == [*want, "func.return"]
    assert_same_results(parse(text), after)


def test_composed_transpose_permutation() -> None:
    (args, body, result), _ = CASES["transpose twice"]
    after = run_passes(parse(module(args, body, result)), ["canonicalize-tf"])
    (op,) = [o for o in after.walk() if isinstance(o, tf.TransposeOp)]
    assert op.perm_tuple == (2, 1, 0)


def test_constants_move_right_and_new_ops_keep_locations() -> None:
    text = """
builtin.module {
  func.func @main(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
    %c = tf.constant {value = dense<2.0> : tensor<f32>} : tensor<f32> loc("c.tf":1:9)
    %a = tf.mul %c, %x : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32> loc("c.tf":2:9)
    %n = tf.neg %y : (tensor<4xf32>) -> tensor<4xf32> loc("c.tf":3:9)
    %r = tf.add %a, %n : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("c.tf":4:9)
    func.return %r : tensor<4xf32>
  }
}
"""
    after = run_passes(parse(text), ["canonicalize-tf"])
    printed = with_locations(after)
    assert 'tf.mul %x, %c : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32> loc("c.tf":2:9)' in printed
    assert 'tf.sub %a, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("c.tf":4:9)' in printed
    assert_same_results(parse(text), after)


# -- issue 13 ----------------------------------------------------------------------
# `canonicalize-tf`: `select(c, 1, 0)` of integers is not `c` (1 == True in
# Python made the rewrite of boolean selects apply to integers, issue 13).


@pytest.mark.parametrize(("values", "dtype", "kept"), [("1, 0", "i32", True), ("0, 1", "i64", True),
                                                        ("1.0, 0.0", "f32", True), ("true, false", "bool", False)])
def test_select_of_constants(values: str, dtype: str, kept: bool) -> None:
    cast = "" if dtype in ("i32", "bool", "f32") else f", {dtype}"
    body = f"where(a > b, {values})" if not cast else f"cast(where(a > b, {values}), {dtype})"
    module, _ = tf_module(f"fn main(a: f32[3], b: f32[3]) {{\n    return {body};\n}}\n", "main",
                          {"a": np.ones(3, np.float32), "b": np.zeros(3, np.float32)})
    pass_class("canonicalize-tf")().apply(make_context(), module)
    module.verify()
    assert any(isinstance(op, tf.SelectOp) for op in module.walk()) == kept
