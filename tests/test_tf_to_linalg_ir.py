"""convert-tf-to-linalg on whole programs and as IR: the printed form
(FileCheck goldens), source locations, the plugin hook, and upstream
`mlir-opt-22` accepting the lowered IR of every op kind. The numerical checks
per op kind are in test_tf_to_linalg.py."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from linalg_testing import (
    apply,
    check_contract,
    filecheck,
    lower,
    parse,
    print_ir,
    print_ir_debug,
    run_main,
    tf_module,
    ttype,
)
from test_tf_to_linalg import (
    ARITH,
    BOOL,
    COMPARE,
    F32,
    FLOAT_UNARY,
    FLOATS,
    I32,
    I64,
    INT_UNARY,
    INTS,
    LOGICAL,
    MATMUL_FORMS,
    REDUCE,
    SLICES,
)
from xdsl.dialects.builtin import FileLineColLoc, TensorType
from xdsl.ir import Dialect
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, result_def
from xdsl.parser import Parser

from tfir.dialects import tf
from tfir.lowering import convert_tf_to_linalg as conv
from tfir.lowering.utils.linalg_builders import Emitter, elem_of, shape_of
from tfir.pipeline import make_context

# Whole programs ---------------------------------------------------------------

MLP = """
builtin.module {
  func.func @main(%x: tensor<4x6xf32>, %w1: tensor<6x5xf32>, %b1: tensor<5xf32>, %w2: tensor<5x3xf32>, %b2: tensor<3xf32>) -> tensor<4x3xf32> {
    %0 = tf.matmul %x, %w1 : (tensor<4x6xf32>, tensor<6x5xf32>) -> tensor<4x5xf32> loc("mlp.tf":2:12)
    %1 = tf.add %0, %b1 : (tensor<4x5xf32>, tensor<5xf32>) -> tensor<4x5xf32> loc("mlp.tf":2:12)
    %2 = tf.relu %1 : (tensor<4x5xf32>) -> tensor<4x5xf32> loc("mlp.tf":7:13)
    %3 = tf.matmul %2, %w2 : (tensor<4x5xf32>, tensor<5x3xf32>) -> tensor<4x3xf32> loc("mlp.tf":2:12)
    %4 = tf.add %3, %b2 : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32> loc("mlp.tf":2:12)
    %5 = tf.max %4 {axes = array<i64: 1>, keepdims = true} : (tensor<4x3xf32>) -> tensor<4x1xf32> loc("lib.tf":3:13)
    %6 = tf.sub %4, %5 : (tensor<4x3xf32>, tensor<4x1xf32>) -> tensor<4x3xf32> loc("lib.tf":3:13)
    %7 = tf.exp %6 : (tensor<4x3xf32>) -> tensor<4x3xf32> loc("lib.tf":3:13)
    %8 = tf.sum %7 {axes = array<i64: 1>, keepdims = true} : (tensor<4x3xf32>) -> tensor<4x1xf32> loc("lib.tf":4:12)
    %9 = tf.div %7, %8 : (tensor<4x3xf32>, tensor<4x1xf32>) -> tensor<4x3xf32> loc("lib.tf":4:12)
    func.return %9 : tensor<4x3xf32> loc("mlp.tf":8:5)
  } loc("mlp.tf":5:1)
} loc("mlp.tf":1:1)
"""


def mlp_reference(x, w1, b1, w2, b2):  # noqa: ANN001, ANN201
    h = np.maximum(x @ w1 + b1, 0)
    z = h @ w2 + b2
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def mlp_inputs() -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.standard_normal(s).astype(np.float32) for s in [(4, 6), (6, 5), (5,), (5, 3), (3,)]]


def test_mlp_program() -> None:
    module = lower(MLP)
    inputs = mlp_inputs()
    np.testing.assert_allclose(run_main(module, *inputs)[0], mlp_reference(*inputs), rtol=1e-5)
    locs = {op.location.line.data for op in module.walk()  # type: ignore[attr-defined]
            if isinstance(op.location, FileLineColLoc) and op.location.filename.data == "lib.tf"}
    assert locs == {3, 4}


def test_locations_cited() -> None:
    module = lower(MLP)
    filecheck(print_ir_debug(module), """
// CHECK:      linalg.matmul {{.*}} loc("mlp.tf":2:12)
// CHECK:      arith.maximumf {{.*}} loc("mlp.tf":7:13)
// CHECK:      linalg.fill {{.*}} loc("lib.tf":3:13)
""")


# Goldens -------------------------------------------------------------------


def test_golden_broadcast_add() -> None:
    text = tf_module([ttype(F32, (4, 5)), ttype(F32, (5,)), ttype(F32, (1, 5))],
                     ["%0 = tf.add %a0, %a1 : (tensor<4x5xf32>, tensor<5xf32>) -> tensor<4x5xf32>",
                      "%1 = tf.mul %0, %a2 : (tensor<4x5xf32>, tensor<1x5xf32>) -> tensor<4x5xf32>"],
                     [("%1", "tensor<4x5xf32>")])
    filecheck(print_ir(lower(text)), """
// CHECK:      %[[E0:.*]] = tensor.empty() : tensor<4x5xf32>
// CHECK-NEXT: %[[G0:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a0, %a1 : tensor<4x5xf32>, tensor<5xf32>) outs(%[[E0]] : tensor<4x5xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:   %[[S:.*]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK-NEXT:   linalg.yield %[[S]] : f32
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (0, d1)>, affine_map<(d0, d1) -> (d0, d1)>]
// CHECK:        arith.mulf
""")


def test_golden_reduction_keepdims() -> None:
    text = tf_module([ttype(F32, (3, 4, 5))],
                     ["%0 = tf.max %a0 {axes = array<i64: 1>, keepdims = true} : (tensor<3x4x5xf32>) -> tensor<3x1x5xf32>"],
                     [("%0", "tensor<3x1x5xf32>")])
    filecheck(print_ir(lower(text)), """
// CHECK:      %[[E:.*]] = tensor.empty() : tensor<3x5xf32>
// CHECK-NEXT: %[[NEG_INF:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: %[[INIT:.*]] = linalg.fill ins(%[[NEG_INF]] : f32) outs(%[[E]] : tensor<3x5xf32>) -> tensor<3x5xf32>
// CHECK-NEXT: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a0 : tensor<3x4x5xf32>) outs(%[[INIT]] : tensor<3x5xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK-NEXT:   %[[M:.*]] = arith.maximumf %[[IN]], %[[OUT]] : f32
// CHECK-NEXT:   linalg.yield %[[M]] : f32
// CHECK:      tensor.expand_shape %[[R]] {{\\[}}[0 : i64], [1 : i64, 2 : i64]] output_shape [3, 1, 5] : tensor<3x5xf32> into tensor<3x1x5xf32>
""")


def test_golden_argmax() -> None:
    text = tf_module([ttype(F32, (6, 7))],
                     ["%0 = tf.argmax %a0 {axis = 1 : i64} : (tensor<6x7xf32>) -> tensor<6xi64>"],
                     [("%0", "tensor<6xi64>")])
    filecheck(print_ir(lower(text)), """
// CHECK:      linalg.fill
// CHECK:      linalg.fill
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: f32, %[[V:.*]]: f32, %[[I:.*]]: i64):
// CHECK-NEXT:   %[[IDX:.*]] = linalg.index 1 : index
// CHECK-NEXT:   %[[IDX64:.*]] = arith.index_cast %[[IDX]] : index to i64
// CHECK-NEXT:   %[[GT:.*]] = arith.cmpf ugt, %[[IN]], %[[V]] : f32
// CHECK-NEXT:   %[[ORD:.*]] = arith.cmpf ord, %[[V]], %[[V]] : f32
// CHECK-NEXT:   %[[B:.*]] = arith.andi %[[GT]], %[[ORD]] : i1
// CHECK-NEXT:   %[[NV:.*]] = arith.select %[[B]], %[[IN]], %[[V]] : f32
// CHECK-NEXT:   %[[NI:.*]] = arith.select %[[B]], %[[IDX64]], %[[I]] : i64
// CHECK-NEXT:   linalg.yield %[[NV]], %[[NI]] : f32, i64
""")


def test_golden_reversed_slice() -> None:
    text = tf_module([ttype(F32, (4, 5))],
                     ["%0 = tf.slice %a0 {start = array<i64: 3, 1>, stride = array<i64: -1, 2>} : (tensor<4x5xf32>) -> tensor<4x2xf32>"],
                     [("%0", "tensor<4x2xf32>")])
    filecheck(print_ir(lower(text)), """
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (((d0 * -1) + 3), ((d1 * 2) + 1))>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
""")


def test_golden_batched_matmul() -> None:
    text = tf_module([ttype(F32, (2, 1, 5, 3)), ttype(F32, (6, 3, 4))],
                     ["%0 = tf.matmul %a0, %a1 : (tensor<2x1x5x3xf32>, tensor<6x3x4xf32>) -> tensor<2x6x5x4xf32>"],
                     [("%0", "tensor<2x6x5x4xf32>")])
    filecheck(print_ir(lower(text)), """
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>]
// CHECK:      tensor.collapse_shape {{.*}} : tensor<2x6x5x3xf32> into tensor<12x5x3xf32>
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>]
// CHECK:      tensor.collapse_shape {{.*}} : tensor<2x6x3x4xf32> into tensor<12x3x4xf32>
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK:        arith.mulf
// CHECK-NEXT:   arith.addf
// CHECK:      tensor.expand_shape {{.*}} : tensor<12x5x4xf32> into tensor<2x6x5x4xf32>
""")


# Plugin ops ------------------------------------------------------------------


@irdl_op_definition
class SoftplusOp(IRDLOperation):
    """A plugin op: `log(1 + exp(x))`."""

    name = "plug.softplus"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"


@irdl_op_definition
class OpaqueOp(IRDLOperation):
    """A plugin op with no registered lowering."""

    name = "plug.opaque"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"


def lower_softplus(op, rewriter) -> None:  # noqa: ANN001
    from xdsl.dialects import arith
    from xdsl.dialects import math as mmath

    em = Emitter(op.location)

    def body(b: Emitter, args):  # noqa: ANN001, ANN202
        e = b.val(mmath.ExpOp(args[0]))
        return [b.val(mmath.LogOp(b.val(arith.AddfOp(e, b.const(1, args[0].type)))))]

    out = em.elementwise([op.input], shape_of(op.result), elem_of(op.result), body)
    rewriter.replace(op, em.ops, [out])


def test_plugin_lowering(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(conv.LINALG_LOWERINGS, "plug.softplus", lower_softplus)
    ctx = make_context()
    ctx.load_dialect(Dialect("plug", [SoftplusOp, OpaqueOp]))
    text = tf_module([ttype(F32, (2, 3))], [
        "%0 = plug.softplus %a0 : (tensor<2x3xf32>) -> tensor<2x3xf32>",
        "%1 = tf.neg %0 : (tensor<2x3xf32>) -> tensor<2x3xf32>",
        "%2 = plug.opaque %1 : (tensor<2x3xf32>) -> tensor<2x3xf32>",
    ], [("%1", "tensor<2x3xf32>")])
    module = Parser(ctx, text).parse_module()
    conv.ConvertTfToLinalg().apply(ctx, module)
    module.verify()
    names = [op.name for op in module.ops.first.body.block.ops]  # type: ignore[union-attr]
    assert "plug.opaque" in names and "plug.softplus" not in names
    assert not any(n.startswith("tf.") for n in names)
    for op in module.walk():
        if op.name.startswith(("linalg", "arith", "math", "tensor")):
            assert isinstance(op.location, FileLineColLoc), op.name
    x = np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(_run_skipping_opaque(module, x), -np.log1p(np.exp(x)), rtol=1e-6)


def _run_skipping_opaque(module, x: np.ndarray) -> np.ndarray:  # noqa: ANN001
    from linalg_ref import Interpreter

    interp = Interpreter(module)
    block = module.ops.first.body.block
    env = {block.args[0]: x}
    for op in block.ops:
        if op.name == "func.return":
            return env[op.operands[0]]
        if op.name != "plug.opaque":
            env.update(zip(op.results, interp.exec(op, [env[v] for v in op.operands]), strict=True))
    raise AssertionError("no func.return")


def test_every_tf_op_has_a_pattern() -> None:
    lowered = {cls.OP for cls in conv.TF_PATTERNS}  # type: ignore[attr-defined]
    # tf.gradients never reaches the linalg stage: the differentiate pass expands it.
    assert lowered == set(tf.TF.operations) - {tf.GradientsOp}
    for cls in conv.TF_PATTERNS:
        assert cls.__name__ == cls.OP.__name__.removesuffix("Op") + "Lowering"  # type: ignore[attr-defined]


def test_module_without_tf_ops_is_unchanged() -> None:
    text = tf_module([ttype(F32, (3,))], [], [("%a0", ttype(F32, (3,)))])
    module = parse(text)
    before = print_ir(module)
    apply(module, "convert-tf-to-linalg")
    check_contract(module)
    assert print_ir(module) == before


# Upstream MLIR accepts the lowered IR ---------------------------------------------------


def _upstream_cases() -> list[str]:
    """One small module per op kind and dtype."""
    cases: list[tuple[list[str], str, str]] = []  # (arg types, op text after `%r = `, result type)

    def add(args: list[str], op: str, result: str) -> None:
        cases.append((args, op, result))

    for dtype in [*FLOATS, *INTS, BOOL]:
        t, v, b = ttype(dtype, (2, 3)), ttype(dtype, (3,)), ttype(BOOL, (2, 3))
        kinds = (list(LOGICAL) if dtype == BOOL else
                 [k for k in ARITH if dtype.kind == "f" or k != "div"])
        for kind in [*kinds, *COMPARE]:
            res = b if kind in COMPARE else t
            add([t, v], f"tf.{kind} %a0, %a1 : ({t}, {v}) -> {res}", res)
        unary = ["logical_not"] if dtype == BOOL else FLOAT_UNARY if dtype.kind == "f" else INT_UNARY
        for kind in unary:
            add([t], f"tf.{kind} %a0 : ({t}) -> {t}", t)
        add([b, t, v], f"tf.select %a0, %a1, %a2 : ({b}, {t}, {v}) -> {t}", t)
        for dst in [*FLOATS, *INTS, BOOL]:
            add([t], f"tf.cast %a0 : ({t}) -> {ttype(dst, (2, 3))}", ttype(dst, (2, 3)))
        if dtype != BOOL:
            x = ttype(dtype, (2, 3, 4))
            for kind in [*REDUCE, *(["mean"] if dtype.kind == "f" else [])]:
                for axes, keep, shape in (("0, 2", "true", (1, 3, 1)), ("0, 1, 2", "false", ()),
                                          ("1", "false", (2, 4))):
                    r = ttype(dtype, shape)
                    add([x], f"tf.{kind} %a0 {{axes = array<i64: {axes}>, keepdims = {keep}}} : ({x}) -> {r}", r)
            for kind in ("argmax", "argmin"):
                add([x], f"tf.{kind} %a0 {{axis = 1 : i64}} : ({x}) -> tensor<2x4xi64>", "tensor<2x4xi64>")
            for sa, sb in MATMUL_FORMS:
                r = ttype(dtype, np.matmul(np.zeros(sa), np.zeros(sb)).shape)
                ta, tb = ttype(dtype, sa), ttype(dtype, sb)
                add([ta, tb], f"tf.matmul %a0, %a1 : ({ta}, {tb}) -> {r}", r)
    x = ttype(F32, (5, 6, 7))
    for shape, start, stride, index, _ in SLICES:
        xt, r = ttype(F32, shape), ttype(F32, np.zeros(shape)[index].shape)
        add([xt], f"tf.slice %a0 {{start = array<i64: {', '.join(map(str, start))}>, stride = array<i64: "
                  f"{', '.join(map(str, stride))}>}} : ({xt}) -> {r}", r)
    add([x], f"tf.transpose %a0 {{perm = array<i64: 2, 0, 1>}} : ({x}) -> tensor<7x5x6xf32>", "tensor<7x5x6xf32>")
    for src, dst in [((5, 6, 7), (30, 7)), ((5, 6, 7), (7, 30)), ((), (1, 1)), ((1, 1), ()), ((6,), (2, 1, 3))]:
        a, r = ttype(F32, src), ttype(F32, dst)
        add([a], f"tf.reshape %a0 : ({a}) -> {r}", r)
        wide = ttype(F32, (2, *src))
        add([a], f"tf.broadcast_to %a0 : ({a}) -> {wide}", wide)
    add(["tensor<2x3xi1>", "tensor<2x1xi1>"],
        "tf.concat %a0, %a1 {axis = 1 : i64} : (tensor<2x3xi1>, tensor<2x1xi1>) -> tensor<2x4xi1>", "tensor<2x4xi1>")
    add([], "tf.constant {value = dense<[[1.5, -2.0]]> : tensor<1x2xf16>} : tensor<1x2xf16>", "tensor<1x2xf16>")
    for dtype in (I32, I64, F32):
        add([], f"tf.iota : {ttype(dtype, (4,))}", ttype(dtype, (4,)))
    return [print_ir(lower(tf_module(args, [f"%r = {op}"], [("%r", res)]))) for args, op, res in cases]


@pytest.mark.skipif(shutil.which("mlir-opt-22") is None, reason="needs mlir-opt-22 (Debian mlir-22-tools)")
def test_upstream_mlir_opt_accepts_lowered_ir() -> None:
    modules = _upstream_cases()
    proc = subprocess.run(["mlir-opt-22", "--split-input-file", "--verify-each"],
                          input="\n// -----\n".join(modules), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[:4000]
    assert proc.stdout.count("linalg.generic") > len(modules) // 2
