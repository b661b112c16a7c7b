"""convert-tf-to-linalg: every `tf` op kind lowered, checked against the IR
contract (docs/ir-levels.md section 2, `linalg_testing.check_contract`) and
numerically: the lowered IR runs in the reference interpreter
(tests/support/linalg_ref.py) and is compared with NumPy on the same inputs;
whole programs with their source locations, and the plugin hook. The printed
form is checked in tests/filecheck/convert-tf-to-linalg.mlir; upstream
mlir-opt accepting it in tests/backends/mlir/test_mlir_opt.py."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from xdsl.dialects import tensor
from xdsl.dialects.builtin import FileLineColLoc, TensorType
from xdsl.dialects.linalg.ops import GenericOp
from xdsl.ir import Dialect
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, result_def
from xdsl.parser import Parser

from tests.support.linalg_testing import (
    apply,
    assert_same,
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
from tests.support.tf_op_cases import (
    ARITH,
    BOOL,
    COMPARE,
    F16,
    F32,
    F64,
    FLOAT_UNARY,
    FLOATS,
    I32,
    I64,
    INT_UNARY,
    INTS,
    LOGICAL,
    MATMUL_FORMS,
    MLP,
    REDUCE,
    SLICES,
    mlp_inputs,
    mlp_reference,
)
from tfir.dialects import tf
from tfir.dialects.decompositions import DECOMPOSITIONS
from tfir.lowering import convert_tf_to_linalg as conv
from tfir.lowering.utils.linalg_builders import Emitter, elem_of, shape_of
from tfir.pipeline import make_context, pass_class
from tfir.testing import differential, linalg_interp

SETTINGS = settings(max_examples=30, deadline=None)
MANY = settings(max_examples=100, deadline=None)


def run_op(op_text: str, inputs: Sequence[np.ndarray], result_type: str) -> np.ndarray:
    """Lowers and runs `%r = <op_text>` on arguments `%a0, %a1, ...`."""
    text = tf_module([ttype(x.dtype, x.shape) for x in inputs], [f"%r = {op_text}"],
                     [("%r", result_type)])
    (out,) = run_main(lower(text), *inputs)
    return out


def signature(inputs: Sequence[np.ndarray], result_type: str) -> str:
    return "(" + ", ".join(ttype(x.dtype, x.shape) for x in inputs) + f") -> {result_type}"


def numpy_op(fn: Callable[..., np.ndarray], *args: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(fn(*args))


# Elementwise ---------------------------------------------------------------


def elements(dtype: np.dtype, kind: str, operand: int) -> st.SearchStrategy:
    if dtype == BOOL:
        return st.booleans()
    if dtype.kind == "i":
        if kind == "pow" and operand == 1:
            return st.integers(0, 5)
        return st.integers(-7, 7)
    if kind in ("floordiv", "mod"):
        # Integer-valued: the quotient never rounds onto an integer, where
        # floor(a / b) and NumPy's fmod-based form may differ by one.
        return st.integers(-6, 6).map(float)
    special = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0])
    return st.one_of(st.floats(-4, 4, width=16), special)


@MANY
@given(data=st.data())
def test_binary_broadcasting(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from([*ARITH, *COMPARE, *LOGICAL]), "kind")
    if kind in LOGICAL:
        dtypes = [BOOL]
    elif kind == "div":
        dtypes = FLOATS
    elif kind in COMPARE:
        dtypes = [*FLOATS, *INTS, BOOL]
    else:
        dtypes = [*FLOATS, *INTS]
    dtype = data.draw(st.sampled_from(dtypes), "dtype")
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    a, b = (data.draw(hnp.arrays(dtype, s, elements=elements(dtype, kind, i)), f"x{i}")
            for i, s in enumerate(shapes.input_shapes))
    want = numpy_op({**ARITH, **COMPARE, **LOGICAL}[kind], a, b)
    rtype = ttype(want.dtype, want.shape)
    got = run_op(f"tf.{kind} %a0, %a1 : {signature([a, b], rtype)}", [a, b], rtype)
    assert_same(got, want)


@MANY
@given(data=st.data())
def test_unary(data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from([*FLOATS, *INTS, BOOL]), "dtype")
    table = {"logical_not": np.logical_not} if dtype == BOOL else (
        FLOAT_UNARY if dtype.kind == "f" else INT_UNARY)
    kind = data.draw(st.sampled_from(sorted(table)), "kind")
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=3))
    x = data.draw(hnp.arrays(dtype, shape, elements=elements(dtype, kind, 0)), "x")
    want = numpy_op(table[kind], x).astype(dtype)
    rtype = ttype(dtype, shape)
    assert_same(run_op(f"tf.{kind} %a0 : {signature([x], rtype)}", [x], rtype), want)


def test_nan_semantics() -> None:
    x = np.array([np.nan, 1.0, np.nan, -2.0, -0.0, 3.0], np.float32)
    y = np.array([1.0, np.nan, np.nan, 5.0, 0.0, -1.0], np.float32)
    t = ttype(F32, [6])
    for kind, fn in (("maximum", np.maximum), ("minimum", np.minimum)):
        assert_same(run_op(f"tf.{kind} %a0, %a1 : ({t}, {t}) -> {t}", [x, y], t), fn(x, y))
    assert_same(run_op(f"tf.sign %a0 : ({t}) -> {t}", [x], t), np.sign(x))
    assert_same(run_op(f"tf.relu %a0 : ({t}) -> {t}", [x], t), np.maximum(x, 0))
    b = ttype(BOOL, [6])
    assert_same(run_op(f"tf.not_equal %a0, %a1 : ({t}, {t}) -> {b}", [x, y], b), x != y)
    assert_same(run_op(f"tf.equal %a0, %a0 : ({t}, {t}) -> {b}", [x], b), x == x)


@pytest.mark.parametrize("dtype", INTS)
def test_integer_division_edge_cases(dtype: np.dtype) -> None:
    lo = np.iinfo(dtype).min
    a = np.array([7, -7, 7, -7, 5, lo, lo, 0, 3, -3], dtype)
    b = np.array([2, 2, -2, -2, 0, -1, 1, 0, -1, 7], dtype)
    t = ttype(dtype, [10])
    for kind, fn in (("floordiv", np.floor_divide), ("mod", np.mod)):
        got = run_op(f"tf.{kind} %a0, %a1 : ({t}, {t}) -> {t}", [a, b], t)
        assert_same(got, numpy_op(fn, a, b))


def test_float_floordiv_mod_edge_cases() -> None:
    a = np.array([7.5, -7.5, 7.5, -7.5, 1.0, 0.0, -1.0, np.inf, 6.0, 3.0, -3.0, 3.0, -3.0,
                  0.0, -np.inf, -1e-300, 1e-300, np.nan, 2.0], np.float64)
    b = np.array([2.0, 2.0, -2.0, -2.0, 0.0, 0.0, 0.0, 2.0, -3.0, np.inf, np.inf, -np.inf,
                  -np.inf, np.inf, 0.0, 1e300, 1e300, 1.0, np.nan], np.float64)
    t = ttype(F64, [len(a)])
    for kind, fn in (("floordiv", np.floor_divide), ("mod", np.mod)):
        got = run_op(f"tf.{kind} %a0, %a1 : ({t}, {t}) -> {t}", [a, b], t)
        assert_same(got, numpy_op(fn, a, b))


@SETTINGS
@given(data=st.data())
def test_select(data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from([*FLOATS, *INTS, BOOL]), "dtype")
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    c = data.draw(hnp.arrays(BOOL, shapes.input_shapes[0]), "c")
    a, b = (data.draw(hnp.arrays(dtype, s, elements=elements(dtype, "select", 0)))
            for s in shapes.input_shapes[1:])
    want = np.where(c, a, b)
    rtype = ttype(dtype, want.shape)
    got = run_op(f"tf.select %a0, %a1, %a2 : {signature([c, a, b], rtype)}", [c, a, b], rtype)
    assert_same(got, want)


CAST_VALUES = {
    "f": [-2.75, -1.0, -0.0, 0.0, 0.5, 1.0, 3.5, 100.25],
    "i": [-3, -1, 0, 1, 2, 100, 7, -100],
    "b": [True, False, True, True, False, False, True, False],
}


@pytest.mark.parametrize("src", [*FLOATS, *INTS, BOOL], ids=str)
@pytest.mark.parametrize("dst", [*FLOATS, *INTS, BOOL], ids=str)
def test_cast(src: np.dtype, dst: np.dtype) -> None:
    values = CAST_VALUES[src.kind]
    if src.kind == "f" and dst.kind in "fb":
        values = [*values, np.nan, -np.inf]
    if src == I64 and dst == I32:
        values = [*values, 2**40 + 5, -(2**33) - 1]  # trunci wraps as astype does
    x = np.array(values, src)
    t = ttype(dst, x.shape)
    assert_same(run_op(f"tf.cast %a0 : ({ttype(src, x.shape)}) -> {t}", [x], t), x.astype(dst))


# Reductions ----------------------------------------------------------------


def reduction_values(dtype: np.dtype, kind: str) -> st.SearchStrategy:
    # Values whose sums and products are exact in every dtype, so the order of
    # accumulation (sequential here, pairwise in NumPy) does not matter.
    if dtype.kind == "i":
        return st.integers(-2, 2) if kind == "prod" else st.integers(-50, 50)
    if kind == "prod":
        return st.sampled_from([-1.0, -0.5, 0.5, 1.0] if dtype == F16 else [-2.0, -1.0, 0.5, 1.0, 2.0])
    return st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0])


@SETTINGS
@given(data=st.data())
def test_reductions(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from([*REDUCE, "mean"]), "kind")
    dtype = data.draw(st.sampled_from(FLOATS if kind == "mean" else [*FLOATS, *INTS]), "dtype")
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3), "shape")
    axes = sorted(data.draw(st.sets(st.integers(0, len(shape) - 1)), "axes"))
    keep = data.draw(st.booleans(), "keepdims")
    x = data.draw(hnp.arrays(dtype, shape, elements=reduction_values(dtype, kind)), "x")
    if kind == "mean":
        want = (x.astype(F64).sum(axis=tuple(axes), keepdims=keep) /
                max(1, math.prod(shape[a] for a in axes))).astype(dtype)
    else:
        want = np.asarray(REDUCE[kind](x, axis=tuple(axes), keepdims=keep))
    rtype = ttype(dtype, want.shape)
    attrs = f"{{axes = array<i64{': ' if axes else ''}{', '.join(map(str, axes))}>, keepdims = {str(keep).lower()}}}"
    got = run_op(f"tf.{kind} %a0 {attrs} : {signature([x], rtype)}", [x], rtype)
    assert_same(got, want.astype(dtype))


def test_reductions_propagate_nan() -> None:
    x = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, -1.0]], np.float32)
    for kind, fn in (("max", np.max), ("min", np.min), ("sum", np.sum)):
        want = fn(x, axis=1)
        t = ttype(F32, want.shape)
        got = run_op(f"tf.{kind} %a0 {{axes = array<i64: 1>, keepdims = false}} : ({ttype(F32, x.shape)}) -> {t}",
                     [x], t)
        assert_same(got, want)


@SETTINGS
@given(data=st.data())
def test_arg_reductions(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["argmax", "argmin"]), "kind")
    dtype = data.draw(st.sampled_from([*FLOATS, *INTS]), "dtype")
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), "shape")
    axis = data.draw(st.integers(0, len(shape) - 1), "axis")
    # Few distinct values, so ties are common (the first index must win);
    # floats also get NaN (NumPy returns the first NaN) and infinities.
    values = (st.integers(-2, 2) if dtype.kind == "i" else
              st.sampled_from([-1.0, 0.0, 2.0, np.nan, np.inf, -np.inf]))
    x = data.draw(hnp.arrays(dtype, shape, elements=values), "x")
    want = getattr(np, kind)(x, axis=axis).astype(I64)
    rtype = ttype(I64, want.shape)
    got = run_op(f"tf.{kind} %a0 {{axis = {axis} : i64}} : {signature([x], rtype)}", [x], rtype)
    assert_same(got, want)


# Structured and shape ops --------------------------------------------------


@pytest.mark.parametrize("shapes", MATMUL_FORMS, ids=str)
@pytest.mark.parametrize("dtype", [F32, I32, F64], ids=str)
def test_matmul(shapes: tuple[tuple[int, ...], tuple[int, ...]], dtype: np.dtype) -> None:
    rng = np.random.default_rng(0)
    a, b = (rng.integers(-3, 4, s).astype(dtype) for s in shapes)
    want = np.matmul(a, b)
    rtype = ttype(dtype, want.shape)
    module = lower(tf_module([ttype(dtype, a.shape), ttype(dtype, b.shape)],
                             [f"%r = tf.matmul %a0, %a1 : {signature([a, b], rtype)}"], [("%r", rtype)]))
    assert_same(run_main(module, a, b)[0], want)
    names = [op.name for op in module.walk()]
    if len(a.shape) <= 2 and len(b.shape) <= 2 or len(b.shape) <= 2 and len(a.shape) > 2:
        assert "linalg.matmul" in names


def test_matrix_times_a_stack_reads_the_matrix_in_place() -> None:
    """`[2, 3] @ [5, 3, 4]`: the matrix is read by every batch through its map,
    not copied into a `[5, 2, 3]` stack first."""
    a, b = np.arange(6, dtype=F32).reshape(2, 3), np.arange(60, dtype=F32).reshape(5, 3, 4)
    rtype = ttype(F32, (5, 2, 4))
    module = lower(tf_module([ttype(F32, a.shape), ttype(F32, b.shape)],
                             [f"%r = tf.matmul %a0, %a1 : {signature([a, b], rtype)}"], [("%r", rtype)]))
    assert_same(run_main(module, a, b)[0], np.matmul(a, b))
    generics = [op for op in module.walk() if isinstance(op, GenericOp)]
    assert len(generics) == 1  # the contraction alone: no broadcasting copy
    assert str(generics[0].indexing_maps.data[0].data) == "(d0, d1, d2, d3) -> (d1, d3)"


@pytest.mark.parametrize("perm", [(1, 0, 2), (2, 1, 0), (0, 2, 1), (0, 1, 2)], ids=str)
def test_transpose(perm: tuple[int, ...]) -> None:
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    want = np.transpose(x, perm)
    rtype = ttype(F32, want.shape)
    perm_attr = ", ".join(map(str, perm))
    got = run_op(f"tf.transpose %a0 {{perm = array<i64: {perm_attr}>}} : {signature([x], rtype)}", [x], rtype)
    assert_same(got, want)


@pytest.mark.parametrize("src,dst,ops", [
    ((2, 3, 4), (6, 4), ["tensor.collapse_shape"]),
    ((2, 3, 4), (2, 12), ["tensor.collapse_shape"]),
    ((2, 3, 4), (2, 1, 3, 4), ["tensor.expand_shape"]),
    ((2, 1, 3, 4), (2, 3, 4), ["tensor.collapse_shape"]),
    ((6,), (2, 3), ["tensor.expand_shape"]),
    ((2, 3), (3, 2), ["tensor.collapse_shape", "tensor.expand_shape"]),
    ((2, 3, 4), (4, 6), ["tensor.collapse_shape", "tensor.expand_shape"]),
    ((), (1, 1), ["tensor.empty", "linalg.generic"]),
    ((1, 1), (), ["tensor.empty", "linalg.generic"]),
    ((4, 6), (2, 2, 6), ["tensor.expand_shape"]),
], ids=str)
def test_reshape(src: tuple[int, ...], dst: tuple[int, ...], ops: list[str]) -> None:
    x = np.arange(math.prod(src), dtype=np.int32).reshape(src)
    rtype = ttype(I32, dst)
    module = lower(tf_module([ttype(I32, src)], [f"%r = tf.reshape %a0 : {signature([x], rtype)}"],
                             [("%r", rtype)]))
    assert [op.name for op in module.ops.first.body.block.ops][:-1] == ops  # type: ignore[union-attr]
    assert_same(run_main(module, x)[0], x.reshape(dst))


@pytest.mark.parametrize("src,dst", [((3,), (2, 3)), ((1, 3), (4, 3)), ((), (2, 2)),
                                     ((2, 1, 3), (2, 4, 3)), ((3, 1), (2, 3, 4)), ((2, 3), (2, 3))],
                         ids=str)
def test_broadcast_to(src: tuple[int, ...], dst: tuple[int, ...]) -> None:
    x = np.arange(math.prod(src), dtype=np.float64).reshape(src)
    rtype = ttype(F64, dst)
    got = run_op(f"tf.broadcast_to %a0 : {signature([x], rtype)}", [x], rtype)
    assert_same(got, np.broadcast_to(x, dst))


@pytest.mark.parametrize("shape,start,stride,index,extract", SLICES, ids=str)
def test_slice(shape: tuple[int, ...], start: tuple[int, ...], stride: tuple[int, ...],
               index: object, extract: bool | None) -> None:
    x = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    want = x[index]
    rtype = ttype(F32, want.shape)
    attrs = (f"{{start = array<i64: {', '.join(map(str, start))}>, "
             f"stride = array<i64: {', '.join(map(str, stride))}>}}")
    module = lower(tf_module([ttype(F32, shape)], [f"%r = tf.slice %a0 {attrs} : {signature([x], rtype)}"],
                             [("%r", rtype)]))
    names = [op.name for op in module.walk()]
    if extract is not None:  # a negative stride: a reversing generic (after an extract_slice if it shortens)
        assert ("linalg.generic" in names) == (not extract)
        if extract:
            assert "tensor.extract_slice" in names
    assert_same(run_main(module, x)[0], want)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype", [F32, BOOL], ids=str)
def test_concat(axis: int, dtype: np.dtype) -> None:
    shapes = [(2, 3), (2, 1), (2, 2)] if axis == 1 else [(2, 3), (1, 3), (3, 3)]
    xs = [(np.arange(math.prod(s)).reshape(s) % 3 == 1).astype(dtype) + (i if dtype != BOOL else 0)
          for i, s in enumerate(shapes)]
    xs = [x.astype(dtype) for x in xs]
    want = np.concatenate(xs, axis=axis)
    rtype = ttype(dtype, want.shape)
    got = run_op(f"tf.concat %a0, %a1, %a2 {{axis = {axis} : i64}} : {signature(xs, rtype)}", xs, rtype)
    assert_same(got, want)


@pytest.mark.parametrize("literal,want", [
    ("dense<[[1.5, -2.0], [0.25, 8.0]]> : tensor<2x2xf32>", np.array([[1.5, -2.0], [0.25, 8.0]], np.float32)),
    ("dense<7> : tensor<3xi64>", np.full(3, 7, np.int64)),
    ("dense<[true, false]> : tensor<2xi1>", np.array([True, False])),
    ("dense<0.5> : tensor<f16>", np.array(0.5, np.float16)),
], ids=str)
def test_constant(literal: str, want: np.ndarray) -> None:
    rtype = literal.split(" : ")[1]
    module = lower(tf_module([], [f"%r = tf.constant {{value = {literal}}} : {rtype}"], [("%r", rtype)]))
    assert_same(run_main(module)[0], want)


@pytest.mark.parametrize("dtype", [I32, I64, F32, F16], ids=str)
def test_iota(dtype: np.dtype) -> None:
    rtype = ttype(dtype, [5])
    module = lower(tf_module([], [f"%r = tf.iota : {rtype}"], [("%r", rtype)]))
    assert_same(run_main(module)[0], np.arange(5).astype(dtype))


def test_bool_maximum_minimum_and_compare() -> None:
    x = np.array([True, True, False, False])
    y = np.array([True, False, True, False])
    t = ttype(BOOL, [4])
    for kind, fn in (("maximum", np.maximum), ("minimum", np.minimum), ("less", np.less),
                     ("greater_equal", np.greater_equal)):
        assert_same(run_op(f"tf.{kind} %a0, %a1 : ({t}, {t}) -> {t}", [x, y], t), fn(x, y))


# Whole programs ---------------------------------------------------------------


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
    from tests.support.linalg_ref import Interpreter

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
    """Every `tf` op has its pattern here, or a decomposition applied before (decompose-tf-ops)."""
    lowered = {cls.OP for cls in conv.TF_PATTERNS}  # type: ignore[attr-defined]
    # tf.gradients never reaches the linalg stage: the differentiate pass expands it.
    decomposed = {op for op in tf.TF.operations if op.name in DECOMPOSITIONS}
    assert lowered | decomposed == set(tf.TF.operations) - {tf.GradientsOp} and not lowered & decomposed
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


# -- issue 13 ----------------------------------------------------------------------
# `convert-tf-to-linalg` of negative-step slices (issue 13): the elements
# are taken in increasing order with `tensor.extract_slice`, then a generic
# reverses them; no generic reads the whole operand, so every loop has one
# size and upstream MLIR's verifier holds.


def _lower(source: str, inputs: dict[str, np.ndarray]):
    module, tensors = differential.tf_module(source, "main", inputs)
    pass_class("convert-tf-to-linalg")().apply(make_context(), module)
    module.verify()
    return module, tensors


@pytest.mark.parametrize(("index", "shape"), [
    ("[-2, -1::-1]", (2, 1)), ("[0, 0::-2]", (3, 8, 4)), ("[1:, ::-2, :]", (3, 8, 4)),
    ("[::-1, 1:3]", (4, 5)), ("[3:0:-2]", (5,)), ("[::-3, ::-1, 0]", (7, 2, 3)),
])
def test_negative_steps_lower_to_extract_slice_and_a_reversing_generic(index: str, shape: tuple) -> None:
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    module, tensors = _lower(f"fn main(x: f32[{', '.join(map(str, shape))}]) {{\n    return x{index};\n}}\n",
                             {"x": x})
    for g in [op for op in module.walk() if isinstance(op, GenericOp)]:
        # it reads the extracted elements only (its input has its output's shape), reversed
        assert all(isinstance(v.owner, tensor.ExtractSliceOp) or v.type == g.outputs[0].type
                   for v in g.inputs)
        assert all(v.type.get_shape() == g.outputs[0].type.get_shape() for v in g.inputs)
    want = eval(f"x{index}")  # the same basic indexing in NumPy
    got = linalg_interp.run(module, "main", *tensors)[0]
    np.testing.assert_array_equal(np.asarray(got).reshape(want.shape), want)
