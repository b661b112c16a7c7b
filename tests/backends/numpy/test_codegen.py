"""The NumPy backend on hand-written loop-level IR (docs/ir-levels.md section 4):
generate, parse the source, run it, compare with NumPy op by op."""

from __future__ import annotations

import ast
import inspect
import math
import traceback

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.parser import Parser

from tfir.backends.numpy.backend import NumpyBackend, NumpyOptions
from tfir.pipeline import make_context, make_pass, steps_for

BACKEND = NumpyBackend()
load = BACKEND.load
# What `schedule=False` switches off: the loops run as `tile-linalg` made them.
SCHEDULE = ("numpy-row-groups", "numpy-schedule", "numpy-elide-fills")

RNG = np.random.default_rng(0)


ELEMENTWISE_TF = """# Elementwise arithmetic with broadcasting and literals.
fn main(a: f32[4, 5], b: f32[5]) -> f32[4, 5] {
    let y = tanh(a * b + 1.0) - exp(-a);
    return y * 0.5 + sigmoid(b) / 2;
}
"""


def source_line(filename: str, line: int) -> str:
    lines = ELEMENTWISE_TF.splitlines() if filename == "elementwise.tf" else []
    return lines[line - 1] if 0 < line <= len(lines) else ""


def compile_ir(text: str, entry: str = "main", schedule: bool = True, threads: bool = True):
    """The loop-level IR through the passes of stage `schedule`, then the code generator."""
    ctx = make_context()
    module = Parser(ctx, text).parse_module()
    module.verify()
    options = BACKEND.pass_options(NumpyOptions(threads=threads))
    for step in steps_for("numpy"):
        if step.stage == "schedule" and (schedule or step.pass_name not in SCHEDULE):
            make_pass(step, options, "numpy").apply(ctx, module)
            module.verify()
    source = BACKEND.generate(module, entry, source_line)
    ast.parse(source)
    assert "eval(" not in source and "exec(" not in source
    return source, load(source, entry)


def run(text: str, *args, entry: str = "main", **kw):
    source, fn = compile_ir(text, entry, **kw)
    results = fn(*args)
    assert isinstance(results, tuple)
    for r in results:
        assert isinstance(r, np.ndarray)
    return source, results


def func(sig: str, body: str, globals_: str = "") -> str:
    return f"builtin.module {{\n{globals_}\n  func.func @main{sig} {{\n{body}\n  }}\n}}\n"


def parallel(ivs: str, lbs: str, ubs: str, steps: str, body: str, tile: str) -> str:
    n = len(ivs.split(","))
    args = ", ".join(f"{v.strip()}: index" for v in ivs.split(","))
    idx = ", ".join(["index"] * (3 * n))
    return (f'"scf.parallel"({lbs}, {ubs}, {steps}) <{{operandSegmentSizes = array<i32: {n}, {n}, {n}, 0>}}> ({{\n'
            f"  ^bb0({args}):\n{body}\n    scf.reduce\n"
            f"  }}) {{tfir.tile = array<i64: {tile}>}} : ({idx}) -> ()")


ID2 = "affine_map<(d0, d1) -> (d0, d1)>"
ROW = "affine_map<(d0, d1) -> (d1)>"
COL = "affine_map<(d0, d1) -> (d0)>"

FUSED = func(
    "(%a: memref<64x5xf32>, %b: memref<5xf32>) -> memref<64x5xf32>",
    """    %c0 = arith.constant 0 : index
    %c16 = arith.constant 16 : index
    %c64 = arith.constant 64 : index
    %y = memref.alloc() {tfir.buffer = 0 : i64} : memref<64x5xf32> loc("elementwise.tf":3:5)
""" + parallel("%i", "%c0", "%c64", "%c16", f"""
      %a_t = memref.subview %a[%i, 0] [16, 5] [1, 1] : memref<64x5xf32> to memref<16x5xf32, strided<[5, 1], offset: ?>> loc("elementwise.tf":3:5)
      %y_t = memref.subview %y[%i, 0] [16, 5] [1, 1] : memref<64x5xf32> to memref<16x5xf32, strided<[5, 1], offset: ?>> loc("elementwise.tf":3:5)
      linalg.generic {{indexing_maps = [{ID2}, {ROW}, {ID2}], iterator_types = ["parallel", "parallel"]}} ins(%a_t, %b : memref<16x5xf32, strided<[5, 1], offset: ?>>, memref<5xf32>) outs(%y_t : memref<16x5xf32, strided<[5, 1], offset: ?>>) {{
      ^bb0(%x: f32, %bb: f32, %o: f32):
        %one = arith.constant 1.0 : f32
        %half = arith.constant 0.5 : f32
        %two = arith.constant 2.0 : f32
        %m = arith.mulf %x, %bb : f32 loc("elementwise.tf":3:13)
        %s = arith.addf %m, %one : f32 loc("elementwise.tf":3:13)
        %t = math.tanh %s : f32 loc("elementwise.tf":3:13)
        %n = arith.negf %x : f32 loc("elementwise.tf":3:13)
        %e = math.exp %n : f32 loc("elementwise.tf":3:13)
        %d = arith.subf %t, %e : f32 loc("elementwise.tf":3:13)
        %h = arith.mulf %d, %half : f32 loc("elementwise.tf":4:12)
        %nb = arith.negf %bb : f32 loc("elementwise.tf":4:22)
        %eb = math.exp %nb : f32 loc("elementwise.tf":4:22)
        %pb = arith.addf %eb, %one : f32 loc("elementwise.tf":4:22)
        %sb = arith.divf %one, %pb : f32 loc("elementwise.tf":4:22)
        %q = arith.divf %sb, %two : f32 loc("elementwise.tf":4:22)
        %r = arith.addf %h, %q : f32 loc("elementwise.tf":4:12)
        linalg.yield %r : f32
      }} loc("elementwise.tf":4:5)""", "16") + """ loc("elementwise.tf":3:5)
    func.return %y : memref<64x5xf32> loc("elementwise.tf":4:5)""")

FUSED_GOLDEN = '''\
def main(a, b):
    """main(a: float32[64, 5], b: float32[5]) -> (float32[64, 5],)"""
    # elementwise.tf:3  let y = tanh(a * b + 1.0) - exp(-a);
    y = np.empty((64, 5), dtype=np.float32)
    t0 = np.empty((16, 5), dtype=np.float32)
    t1 = np.empty((16, 5), dtype=np.float32)
    t2 = np.empty((5,), dtype=np.float32)
    for i in range(0, 64, 16):
        # elementwise.tf:3  let y = tanh(a * b + 1.0) - exp(-a);
        a_t = a[i:i + 16]
        y_t = y[i:i + 16]
        np.multiply(a_t, b, out=t0)
        np.add(t0, 1.0, out=t0)
        np.tanh(t0, out=t0)
        np.negative(a_t, out=t1)
        np.exp(t1, out=t1)
        np.subtract(t0, t1, out=t0)
        # elementwise.tf:4  return y * 0.5 + sigmoid(b) / 2;
        np.multiply(t0, 0.5, out=t0)
        np.negative(b, out=t2)
        np.exp(t2, out=t2)
        np.add(t2, 1.0, out=t2)
        np.divide(1.0, t2, out=t2)
        np.divide(t2, 2.0, out=t2)
        np.add(t0, t2, out=y_t)
    # elementwise.tf:4  return y * 0.5 + sigmoid(b) / 2;
    return (y,)
'''


def test_fused_elementwise_golden_and_values():
    a = RNG.standard_normal((64, 5)).astype(np.float32)
    b = RNG.standard_normal(5).astype(np.float32)
    # schedule=False: the tile loop as tiled (the backend would run so small an op whole).
    source, (y,) = run(FUSED, a, b, schedule=False)
    print(source)
    assert source.split("\n\n\n")[-1] == FUSED_GOLDEN
    want = (np.tanh(a * b + np.float32(1)) - np.exp(-a)) * np.float32(0.5) + \
        (1 / (1 + np.exp(-b))) / np.float32(2)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, want)


def generic(ins: list[tuple[str, str]], outs: list[tuple[str, str]], maps: list[str], iters: str,
            body: str, args: str) -> str:
    ins_t = ", ".join(t for _, t in ins)
    outs_t = ", ".join(t for _, t in outs)
    return (f"    linalg.generic {{indexing_maps = [{', '.join(maps)}], iterator_types = [{iters}]}} "
            f"ins({', '.join(v for v, _ in ins)} : {ins_t}) outs({', '.join(v for v, _ in outs)} : {outs_t}) {{\n"
            f"    ^bb0({args}):\n{body}\n    }}")


def test_sum_rows_after_identity_fill_reduces_into_the_output():
    text = func("(%x: memref<6x7xf32>) -> memref<6xf32>", """
    %zero = arith.constant 0.0 : f32
    %s = memref.alloc() : memref<6xf32>
    linalg.fill ins(%zero : f32) outs(%s : memref<6xf32>)
""" + generic([("%x", "memref<6x7xf32>")], [("%s", "memref<6xf32>")], [ID2, COL],
              '"parallel", "reduction"', """      %r = arith.addf %in, %acc : f32
      linalg.yield %r : f32""", "%in: f32, %acc: f32") + """
    func.return %s : memref<6xf32>""")
    x = RNG.standard_normal((6, 7)).astype(np.float32)
    source, (s,) = run(text, x)
    assert "np.add.reduce(x, axis=1, out=s)" in source
    assert s.dtype == np.float32
    np.testing.assert_array_equal(s, np.sum(x, axis=1))


def test_int32_sum_over_all_axes_stays_int32_and_rank0():
    text = func("(%x: memref<4x3xi32>) -> memref<i32>", """
    %zero = arith.constant 0 : i32
    %s = memref.alloc() : memref<i32>
    linalg.fill ins(%zero : i32) outs(%s : memref<i32>)
""" + generic([("%x", "memref<4x3xi32>")], [("%s", "memref<i32>")],
              [ID2, "affine_map<(d0, d1) -> ()>"], '"reduction", "reduction"', """      %r = arith.addi %in, %acc : i32
      linalg.yield %r : i32""", "%in: i32, %acc: i32") + """
    func.return %s : memref<i32>""")
    x = np.full((4, 3), 2**29, dtype=np.int32)
    _, (s,) = run(text, x)
    assert s.dtype == np.int32 and s.shape == ()
    assert s == np.sum(x, dtype=np.int32)


def test_tiled_reduction_dim_accumulates_across_scf_for():
    loop = """    "scf.for"(%c0, %c8, %c4) ({
    ^bb0(%k: index):
      %xt = memref.subview %x[0, %k] [3, 4] [1, 1] : memref<3x8xf64> to memref<3x4xf64, strided<[8, 1], offset: ?>>
""" + generic([("%xt", "memref<3x4xf64, strided<[8, 1], offset: ?>>")], [("%m", "memref<3xf64>")],
              [ID2, COL], '"parallel", "reduction"', """      %r = arith.maximumf %in, %acc : f64
      linalg.yield %r : f64""", "%in: f64, %acc: f64") + """
      scf.yield
    }) : (index, index, index) -> ()"""
    text = func("(%x: memref<3x8xf64>) -> memref<3xf64>", """
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %ninf = arith.constant 0xFFF0000000000000 : f64
    %m = memref.alloc() : memref<3xf64>
    linalg.fill ins(%ninf : f64) outs(%m : memref<3xf64>)
""" + loop + """
    func.return %m : memref<3xf64>""")
    x = RNG.standard_normal((3, 8))
    source, (m,) = run(text, x)
    assert "np.maximum(m, np.maximum.reduce(xt, axis=1, dtype=np.float64), out=m)" in source
    np.testing.assert_array_equal(m, x.max(axis=1))


def test_sum_of_squares_is_einsum_and_batch_matmul_generic_is_matmul():
    text = func("(%x: memref<5x6xf32>, %a: memref<2x3x4xf32>, %b: memref<2x4x5xf32>) -> (memref<5xf32>, memref<2x3x5xf32>)", """
    %zero = arith.constant 0.0 : f32
    %s = memref.alloc() : memref<5xf32>
    linalg.fill ins(%zero : f32) outs(%s : memref<5xf32>)
""" + generic([("%x", "memref<5x6xf32>"), ("%x", "memref<5x6xf32>")], [("%s", "memref<5xf32>")], [ID2, ID2, COL],
              '"parallel", "reduction"', """      %p = arith.mulf %in, %in2 : f32
      %r = arith.addf %p, %acc : f32
      linalg.yield %r : f32""", "%in: f32, %in2: f32, %acc: f32") + """
    %c = memref.alloc() : memref<2x3x5xf32>
    linalg.fill ins(%zero : f32) outs(%c : memref<2x3x5xf32>)
""" + generic([("%a", "memref<2x3x4xf32>"), ("%b", "memref<2x4x5xf32>")], [("%c", "memref<2x3x5xf32>")],
              ["affine_map<(b, i, j, k) -> (b, i, k)>", "affine_map<(b, i, j, k) -> (b, k, j)>",
               "affine_map<(b, i, j, k) -> (b, i, j)>"], '"parallel", "parallel", "parallel", "reduction"',
              """      %p = arith.mulf %in, %in2 : f32
      %r = arith.addf %p, %acc : f32
      linalg.yield %r : f32""", "%in: f32, %in2: f32, %acc: f32") + """
    func.return %s, %c : memref<5xf32>, memref<2x3x5xf32>""")
    x = RNG.standard_normal((5, 6)).astype(np.float32)
    a = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    b = RNG.standard_normal((2, 4, 5)).astype(np.float32)
    source, (s, c) = run(text, x, a, b)
    assert "np.einsum('ij,ij->i', x, x, out=s)" in source
    assert "np.matmul(a, b, out=c)" in source
    np.testing.assert_allclose(s, np.sum(x * x, axis=-1), rtol=2e-6)
    np.testing.assert_allclose(c, a @ b, rtol=2e-6)


def test_linalg_matmul_argmax_argmin():
    text = func("(%a: memref<4x3xf32>, %b: memref<3x6xf32>) -> (memref<4x6xf32>, memref<4xi64>, memref<6xi64>)", """
    %zero = arith.constant 0.0 : f32
    %ninf = arith.constant 0xFF800000 : f32
    %pinf = arith.constant 0x7F800000 : f32
    %i0 = arith.constant 0 : i64
    %c = memref.alloc() : memref<4x6xf32>
    linalg.fill ins(%zero : f32) outs(%c : memref<4x6xf32>)
    linalg.matmul ins(%a, %b : memref<4x3xf32>, memref<3x6xf32>) outs(%c : memref<4x6xf32>)
    %v = memref.alloc() : memref<4xf32>
    %ix = memref.alloc() : memref<4xi64>
    linalg.fill ins(%ninf : f32) outs(%v : memref<4xf32>)
    linalg.fill ins(%i0 : i64) outs(%ix : memref<4xi64>)
""" + generic([("%c", "memref<4x6xf32>")], [("%v", "memref<4xf32>"), ("%ix", "memref<4xi64>")],
              [ID2, COL, COL], '"parallel", "reduction"', """      %j = linalg.index 1 : index
      %j64 = arith.index_cast %j : index to i64
      %gt = arith.cmpf ogt, %in, %bv : f32
      %nv = arith.select %gt, %in, %bv : f32
      %ni = arith.select %gt, %j64, %bi : i64
      linalg.yield %nv, %ni : f32, i64""", "%in: f32, %bv: f32, %bi: i64") + """
    %w = memref.alloc() : memref<6xf32>
    %iy = memref.alloc() : memref<6xi64>
    linalg.fill ins(%pinf : f32) outs(%w : memref<6xf32>)
    linalg.fill ins(%i0 : i64) outs(%iy : memref<6xi64>)
""" + generic([("%c", "memref<4x6xf32>")], [("%w", "memref<6xf32>"), ("%iy", "memref<6xi64>")],
              [ID2, ROW, ROW], '"reduction", "parallel"', """      %j = linalg.index 0 : index
      %j64 = arith.index_cast %j : index to i64
      %lt = arith.cmpf olt, %in, %bv : f32
      %nv = arith.select %lt, %in, %bv : f32
      %ni = arith.select %lt, %j64, %bi : i64
      linalg.yield %nv, %ni : f32, i64""", "%in: f32, %bv: f32, %bi: i64") + """
    func.return %c, %ix, %iy : memref<4x6xf32>, memref<4xi64>, memref<6xi64>""")
    a = RNG.standard_normal((4, 3)).astype(np.float32)
    b = RNG.standard_normal((3, 6)).astype(np.float32)
    source, (c, ix, iy) = run(text, a, b)
    assert "np.matmul(a, b, out=c)" in source
    assert "np.argmax(c, axis=1, out=ix)" in source and "np.argmin(c, axis=0, out=iy)" in source
    np.testing.assert_allclose(c, a @ b, rtol=1e-6)
    np.testing.assert_array_equal(ix, np.argmax(a @ b, axis=1))
    np.testing.assert_array_equal(iy, np.argmin(a @ b, axis=0))
    assert ix.dtype == np.int64


def test_argmax_without_fresh_init_falls_back_to_a_loop_with_first_index_on_ties():
    text = func("(%x: memref<3x5xi32>, %v: memref<3xi32>, %ix0: memref<3xi64>) -> memref<3xi64>", """
    %ix = memref.alloc() : memref<3xi64>
    "memref.copy"(%ix0, %ix) : (memref<3xi64>, memref<3xi64>) -> ()
    %v2 = memref.alloc() : memref<3xi32>
    "memref.copy"(%v, %v2) : (memref<3xi32>, memref<3xi32>) -> ()
""" + generic([("%x", "memref<3x5xi32>")], [("%v2", "memref<3xi32>"), ("%ix", "memref<3xi64>")],
              [ID2, COL, COL], '"parallel", "reduction"', """      %j = linalg.index 1 : index
      %j64 = arith.index_cast %j : index to i64
      %gt = arith.cmpi sgt, %in, %bv : i32
      %nv = arith.select %gt, %in, %bv : i32
      %ni = arith.select %gt, %j64, %bi : i64
      linalg.yield %nv, %ni : i32, i64""", "%in: i32, %bv: i32, %bi: i64") + """
    func.return %ix : memref<3xi64>""")
    x = np.array([[1, 3, 3, 0, 2], [5, 5, 5, 5, 5], [-4, -3, -9, -3, -8]], dtype=np.int32)
    start = np.array([-100, -100, -100], dtype=np.int32)
    source, (ix,) = run(text, x, start, np.zeros(3, np.int64))
    assert "for k1 in range(5):" in source
    np.testing.assert_array_equal(ix, np.argmax(x, axis=1))


def elementwise(sig: str, ins: list[tuple[str, str]], out: tuple[str, str], maps: list[str], body: str,
                args: str, rank: int = 2) -> str:
    iters = ", ".join(['"parallel"'] * rank)
    name, typ = out
    return func(sig, f"    {name} = memref.alloc() : {typ}\n"
                + generic(ins, [out], maps, iters, body, args) + f"\n    func.return {name} : {typ}")


def test_views_from_indexing_maps_transpose_broadcast_strided_and_reversed():
    text = elementwise(
        "(%x: memref<4x3xf32>, %r: memref<1x4xf32>, %s: memref<9xf32>, %v: memref<3xf32>) -> memref<3x4xf32>",
        [("%x", "memref<4x3xf32>"), ("%r", "memref<1x4xf32>"), ("%s", "memref<9xf32>"), ("%v", "memref<3xf32>")],
        ("%y", "memref<3x4xf32>"),
        ["affine_map<(d0, d1) -> (d1, d0)>", "affine_map<(d0, d1) -> (0, d1)>",
         "affine_map<(d0, d1) -> (d1 * 2 + 1)>", "affine_map<(d0, d1) -> (d0 * -1 + 2)>", ID2],
        """      %a = arith.addf %xi, %ri : f32
      %b = arith.mulf %a, %si : f32
      %c = arith.subf %b, %vi : f32
      linalg.yield %c : f32""", "%xi: f32, %ri: f32, %si: f32, %vi: f32, %o: f32")
    x, r, s, v = (RNG.standard_normal(n).astype(np.float32) for n in ((4, 3), (1, 4), 9, 3))
    source, (y,) = run(text, x, r, s, v)
    assert "x.transpose(1, 0)" in source and "s[1:8:2]" in source and "v[2::-1, None]" in source
    np.testing.assert_array_equal(y, (x.T + r) * s[1:8:2] - v[::-1, None])


def test_iota_casts_compares_select_and_integer_division():
    text = elementwise(
        "(%a: memref<8xi32>, %b: memref<8xi32>, %f: memref<8xf32>) -> memref<8xf32>",
        [("%a", "memref<8xi32>"), ("%b", "memref<8xi32>"), ("%f", "memref<8xf32>")], ("%y", "memref<8xf32>"),
        ["affine_map<(d0) -> (d0)>"] * 4,
        """      %i = linalg.index 0 : index
      %i32 = arith.index_cast %i : index to i32
      %q = arith.floordivsi %ai, %bi : i32
      %t = arith.divsi %ai, %bi : i32
      %r = arith.remsi %ai, %bi : i32
      %s1 = arith.addi %q, %t : i32
      %s2 = arith.muli %s1, %r : i32
      %s3 = arith.addi %s2, %i32 : i32
      %fl = arith.sitofp %s3 : i32 to f32
      %nan = arith.cmpf uno, %fi, %fi : f32
      %lt = arith.cmpf ult, %fi, %fl : f32
      %neg = arith.negf %fl : f32
      %sel = arith.select %lt, %fl, %neg : f32
      %zero = arith.constant 0.0 : f32
      %res = arith.select %nan, %zero, %sel : f32
      linalg.yield %res : f32""", "%ai: i32, %bi: i32, %fi: f32, %o: f32", rank=1)
    a = np.array([7, -7, 7, -7, 0, 13, -13, 5], np.int32)
    b = np.array([2, 2, -2, -2, 3, 4, 4, -5], np.int32)
    f = np.array([0.0, np.nan, 100.0, -100.0, 1.0, np.nan, 0.0, 2.0], np.float32)
    source, (y,) = run(text, a, b, f)
    assert "np.arange(8)" in source
    q, t, r = a // b, np.trunc(a / b).astype(np.int32), np.fmod(a, b)
    fl = ((q + t) * r + np.arange(8, dtype=np.int32)).astype(np.float32)
    want = np.where(np.isnan(f), np.float32(0), np.where(~(f >= fl), fl, -fl))
    np.testing.assert_array_equal(y, want)
    assert y.dtype == np.float32


def test_erf_is_accurate_to_float64_roundoff():
    text = elementwise(
        "(%x: memref<4001xf64>) -> memref<4001xf64>", [("%x", "memref<4001xf64>")], ("%y", "memref<4001xf64>"),
        ["affine_map<(d0) -> (d0)>"] * 2, """      %e = math.erf %xi : f64
      linalg.yield %e : f64""", "%xi: f64, %o: f64", rank=1)
    x = np.concatenate([np.linspace(-7, 7, 3990), [0.0, -0.0, 1e-300, -1e-10, 0.46875, 4.0, -4.0, 27.0, 40.0,
                                                   np.inf, -np.inf]])
    source, (y,) = run(text, x)
    assert "def _erf(" in source and "_erf(x, out=y)" in source
    want = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(y, want, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(np.signbit(y), np.signbit(want))


def test_float16_and_rsqrt_keep_dtypes():
    text = elementwise(
        "(%h: memref<6xf16>) -> memref<6xf16>", [("%h", "memref<6xf16>")], ("%y", "memref<6xf16>"),
        ["affine_map<(d0) -> (d0)>"] * 2, """      %c = arith.constant 0.1 : f16
      %a = arith.addf %hi, %c : f16
      %r = math.rsqrt %a : f16
      %p = math.powf %r, %a : f16
      linalg.yield %p : f16""", "%hi: f16, %o: f16", rank=1)
    h = np.array([0.5, 1.0, 2.0, 3.0, 10.0, 100.0], np.float16)
    _, (y,) = run(text, h)
    a = h + np.float16(0.1)
    assert y.dtype == np.float16
    np.testing.assert_allclose(y, (1 / np.sqrt(a)) ** a, rtol=2e-3)


def test_non_combiner_reduction_runs_the_body_per_reduction_index():
    # out = out * 0.5 + x over d1: not a plain combiner, so a loop over d1.
    text = func("(%x: memref<3x4xf64>) -> memref<3xf64>", """
    %zero = arith.constant 1.0 : f64
    %s = memref.alloc() : memref<3xf64>
    linalg.fill ins(%zero : f64) outs(%s : memref<3xf64>)
""" + generic([("%x", "memref<3x4xf64>")], [("%s", "memref<3xf64>")], [ID2, COL],
              '"parallel", "reduction"', """      %h = arith.constant 0.5 : f64
      %m = arith.mulf %acc, %h : f64
      %r = arith.addf %m, %in : f64
      linalg.yield %r : f64""", "%in: f64, %acc: f64") + """
    func.return %s : memref<3xf64>""")
    x = RNG.standard_normal((3, 4))
    _, (s,) = run(text, x)
    want = np.ones(3)
    for k in range(4):
        want = want * 0.5 + x[:, k]
    np.testing.assert_allclose(s, want, rtol=1e-15)


BIG_TILES = func(
    "(%a: memref<256x512xf32>) -> memref<256x512xf32>",
    """    %c0 = arith.constant 0 : index
    %c64 = arith.constant 64 : index
    %c256 = arith.constant 256 : index
    %y = memref.alloc() : memref<256x512xf32>
""" + parallel("%i", "%c0", "%c256", "%c64", f"""
      %a_t = memref.subview %a[%i, 0] [64, 512] [1, 1] : memref<256x512xf32> to memref<64x512xf32, strided<[512, 1], offset: ?>>
      %y_t = memref.subview %y[%i, 0] [64, 512] [1, 1] : memref<256x512xf32> to memref<64x512xf32, strided<[512, 1], offset: ?>>
      linalg.generic {{indexing_maps = [{ID2}, {ID2}], iterator_types = ["parallel", "parallel"]}} ins(%a_t : memref<64x512xf32, strided<[512, 1], offset: ?>>) outs(%y_t : memref<64x512xf32, strided<[512, 1], offset: ?>>) {{
      ^bb0(%x: f32, %o: f32):
        %e = math.exp %x : f32
        %s = math.sin %e : f32
        linalg.yield %s : f32
      }}""", "64") + """
    func.return %y : memref<256x512xf32>""")


def test_parallel_tiles_run_on_the_thread_pool_or_in_a_loop():
    a = RNG.standard_normal((256, 512)).astype(np.float32)
    threaded, (y1,) = run(BIG_TILES, a)
    serial, (y2,) = run(BIG_TILES, a, threads=False)
    assert "_parallel(tile, range(0, 256, 64))" in threaded and "ThreadPoolExecutor" in threaded
    assert "for i in range(0, 256, 64):" in serial and "ThreadPoolExecutor" not in serial
    np.testing.assert_array_equal(y1, np.sin(np.exp(a)))
    np.testing.assert_array_equal(y1, y2)


def test_views_copies_globals_and_rank0_results():
    dense = ", ".join(str(float(v)) for v in range(600))
    text = func("(%x: memref<2x3x4xf32>) -> (memref<6x4xf32>, memref<f32>, memref<600xf32>, memref<2xf32>)", """
    %c = memref.collapse_shape %x [[0, 1], [2]] : memref<2x3x4xf32> into memref<6x4xf32>
    %y = memref.alloc() : memref<6x4xf32>
    "memref.copy"(%c, %y) : (memref<6x4xf32>, memref<6x4xf32>) -> ()
    %e = memref.expand_shape %y [[0, 1], [2]] output_shape [2, 3, 4] : memref<6x4xf32> into memref<2x3x4xf32>
    %p = memref.subview %e[1, 2, 3] [1, 1, 1] [1, 1, 1] : memref<2x3x4xf32> to memref<f32, strided<[], offset: 23>>
    %z = memref.alloc() : memref<f32>
    "memref.copy"(%p, %z) : (memref<f32, strided<[], offset: 23>>, memref<f32>) -> ()
    %g = memref.get_global @table : memref<600xf32>
    %s = memref.get_global @small : memref<2xf32>
    func.return %y, %z, %g, %s : memref<6x4xf32>, memref<f32>, memref<600xf32>, memref<2xf32>""",
        f'''  "memref.global"() <{{sym_name = "table", sym_visibility = "private", type = memref<600xf32>, initial_value = dense<[{dense}]> : tensor<600xf32>, constant}}> : () -> ()
  "memref.global"() <{{sym_name = "small", sym_visibility = "private", type = memref<2xf32>, initial_value = dense<[1.5, -2.0]> : tensor<2xf32>, constant}}> : () -> ()''')
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    source, (y, z, g, s) = run(text, x)
    assert "x.reshape((6, 4))" in source and "y.reshape((2, 3, 4))" in source
    assert "p = e[1, 2, 3, ...]" in source and "base64" in source
    np.testing.assert_array_equal(y, x.reshape(6, 4))
    assert z.shape == () and z == x[1, 2, 3]
    np.testing.assert_array_equal(g, np.arange(600, dtype=np.float32))
    np.testing.assert_array_equal(s, [1.5, -2.0])
    g[0] = 7.0  # the caller owns its results; the module's constant is untouched
    _, (_, _, g2, _) = run(text, x)
    assert g2[0] == 0.0


def test_load_registers_the_source_for_tracebacks_and_inspect():
    source, fn = compile_ir(FUSED, schedule=False)
    assert inspect.getsource(fn).startswith("def main(a, b):")
    try:
        fn(np.zeros((64, 5), np.float32), np.zeros(7, np.float32))
    except ValueError:
        text = traceback.format_exc()
    else:
        raise AssertionError("a bad shape should fail")
    assert "np.multiply(a_t, b, out=t0)" in text


def test_rank0_generic_with_a_captured_constant_keeps_float32():
    text = func("(%x: memref<f32>) -> memref<f32>", """
    %c = arith.constant 0.1 : f32
    %y = memref.alloc() : memref<f32>
""" + generic([("%x", "memref<f32>")], [("%y", "memref<f32>")], ["affine_map<() -> ()>"] * 2, "", """      %m = arith.mulf %c, %c : f32
      %r = arith.addf %m, %xi : f32
      %s = math.sqrt %m : f32
      %t = arith.addf %r, %s : f32
      linalg.yield %t : f32""", "%xi: f32, %o: f32") + """
    func.return %y : memref<f32>""")
    x = np.array(3.0, np.float32)
    source, (y,) = run(text, x)
    assert "np.multiply(np.float32(0.1), np.float32(0.1))" in source
    c = np.float32(0.1)
    assert y.dtype == np.float32 and y.shape == ()
    assert y == (c * c + x) + np.sqrt(c * c)


def test_nan_guarded_argmax_is_np_argmax_first_nan_wins():
    text = func("(%x: memref<3x4xf32>) -> memref<3xi64>", """
    %ninf = arith.constant 0xFF800000 : f32
    %i0 = arith.constant 0 : i64
    %v = memref.alloc() : memref<3xf32>
    %ix = memref.alloc() : memref<3xi64>
    linalg.fill ins(%ninf : f32) outs(%v : memref<3xf32>)
    linalg.fill ins(%i0 : i64) outs(%ix : memref<3xi64>)
""" + generic([("%x", "memref<3x4xf32>")], [("%v", "memref<3xf32>"), ("%ix", "memref<3xi64>")],
              [ID2, COL, COL], '"parallel", "reduction"', """      %j = linalg.index 1 : index
      %j64 = arith.index_cast %j : index to i64
      %gt = arith.cmpf ugt, %in, %bv : f32
      %ok = arith.cmpf ord, %bv, %bv : f32
      %take = arith.andi %gt, %ok : i1
      %nv = arith.select %take, %in, %bv : f32
      %ni = arith.select %take, %j64, %bi : i64
      linalg.yield %nv, %ni : f32, i64""", "%in: f32, %bv: f32, %bi: i64") + """
    func.return %ix : memref<3xi64>""")
    x = np.array([[1, np.nan, 5, np.nan], [2, 2, 1, 0], [-np.inf, -np.inf, -np.inf, -np.inf]], np.float32)
    source, (ix,) = run(text, x)
    assert "np.argmax(x, axis=1, out=ix)" in source
    np.testing.assert_array_equal(ix, np.argmax(x, axis=1))


def test_external_call_imports_the_plugin_implementation():
    from tests.support.plugin_testing import mylib_loaded

    loaded = mylib_loaded()
    next(loaded)
    try:
        text = """builtin.module {
  func.func @main(%x: memref<3x8xf32>) -> memref<3x8xf32> {
    %out = memref.alloc() : memref<3x8xf32>
    func.call @mylib_cumsum(%x, %out) : (memref<3x8xf32>, memref<3x8xf32>) -> ()
    func.return %out : memref<3x8xf32>
  }
  func.func private @mylib_cumsum(memref<3x8xf32>, memref<3x8xf32>) -> () attributes {tfir.external = "mylib.cumsum"}
}
"""
        x = RNG.standard_normal((3, 8)).astype(np.float32)
        source, (y,) = run(text, x)
    finally:
        next(loaded, None)
    assert "from tfir_mylib.kernels import cumsum_numpy as mylib_cumsum" in source
    assert "mylib_cumsum(x, out)" in source
    np.testing.assert_allclose(y, np.cumsum(x, axis=-1), rtol=1e-6)


def test_contraction_with_a_computed_factor_and_a_transposed_input_is_matmul():
    text = func("(%a: memref<2x3x4xf32>, %b: memref<2x5x4xf32>) -> (memref<2x3x5xf32>, memref<3xf32>)", """
    %zero = arith.constant 0.0 : f32
    %c = memref.alloc() : memref<2x3x5xf32>
    linalg.fill ins(%zero : f32) outs(%c : memref<2x3x5xf32>)
""" + generic([("%a", "memref<2x3x4xf32>"), ("%b", "memref<2x5x4xf32>")], [("%c", "memref<2x3x5xf32>")],
              ["affine_map<(b, i, j, k) -> (b, i, k)>", "affine_map<(b, i, j, k) -> (b, j, k)>",
               "affine_map<(b, i, j, k) -> (b, i, j)>"], '"parallel", "parallel", "parallel", "reduction"',
              """      %ea = math.exp %in : f32
      %p = arith.mulf %ea, %in2 : f32
      %r = arith.addf %p, %acc : f32
      linalg.yield %r : f32""", "%in: f32, %in2: f32, %acc: f32") + """
    %s = memref.alloc() : memref<3xf32>
    linalg.fill ins(%zero : f32) outs(%s : memref<3xf32>)
""" + generic([("%a", "memref<2x3x4xf32>")], [("%s", "memref<3xf32>")],
              ["affine_map<(i, b, k) -> (b, i, k)>", "affine_map<(i, b, k) -> (i)>"],
              '"parallel", "reduction", "reduction"', """      %t = math.tanh %in : f32
      %q = arith.mulf %t, %in : f32
      %r = arith.addf %q, %acc : f32
      linalg.yield %r : f32""", "%in: f32, %acc: f32") + """
    func.return %c, %s : memref<2x3x5xf32>, memref<3xf32>""")
    a = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    b = RNG.standard_normal((2, 5, 4)).astype(np.float32)
    source, (c, s) = run(text, a, b)
    assert "np.matmul(t0[:, :, 0], b.transpose(0, 2, 1), out=c)" in source
    assert "np.einsum('ijk,jik->i', t0, a, out=s)" in source
    np.testing.assert_allclose(c, np.exp(a) @ b.transpose(0, 2, 1), rtol=1e-5)
    np.testing.assert_allclose(s, np.sum(np.tanh(a) * a, axis=(0, 2)), rtol=1e-5)


def _tiled_fill_then_sum(fill_rows: int) -> str:
    """A fill of rows [0, 8) of `s` in tiles of 3 plus a remainder tile, when
    `fill_rows` is 8 (else only the tiles), then a row sum into `s`."""
    remainder = """
    %s_r = memref.subview %s[6] [2] [1] : memref<8xf32> to memref<2xf32, strided<[1], offset: 6>>
    linalg.fill ins(%zero : f32) outs(%s_r : memref<2xf32, strided<[1], offset: 6>>)""" if fill_rows == 8 else ""
    return func("(%x: memref<8x5xf32>, %s0: memref<8xf32>) -> memref<8xf32>", """
    %c0 = arith.constant 0 : index
    %c3 = arith.constant 3 : index
    %c6 = arith.constant 6 : index
    %zero = arith.constant 0.0 : f32
    %s = memref.alloc() : memref<8xf32>
    "memref.copy"(%s0, %s) : (memref<8xf32>, memref<8xf32>) -> ()
""" + parallel("%i", "%c0", "%c6", "%c3", """
      %s_t = memref.subview %s[%i] [3] [1] : memref<8xf32> to memref<3xf32, strided<[1], offset: ?>>
      linalg.fill ins(%zero : f32) outs(%s_t : memref<3xf32, strided<[1], offset: ?>>)""", "3") + remainder + "\n"
        + generic([("%x", "memref<8x5xf32>")], [("%s", "memref<8xf32>")], [ID2, COL], '"parallel", "reduction"',
                  """      %r = arith.addf %in, %acc : f32
      linalg.yield %r : f32""", "%in: f32, %acc: f32") + """
    func.return %s : memref<8xf32>""")


@pytest.mark.parametrize("fill_rows", [8, 6])
def test_tiled_fill_counts_as_identity_init_only_when_it_covers_the_buffer(fill_rows: int):
    x = RNG.standard_normal((8, 5)).astype(np.float32)
    s0 = np.full(8, 100.0, np.float32)
    source, (s,) = run(_tiled_fill_then_sum(fill_rows), x, s0)
    want = x.sum(axis=1)
    if fill_rows == 8:
        assert "np.add.reduce(x, axis=1, out=s)" in source
    else:
        assert "np.add(s, np.add.reduce(x, axis=1, dtype=np.float32), out=s)" in source
        want[6:] += 100.0
    np.testing.assert_allclose(s, want, rtol=1e-6)


@st.composite
def _operand_maps(draw):
    """A loop space and an operand indexing map of the kinds linalg ops here use:
    dims in any order, some dims missing, unit constant axes, `d * s + c` slices."""
    from xdsl.ir.affine import AffineExpr

    n = draw(st.integers(1, 3))
    sizes = draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))
    results, shape = [], []
    for d in draw(st.permutations(range(n)))[: draw(st.integers(0, n))]:
        step, start = draw(st.sampled_from([(1, 0), (1, 0), (2, 1), (-1, sizes[d] - 1), (3, 0)]))
        results.append(AffineExpr.dimension(d) * step + start if (step, start) != (1, 0)
                       else AffineExpr.dimension(d))
        slack = draw(st.integers(0, 2)) if step > 1 else 0  # a strided slice of a longer axis
        shape.append(start + step * (sizes[d] - 1) + 1 + slack if step > 0 else sizes[d])
        if draw(st.integers(0, 3)) == 0:
            results.append(AffineExpr.constant(0))
            shape.append(1)
    return n, sizes, results, shape


@settings(max_examples=150, deadline=None)
@given(_operand_maps())
def test_arranged_views_broadcast_to_the_loop_space(case):
    from xdsl.ir.affine import AffineMap

    from tfir.backends.numpy.body import Space, arrange

    n, sizes, results, shape = case
    amap = AffineMap(n, 0, tuple(results))
    view, varying = arrange("x", amap, shape, Space([str(s) for s in sizes], list(range(n))))
    fn = load(f"import numpy as np\n\n\ndef f(x):\n    return {view}\n", "f")
    x = RNG.standard_normal(shape)
    got = np.broadcast_to(fn(x), sizes)
    want = np.empty(sizes)
    for idx in np.ndindex(*sizes):
        want[idx] = x[tuple(amap.eval(list(idx), []))]
    np.testing.assert_array_equal(got, want)
    assert varying == {d for r in results for d in range(n) if f"d{d}" in str(r)}
