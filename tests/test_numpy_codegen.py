"""The NumPy backend on hand-written loop-level IR (docs/ir-levels.md section 4):
generate, parse the source, run it, compare with NumPy op by op."""

from __future__ import annotations

import ast
import inspect
import math
import traceback

import numpy as np
import pytest
from xdsl.parser import Parser

from tfir.backends.numpy_backend import generate, load
from tfir.pipeline import make_context

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


def compile_ir(text: str, entry: str = "main", **kw):
    module = Parser(make_context(), text).parse_module()
    module.verify()
    source = generate(module, entry, source_line, **kw)
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
    for i in range(0, 64, 16):
        # elementwise.tf:3  let y = tanh(a * b + 1.0) - exp(-a);
        a_t = a[i:i + 16]
        y_t = y[i:i + 16]
        t0 = np.empty((16, 5), dtype=np.float32)
        np.multiply(a_t, b, out=t0)
        np.add(t0, 1.0, out=t0)
        np.tanh(t0, out=t0)
        t1 = np.empty((16, 5), dtype=np.float32)
        np.negative(a_t, out=t1)
        np.exp(t1, out=t1)
        np.subtract(t0, t1, out=t0)
        # elementwise.tf:4  return y * 0.5 + sigmoid(b) / 2;
        np.multiply(t0, 0.5, out=t0)
        t2 = np.empty((5,), dtype=np.float32)
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
    source, (y,) = run(FUSED, a, b)
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
