"""Loop-level inputs (docs/ir-levels.md section 4, written by hand until the
upstream passes exist) and NumPy references for the Triton backend tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ID2 = "affine_map<(d0, d1) -> (d0, d1)>"
ROW = "affine_map<(d0, d1) -> (d0)>"
COL = "affine_map<(d0, d1) -> (d1)>"


@dataclass
class Case:
    name: str
    entry: str
    mlir: str
    inputs: Callable[[np.random.Generator], list[np.ndarray]]
    reference: Callable[..., tuple[np.ndarray, ...]]
    plugin: str | None = None  # a plugin of examples/plugins the case calls into


PLUGINS = Path(__file__).resolve().parents[2] / "examples" / "plugins"


def load_plugin(name: str) -> None:
    import sys

    import tfir

    if str(PLUGINS) not in sys.path:
        sys.path.insert(0, str(PLUGINS))
    tfir.load_plugin(name)


def _f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


ELEMENTWISE_TILED = f"""
func.func @f(%a: memref<64x100xf32>, %b: memref<100xf32>) -> memref<64x100xf32> {{
  %out = memref.alloc() {{tfir.buffer = 0 : i64}} : memref<64x100xf32>
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %c16 = arith.constant 16 : index
  "scf.parallel"(%c0, %c64, %c16) <{{operandSegmentSizes = array<i32: 1, 1, 1, 0>}}> ({{
  ^bb0(%i: index):
    %rem = arith.subi %c64, %i : index
    %sz = arith.minsi %rem, %c16 : index
    %sa = memref.subview %a[%i, 0] [%sz, 100] [1, 1] : memref<64x100xf32> to memref<?x100xf32, strided<[100, 1], offset: ?>>
    %so = memref.subview %out[%i, 0] [%sz, 100] [1, 1] : memref<64x100xf32> to memref<?x100xf32, strided<[100, 1], offset: ?>>
    linalg.generic {{indexing_maps = [{ID2}, {COL}, {ID2}], iterator_types = ["parallel", "parallel"]}} ins(%sa, %b : memref<?x100xf32, strided<[100, 1], offset: ?>>, memref<100xf32>) outs(%so : memref<?x100xf32, strided<[100, 1], offset: ?>>) {{
    ^bb0(%x: f32, %y: f32, %o: f32):
      %s = arith.addf %x, %y : f32
      %t = math.tanh %s : f32
      linalg.yield %t : f32
    }} loc("prog.tf":3:5)
    scf.reduce
  }}) {{tfir.tile = array<i64: 16>}} : (index, index, index) -> ()
  func.return %out : memref<64x100xf32>
}}
"""

SOFTMAX = f"""
func.func @softmax(%x: memref<8x100xf32>) -> memref<8x100xf32> {{
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %m = memref.alloc() : memref<8xf32>
  linalg.fill ins(%ninf : f32) outs(%m : memref<8xf32>) loc("nn.tf":2:3)
  linalg.generic {{indexing_maps = [{ID2}, {ROW}], iterator_types = ["parallel", "reduction"]}} ins(%x : memref<8x100xf32>) outs(%m : memref<8xf32>) {{
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %o : f32
    linalg.yield %r : f32
  }} loc("nn.tf":2:3)
  %s = memref.alloc() : memref<8xf32>
  linalg.fill ins(%zero : f32) outs(%s : memref<8xf32>) loc("nn.tf":3:3)
  linalg.generic {{indexing_maps = [{ID2}, {ROW}, {ROW}], iterator_types = ["parallel", "reduction"]}} ins(%x, %m : memref<8x100xf32>, memref<8xf32>) outs(%s : memref<8xf32>) {{
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %e = math.exp %d : f32
    %r = arith.addf %e, %o : f32
    linalg.yield %r : f32
  }} loc("nn.tf":3:3)
  %y = memref.alloc() : memref<8x100xf32>
  linalg.generic {{indexing_maps = [{ID2}, {ROW}, {ROW}, {ID2}], iterator_types = ["parallel", "parallel"]}} ins(%x, %m, %s : memref<8x100xf32>, memref<8xf32>, memref<8xf32>) outs(%y : memref<8x100xf32>) {{
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %e = math.exp %d : f32
    %q = arith.divf %e, %c : f32
    linalg.yield %q : f32
  }} loc("nn.tf":4:3)
  func.return %y : memref<8x100xf32>
}}
"""


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True),)


ARGMAX = f"""
func.func @amax(%x: memref<6x50xf32>) -> (memref<6xf32>, memref<6xi64>) {{
  %ninf = arith.constant 0xFF800000 : f32
  %z = arith.constant 0 : i64
  %v = memref.alloc() : memref<6xf32>
  %i = memref.alloc() : memref<6xi64>
  linalg.fill ins(%ninf : f32) outs(%v : memref<6xf32>)
  linalg.fill ins(%z : i64) outs(%i : memref<6xi64>)
  linalg.generic {{indexing_maps = [{ID2}, {ROW}, {ROW}], iterator_types = ["parallel", "reduction"]}} ins(%x : memref<6x50xf32>) outs(%v, %i : memref<6xf32>, memref<6xi64>) {{
  ^bb0(%a: f32, %ov: f32, %oi: i64):
    %k = linalg.index 1 : index
    %k64 = arith.index_cast %k : index to i64
    %c = arith.cmpf ogt, %a, %ov : f32
    %nv = arith.select %c, %a, %ov : f32
    %ni = arith.select %c, %k64, %oi : i64
    linalg.yield %nv, %ni : f32, i64
  }} loc("arg.tf":5:7)
  func.return %v, %i : memref<6xf32>, memref<6xi64>
}}
"""

MATMUL_BIAS_RELU = f"""
func.func @mlp(%x: memref<20x30xf32>, %w: memref<30x40xf32>, %b: memref<40xf32>) -> memref<20x40xf32> {{
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<20x40xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<20x40xf32>) loc("mlp.tf":4:5)
  linalg.matmul ins(%x, %w : memref<20x30xf32>, memref<30x40xf32>) outs(%h : memref<20x40xf32>) loc("mlp.tf":4:5)
  %y = memref.alloc() : memref<20x40xf32>
  linalg.generic {{indexing_maps = [{ID2}, {COL}, {ID2}], iterator_types = ["parallel", "parallel"]}} ins(%h, %b : memref<20x40xf32>, memref<40xf32>) outs(%y : memref<20x40xf32>) {{
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }} loc("mlp.tf":5:5)
  func.return %y : memref<20x40xf32>
}}
"""

# one-value constant globals: the scalar is a literal in the epilogue, while
# the dot operands stay buffers (their tiles are read past K = 30 unmasked;
# as literals, the padding would add 2 * 0.25 to every element)
SPLAT_GLOBALS = f"""
"memref.global"() <{{sym_name = "a", type = memref<20x30xf32>, initial_value = dense<5.000000e-01> : tensor<20x30xf32>, sym_visibility = "private", constant}}> : () -> ()
"memref.global"() <{{sym_name = "w", type = memref<30x40xf32>, initial_value = dense<5.000000e-01> : tensor<30x40xf32>, sym_visibility = "private", constant}}> : () -> ()
"memref.global"() <{{sym_name = "s", type = memref<f32>, initial_value = dense<-1.500000e+00> : tensor<f32>, sym_visibility = "private", constant}}> : () -> ()
func.func @sg(%b: memref<20x40xf32>) -> memref<20x40xf32> {{
  %zero = arith.constant 0.0 : f32
  %a = memref.get_global @a : memref<20x30xf32>
  %w = memref.get_global @w : memref<30x40xf32>
  %s = memref.get_global @s : memref<f32>
  %h = memref.alloc() : memref<20x40xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<20x40xf32>)
  linalg.matmul ins(%a, %w : memref<20x30xf32>, memref<30x40xf32>) outs(%h : memref<20x40xf32>)
  %y = memref.alloc() : memref<20x40xf32>
  linalg.generic {{indexing_maps = [{ID2}, affine_map<(d0, d1) -> ()>, {ID2}, {ID2}], iterator_types = ["parallel", "parallel"]}} ins(%h, %s, %b : memref<20x40xf32>, memref<f32>, memref<20x40xf32>) outs(%y : memref<20x40xf32>) {{
  ^bb0(%p: f32, %q: f32, %c: f32, %o: f32):
    %t = arith.addf %p, %q : f32
    %r = arith.mulf %t, %c : f32
    linalg.yield %r : f32
  }}
  func.return %y : memref<20x40xf32>
}}
"""

INT_MATMUL = """
func.func @imm(%a: memref<5x6xi32>, %b: memref<6x7xi32>) -> memref<5x7xi32> {
  %zero = arith.constant 0 : i32
  %c = memref.alloc() : memref<5x7xi32>
  linalg.fill ins(%zero : i32) outs(%c : memref<5x7xi32>)
  linalg.matmul ins(%a, %b : memref<5x6xi32>, memref<6x7xi32>) outs(%c : memref<5x7xi32>)
  func.return %c : memref<5x7xi32>
}
"""

TRANSPOSE_VIEW = """
func.func @tv(%x: memref<4x5xf32>) -> (memref<5x4xf32>, memref<20xf32>) {
  %t = memref.alloc() : memref<5x4xf32>
  linalg.transpose ins(%x : memref<4x5xf32>) outs(%t : memref<5x4xf32>) permutation = [1, 0]
  %flat = memref.collapse_shape %t [[0, 1]] : memref<5x4xf32> into memref<20xf32>
  %y = memref.alloc() : memref<20xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%flat : memref<20xf32>) outs(%y : memref<20xf32>) {
  ^bb0(%a: f32, %o: f32):
    %two = arith.constant 2.0 : f32
    %r = arith.mulf %a, %two : f32
    linalg.yield %r : f32
  }
  func.return %t, %y : memref<5x4xf32>, memref<20xf32>
}
"""

LONG_SUM = """
func.func @total(%x: memref<5000xf32>) -> memref<f32> {
  %zero = arith.constant 0.0 : f32
  %s = memref.alloc() : memref<f32>
  linalg.fill ins(%zero : f32) outs(%s : memref<f32>)
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%x : memref<5000xf32>) outs(%s : memref<f32>) {
  ^bb0(%a: f32, %o: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %o : f32
    linalg.yield %r : f32
  }
  func.return %s : memref<f32>
}
"""

COLUMN_MAX_IOTA = """
func.func @cm(%x: memref<4x30xi32>) -> (memref<30xi32>, memref<4x30xi64>) {
  %lo = arith.constant -2147483648 : i32
  %m = memref.alloc() : memref<30xi32>
  linalg.fill ins(%lo : i32) outs(%m : memref<30xi32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%x : memref<4x30xi32>) outs(%m : memref<30xi32>) {
  ^bb0(%a: i32, %o: i32):
    %r = arith.maxsi %a, %o : i32
    linalg.yield %r : i32
  }
  %io = memref.alloc() : memref<4x30xi64>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<4x30xi32>) outs(%io : memref<4x30xi64>) {
  ^bb0(%a: i32, %o: i64):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %k = arith.muli %i, %j : index
    %k64 = arith.index_cast %k : index to i64
    %a64 = arith.extsi %a : i32 to i64
    %three = arith.constant 3 : i64
    %q = arith.floordivsi %a64, %three : i64
    %r = arith.addi %k64, %q : i64
    linalg.yield %r : i64
  }
  func.return %m, %io : memref<30xi32>, memref<4x30xi64>
}
"""


TILED_SUM_WITH_REMAINDER = f"""
func.func @rows(%x: memref<10x6xf32>) -> memref<10xf32> {{
  %zero = arith.constant 0.0 : f32
  %s = memref.alloc() : memref<10xf32>
  linalg.fill ins(%zero : f32) outs(%s : memref<10xf32>)
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c4 = arith.constant 4 : index
  "scf.parallel"(%c0, %c8, %c4) <{{operandSegmentSizes = array<i32: 1, 1, 1, 0>}}> ({{
  ^bb0(%i: index):
    %xt = memref.subview %x[%i, 0] [4, 6] [1, 1] : memref<10x6xf32> to memref<4x6xf32, strided<[6, 1], offset: ?>>
    %st = memref.subview %s[%i] [4] [1] : memref<10xf32> to memref<4xf32, strided<[1], offset: ?>>
    linalg.generic {{indexing_maps = [{ID2}, {ROW}], iterator_types = ["parallel", "reduction"]}} ins(%xt : memref<4x6xf32, strided<[6, 1], offset: ?>>) outs(%st : memref<4xf32, strided<[1], offset: ?>>) {{
    ^bb0(%a: f32, %o: f32):
      %r = arith.addf %a, %o : f32
      linalg.yield %r : f32
    }}
    scf.reduce
  }}) {{tfir.tile = array<i64: 4>}} : (index, index, index) -> ()
  %xr = memref.subview %x[8, 0] [2, 6] [1, 1] : memref<10x6xf32> to memref<2x6xf32, strided<[6, 1], offset: 48>>
  %sr = memref.subview %s[8] [2] [1] : memref<10xf32> to memref<2xf32, strided<[1], offset: 8>>
  linalg.generic {{indexing_maps = [{ID2}, {ROW}], iterator_types = ["parallel", "reduction"]}} ins(%xr : memref<2x6xf32, strided<[6, 1], offset: 48>>) outs(%sr : memref<2xf32, strided<[1], offset: 8>>) {{
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  }}
  func.return %s : memref<10xf32>
}}
"""

BATCHED_CONTRACTION = """
func.func @bmm(%a: memref<2x5x6xf32>, %b: memref<2x6x7xf32>, %s: memref<2x5xf32>) -> memref<2x5x7xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<2x5x7xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<2x5x7xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%a, %s, %b : memref<2x5x6xf32>, memref<2x5xf32>, memref<2x6x7xf32>) outs(%c : memref<2x5x7xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32, %o: f32):
    %e = math.exp %x : f32
    %q = arith.divf %e, %y : f32
    %p = arith.mulf %q, %z : f32
    %r = arith.addf %p, %o : f32
    linalg.yield %r : f32
  } loc("attn.tf":4:12)
  func.return %c : memref<2x5x7xf32>
}
"""

EXTERNAL_CALL = f"""
func.func private @mylib_cumsum(memref<3x8xf32>, memref<3x8xf32>) -> () attributes {{tfir.external = "mylib.cumsum"}}
func.func @ext(%x: memref<3x8xf32>) -> memref<3x8xf32> {{
  %y = memref.alloc() : memref<3x8xf32>
  linalg.generic {{indexing_maps = [{ID2}, {ID2}], iterator_types = ["parallel", "parallel"]}} ins(%x : memref<3x8xf32>) outs(%y : memref<3x8xf32>) {{
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %a : f32
    linalg.yield %r : f32
  }}
  %c = memref.alloc() : memref<3x8xf32>
  func.call @mylib_cumsum(%y, %c) : (memref<3x8xf32>, memref<3x8xf32>) -> () loc("ext.tf":3:4)
  %z = memref.alloc() : memref<3x8xf32>
  linalg.generic {{indexing_maps = [{ID2}, {ID2}], iterator_types = ["parallel", "parallel"]}} ins(%c : memref<3x8xf32>) outs(%z : memref<3x8xf32>) {{
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  }}
  func.return %z : memref<3x8xf32>
}}
"""

FOLDED_TRANSPOSE = """
func.func @ft(%x: memref<3x5xf32>) -> memref<5x3xf32> {
  %t = memref.alloc() : memref<5x3xf32>
  linalg.transpose ins(%x : memref<3x5xf32>) outs(%t : memref<5x3xf32>) permutation = [1, 0]
  %y = memref.alloc() : memref<5x3xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%t : memref<5x3xf32>) outs(%y : memref<5x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  }
  func.return %y : memref<5x3xf32>
}
"""


CASES = [
    Case("elementwise_tiled", "f", ELEMENTWISE_TILED,
         lambda r: [_f32(r, 64, 100), _f32(r, 100)], lambda a, b: (np.tanh(a + b),)),
    Case("softmax", "softmax", SOFTMAX, lambda r: [_f32(r, 8, 100) * 3], _softmax),
    Case("argmax", "amax", ARGMAX, lambda r: [_f32(r, 6, 50)],
         lambda x: (x.max(axis=1), x.argmax(axis=1).astype(np.int64))),
    Case("matmul_bias_relu", "mlp", MATMUL_BIAS_RELU,
         lambda r: [_f32(r, 20, 30), _f32(r, 30, 40), _f32(r, 40)],
         lambda x, w, b: (np.maximum(x @ w + b, 0),)),
    Case("splat_globals", "sg", SPLAT_GLOBALS, lambda r: [_f32(r, 20, 40)],
         lambda b: ((7.5 - 1.5) * b,)),
    Case("int_matmul", "imm", INT_MATMUL,
         lambda r: [r.integers(-9, 9, (5, 6)).astype(np.int32),
                    r.integers(-9, 9, (6, 7)).astype(np.int32)],
         lambda a, b: (a @ b,)),
    Case("transpose_view", "tv", TRANSPOSE_VIEW, lambda r: [_f32(r, 4, 5)],
         lambda x: (x.T.copy(), x.T.reshape(-1) * 2)),
    Case("long_sum", "total", LONG_SUM, lambda r: [_f32(r, 5000)],
         lambda x: (np.array(np.sum(x.astype(np.float64) ** 2), np.float32),)),
    Case("tiled_sum_with_remainder", "rows", TILED_SUM_WITH_REMAINDER, lambda r: [_f32(r, 10, 6)],
         lambda x: (x.sum(axis=1),)),
    Case("batched_contraction", "bmm", BATCHED_CONTRACTION,
         lambda r: [_f32(r, 2, 5, 6), _f32(r, 2, 6, 7), np.abs(_f32(r, 2, 5)) + 1],
         lambda a, b, s: ((np.exp(a) / s[:, :, None]) @ b,)),
    Case("external_call", "ext", EXTERNAL_CALL, lambda r: [_f32(r, 3, 8)],
         lambda x: (np.cumsum(2 * x, axis=1) ** 2,), plugin="tfir_mylib"),
    Case("folded_transpose", "ft", FOLDED_TRANSPOSE, lambda r: [_f32(r, 3, 5)],
         lambda x: (np.exp(x.T),)),
    Case("column_max_iota", "cm", COLUMN_MAX_IOTA,
         lambda r: [r.integers(-50, 50, (4, 30)).astype(np.int32)],
         lambda x: (x.max(axis=0),
                    np.multiply.outer(np.arange(4), np.arange(30)) + x.astype(np.int64) // 3)),
]


@dataclass
class Program:
    """A `.tf` program run through the whole pipeline with tiny CPU tiles, so
    that tile loops and remainder pieces reach `convert-loops-to-device`."""

    name: str
    source: str
    inputs: Callable[[np.random.Generator], list[np.ndarray]]
    reference: Callable[..., tuple[np.ndarray, ...]]


TINY_TILES = {"tile-linalg": {"min_points": 64, "max_tile_bytes": 1024}}


def _softmax_rows(h):
    e = np.exp(h - h.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


PROGRAMS = [
    Program("mlp_softmax", """
fn main(x: f32[37, 24], w: f32[24, 19], b: f32[19]) -> f32[37, 19] {
    return softmax(relu(x @ w + b), axis=-1);
}""", lambda r: [_f32(r, 37, 24), _f32(r, 24, 19), _f32(r, 19)],
        lambda x, w, b: (_softmax_rows(np.maximum(x @ w + b, 0)),)),
    Program("layernorm_argmax", """
fn main(x: f32[29, 33], g: f32[33]) -> (f32[29, 33], i64[33]) {
    let m = mean(x, axis=1, keepdims=true);
    let d = x - m;
    let v = mean(d * d, axis=1, keepdims=true);
    return d / sqrt(v + 0.00001) * g, argmax(x, axis=0);
}""", lambda r: [_f32(r, 29, 33), _f32(r, 33)],
        lambda x, g: ((x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5) * g,
                      x.argmax(axis=0).astype(np.int64))),
]


def context():
    """The dialects of the loops and device levels (independent of the pipeline module)."""
    from xdsl.context import Context
    from xdsl.dialects import arith, builtin, func, linalg, math, memref, scf

    from tfir.dialects.device import DEVICE

    ctx = Context()
    for dialect in (builtin.Builtin, func.Func, arith.Arith, math.Math, linalg.Linalg,
                    memref.MemRef, scf.Scf, DEVICE):
        ctx.load_dialect(dialect)
    return ctx


def lower_to_device(ctx, module) -> None:
    """Runs the passes of stage `device` (target triton) on a loop-level module."""
    from tfir.pipeline import make_pass, steps_for

    for step in steps_for("triton"):
        if step.stage == "device":
            make_pass(step, None, "triton").apply(ctx, module)


def lower(text: str):
    """A loop-level module, parsed, through stage `device`, verified."""
    from xdsl.parser import Parser

    ctx = context()
    module = Parser(ctx, text).parse_module()
    lower_to_device(ctx, module)
    module.verify()
    return module


def kernels(module) -> list:
    """The `device.kernel` ops of a module."""
    from tfir.dialects.device import KernelOp

    return [op for op in module.ops if isinstance(op, KernelOp)]


def _map(ndims: int, results: Sequence[int]) -> str:
    dims = ", ".join(f"d{i}" for i in range(ndims))
    return f"affine_map<({dims}) -> ({', '.join(f'd{r}' for r in results)})>"


def _memref(shape: Sequence[int], layout: str = "") -> str:
    inner = "x".join(str(s) for s in shape) + "x" if shape else ""
    return f"memref<{inner}f32{', ' + layout if layout else ''}>"


def random_case(seed: int) -> Case:
    """A random elementwise or reduction generic: broadcast and permuted
    operands, an input that is a strided subview of a bigger buffer."""
    rng = np.random.default_rng(seed)
    rank = int(rng.integers(1, 4))
    shape = [int(s) for s in rng.integers(1, 10, rank)]
    pad = [int(p) for p in rng.integers(0, 3, rank)]
    big = [s + p for s, p in zip(shape, pad, strict=True)]
    strides = [int(np.prod(big[i + 1:])) for i in range(rank)]
    offset = sum(p * st for p, st in zip(pad, strides, strict=True))
    view_t = _memref(shape, f"strided<[{', '.join(map(str, strides))}], offset: {offset}>")
    bdims = sorted(int(d) for d in rng.choice(rank, int(rng.integers(0, rank + 1)), replace=False))
    reduce = bool(rng.integers(0, 2))
    red = sorted(int(d) for d in rng.choice(rank, int(rng.integers(1, rank + 1)), replace=False)) \
        if reduce else []
    kept = [d for d in range(rank) if d not in red]
    perm = [int(d) for d in rng.permutation(kept)] if not reduce else kept
    out_shape = [shape[d] for d in perm]
    iters = ", ".join('"reduction"' if d in red else '"parallel"' for d in range(rank))
    kind = "maximumf" if reduce and rng.integers(0, 2) else "addf"
    body = ("%m = arith.mulf %y, %two : f32\n    %s = arith.addf %x, %m : f32\n"
            + (f"    %r = arith.{kind} %s, %o : f32\n    linalg.yield %r : f32" if reduce
               else "    linalg.yield %s : f32"))
    init = "0xFF800000" if kind == "maximumf" else "0.0"
    fill = (f"  %i = arith.constant {init} : f32\n  linalg.fill ins(%i : f32) outs(%out : "
            f"{_memref(out_shape)})\n") if reduce else ""
    text = f"""
func.func @rand(%big: {_memref(big)}, %b: {_memref([shape[d] for d in bdims])}) -> {_memref(out_shape)} {{
  %two = arith.constant 2.0 : f32
  %a = memref.subview %big[{', '.join(map(str, pad))}] [{', '.join(map(str, shape))}] [{', '.join(['1'] * rank)}] : {_memref(big)} to {view_t}
  %out = memref.alloc() : {_memref(out_shape)}
{fill}  linalg.generic {{indexing_maps = [{_map(rank, range(rank))}, {_map(rank, bdims)}, {_map(rank, perm)}], iterator_types = [{iters}]}} ins(%a, %b : {view_t}, {_memref([shape[d] for d in bdims])}) outs(%out : {_memref(out_shape)}) {{
  ^bb0(%x: f32, %y: f32, %o: f32):
    {body}
  }}
  func.return %out : {_memref(out_shape)}
}}
"""

    def reference(bigv, bv):
        a = bigv[tuple(slice(p, None) for p in pad)]
        bfull = bv.reshape([shape[d] if d in bdims else 1 for d in range(rank)])
        v = a + bfull * np.float32(2)
        if reduce:
            v = v.max(axis=tuple(red)) if kind == "maximumf" else v.sum(axis=tuple(red))
            return (np.asarray(v, np.float32),)
        return (np.transpose(v, perm).copy(),)

    return Case(f"random_{seed}", "rand", text,
                lambda r: [_f32(r, *big), _f32(r, *[shape[d] for d in bdims])], reference)


RANDOM_CASES = [random_case(seed) for seed in range(12)]
