"""Upstream MLIR accepts what the `mlir` target emits (docs/ir-levels.md §5).

Each module of the scalar-loop tests is printed by xDSL and parsed and
verified by `mlir-opt-22` (Debian's `mlir-22-tools`) unchanged; the buffers
(§3) and tiled loops (§4) forms are checked the same way. Then the scalar
loops are lowered to the LLVM dialect by `mlir-opt-22` and run by
`mlir-runner-22` against the tensor-level NumPy reference, with the inputs
as constant globals, so that writing an entry argument would fault. The IR
that convert-tf-to-linalg lowers every `tf` op kind to is accepted as well.
Skipped, with the reason, where the tools are not on PATH.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import MemRefType, ModuleOp

import tfir
from tests.support.buffers_testing import apply, lower_to_loops, main_func, parse_located, randn
from tests.support.control_programs import PROGRAMS as CONTROL_PROGRAMS
from tests.support.linalg_ref import run as run_reference
from tests.support.linalg_testing import lower, print_ir, tf_module, ttype
from tests.support.loop_cases import ALL, EXTERNAL_CALL, SMALL, big
from tests.support.tf_op_cases import (
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
from tfir.cli import random_inputs
from tfir.pipeline import run_pipeline

MLIR_OPT = shutil.which("mlir-opt-22")
MLIR_RUNNER = shutil.which("mlir-runner-22")
RUNNER_LIBS = Path("/usr/lib/llvm-22/lib")

needs_mlir_opt = pytest.mark.skipif(
    MLIR_OPT is None, reason="mlir-opt-22 not on PATH (apt-get install mlir-22-tools)"
)

TO_LLVM = [
    "--convert-scf-to-cf", "--convert-math-to-funcs", "--convert-math-to-llvm", "--convert-math-to-libm", "--expand-strided-metadata", "--lower-affine",
    "--finalize-memref-to-llvm", "--convert-arith-to-llvm", "--convert-cf-to-llvm",
    "--convert-func-to-llvm", "--reconcile-unrealized-casts",
]

CASES = {**ALL, "big": big(6, 5, 3)}


def mlir_opt(text: str, *flags: str) -> str:
    assert MLIR_OPT is not None
    proc = subprocess.run([MLIR_OPT, *flags, "-"], input=text, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr + "\n--- input ---\n" + text
    return proc.stdout


@needs_mlir_opt
@pytest.mark.parametrize("name", CASES)
def test_mlir_opt_accepts_scalar_loops(name: str) -> None:
    text = str(lower_to_loops(CASES[name]))
    out = mlir_opt(text, "--verify-diagnostics")
    assert "scf.for" in out and "linalg." not in out


@needs_mlir_opt
def test_mlir_opt_accepts_external_calls() -> None:
    out = mlir_opt(str(lower_to_loops(EXTERNAL_CALL)))
    assert "call @mylib_cumsum" in out


@needs_mlir_opt
@pytest.mark.parametrize("name", CASES)
def test_mlir_opt_accepts_buffers_and_tiled_forms(name: str) -> None:
    module = apply(parse_located(CASES[name]), "bufferize", "plan-buffers")
    mlir_opt(str(module))
    apply(module, "tile-linalg", **SMALL)
    mlir_opt(str(module))
    apply(module, "convert-linalg-to-scalar-loops")
    out = mlir_opt(str(module))
    assert "linalg." not in out


# -- running the loops under MLIR ------------------------------------------------------

_PRINTERS = {"f32": "printMemrefF32", "f64": "printMemrefF64", "i32": "printMemrefI32",
             "i64": "printMemrefI64"}


def _literal(array: np.ndarray) -> str:
    if array.ndim == 0:
        return _scalar(array[()])
    return "[" + ", ".join(_literal(x) for x in array) + "]"


def _scalar(x: object) -> str:
    if isinstance(x, np.floating):
        return f"{float(x):.9e}"
    return str(int(x))  # type: ignore[call-overload]


def driver(module: ModuleOp, inputs: list[np.ndarray]) -> str:
    """The module plus constant globals for the inputs and a function that
    calls @main and prints every result."""
    fn = main_func(module)
    arg_types = [str(a.type) for a in fn.body.block.args]
    res_types = [t for t in fn.function_type.outputs.data]
    lines = [str(module).rstrip().removesuffix("}")]
    for i, (array, t) in enumerate(zip(inputs, arg_types, strict=True)):
        lines.append(f'  "memref.global"() <{{sym_name = "tfir_in{i}", type = {t}, '
                     f'initial_value = dense<{_literal(array)}> : {t.replace("memref", "tensor")}, '
                     f'sym_visibility = "private", constant}}> : () -> ()')
    for name in sorted({_PRINTERS[str(t.get_element_type())] for t in res_types}):
        elem = next(k for k, v in _PRINTERS.items() if v == name)
        lines.append(f"  func.func private @{name}(memref<*x{elem}>) attributes {{llvm.emit_c_interface}}")
    lines.append("  func.func @tfir_driver() {")
    for i, t in enumerate(arg_types):
        lines.append(f"    %a{i} = memref.get_global @tfir_in{i} : {t}")
    args = ", ".join(f"%a{i}" for i in range(len(arg_types)))
    lines.append(f"    %r:{len(res_types)} = func.call @main({args}) : ({', '.join(arg_types)}) -> "
                 f"({', '.join(str(t) for t in res_types)})")
    for i, t in enumerate(res_types):
        assert isinstance(t, MemRefType)
        elem = str(t.get_element_type())
        lines.append(f"    %u{i} = memref.cast %r#{i} : {t} to memref<*x{elem}>")
        lines.append(f"    func.call @{_PRINTERS[elem]}(%u{i}) : (memref<*x{elem}>) -> ()")
    lines += ["    func.return", "  }", "}"]
    return "\n".join(lines)


def parse_printed(out: str) -> list[np.ndarray]:
    arrays = []
    for chunk in out.split("Unranked Memref")[1:]:
        sizes = [int(s) for s in re.search(r"sizes = \[([^\]]*)\]", chunk).group(1).split(",") if s.strip()]  # type: ignore[union-attr]
        data = chunk.split("data =", 1)[1]
        values = [float(v) for v in re.findall(r"[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)", data)]
        arrays.append(np.array(values).reshape(sizes))
    return arrays


def run_driver(llvm: str) -> list[np.ndarray]:
    """The arrays `tfir_driver` prints, run by mlir-runner with its runtime libraries."""
    libs = ",".join(str(p) for p in (RUNNER_LIBS / "libmlir_runner_utils.so.22.1",
                                     RUNNER_LIBS / "libmlir_c_runner_utils.so.22.1"))
    proc = subprocess.run([MLIR_RUNNER, "-e", "tfir_driver", "-entry-point-result=void",
                           f"-shared-libs={libs}"], input=llvm, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return parse_printed(proc.stdout)

@pytest.mark.skipif(MLIR_OPT is None or MLIR_RUNNER is None,
                    reason="mlir-opt-22 / mlir-runner-22 not on PATH (apt-get install mlir-22-tools)")
@pytest.mark.parametrize("name", CASES)
def test_mlir_runner_computes_the_reference(name: str) -> None:
    text = CASES[name]
    fn = main_func(parse_located(text))
    inputs = []
    for arg in fn.body.block.args:
        shape = arg.type.get_shape()  # type: ignore[attr-defined]
        rnd = randn(*shape, seed=len(inputs))
        inputs.append((rnd * 7).astype(np.int32) if "i32" in str(arg.type) else rnd)
    want = run_reference(parse_located(text), "main", *inputs)
    llvm = mlir_opt(driver(lower_to_loops(text), inputs), *TO_LLVM)
    got = run_driver(llvm)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, np.asarray(w, dtype=np.float64), rtol=1e-4, atol=1e-4)


# -- the conformance and example programs, through the whole pipeline -------------------

_NATIVE = {"f32", "f64", "i32", "i64"}
_WIDEN = {"i1": ("i32", "arith.extui"), "i8": ("i32", "arith.extsi"),
          "i16": ("i32", "arith.extsi"), "f16": ("f32", "arith.extf")}


def _widen_result(i: int, t: MemRefType) -> tuple[list[str], str]:
    """Driver lines copying result %r#i of a type no runner printer takes
    into a buffer of one it does; returns the lines and the new type."""
    elem = str(t.get_element_type())
    wide, cast = _WIDEN[elem]
    shape = t.get_shape()
    new_t = "memref<" + "".join(f"{n}x" for n in shape) + wide + ">"
    ivs = ", ".join(f"%w{i}_{d}" for d in range(len(shape)))
    lines = [f"    %wide{i} = memref.alloc() : {new_t}", "    %wc0 = arith.constant 0 : index",
             "    %wc1 = arith.constant 1 : index"]
    for d, n in enumerate(shape):
        lines.append(f"    %wn{i}_{d} = arith.constant {n} : index")
        lines.append(f"    scf.for %w{i}_{d} = %wc0 to %wn{i}_{d} step %wc1 {{")
    lines.append(f"    %wl{i} = memref.load %r#{i}[{ivs}] : {t}")
    lines.append(f"    %wx{i} = {cast} %wl{i} : {elem} to {wide}")
    lines.append(f"    memref.store %wx{i}, %wide{i}[{ivs}] : {new_t}")
    lines += ["    }"] * len(shape)
    return lines, new_t


def program_driver(module: ModuleOp, inputs: list[np.ndarray], name: str) -> str:
    """Like `driver`, for an entry named `name` with any result types."""
    fn = next(op for op in module.ops if getattr(op, "sym_name", None) is not None
              and op.sym_name.data == name and hasattr(op, "function_type"))  # type: ignore[attr-defined]
    arg_types = [str(a.type) for a in fn.body.block.args]
    res_types = list(fn.function_type.outputs.data)
    lines = [str(module).rstrip().removesuffix("}")]
    for i, (array, t) in enumerate(zip(inputs, arg_types, strict=True)):
        lines.append(f'  "memref.global"() <{{sym_name = "tfir_in{i}", type = {t}, '
                     f'initial_value = dense<{_literal(array)}> : {t.replace("memref", "tensor")}, '
                     f'sym_visibility = "private", constant}}> : () -> ()')
    for elem, printer in _PRINTERS.items():
        lines.append(f"  func.func private @{printer}(memref<*x{elem}>) attributes {{llvm.emit_c_interface}}")
    lines.append("  func.func @tfir_driver() {")
    for i, t in enumerate(arg_types):
        lines.append(f"    %a{i} = memref.get_global @tfir_in{i} : {t}")
    args = ", ".join(f"%a{i}" for i in range(len(arg_types)))
    lines.append(f"    %r:{len(res_types)} = func.call @{name}({args}) : ({', '.join(arg_types)}) -> "
                 f"({', '.join(str(t) for t in res_types)})")
    for i, t in enumerate(res_types):
        assert isinstance(t, MemRefType)
        value, type_text = f"%r#{i}", str(t)
        if str(t.get_element_type()) not in _NATIVE:
            widen, type_text = _widen_result(i, t)
            lines += widen
            value = f"%wide{i}"
        elem = type_text.rsplit("x", 1)[-1].rstrip(">") if "x" in type_text else type_text[7:-1]
        lines.append(f"    %u{i} = memref.cast {value} : {type_text} to memref<*x{elem}>")
        lines.append(f"    func.call @{_PRINTERS[elem]}(%u{i}) : (memref<*x{elem}>) -> ()")
    lines += ["    func.return", "  }", "}"]
    return "\n".join(lines)


def _programs():
    from tests.support.common import CONFORMANCE_PROGRAMS, EXAMPLES
    return [p for p in EXAMPLES + CONFORMANCE_PROGRAMS if p.name != "lib_activations.tf"]


def linalg_stage(path: Path):
    """The program's entry at the `linalg` stage (frontend and the passes
    before `bufferize`), its name and random inputs."""
    import tfir
    from tfir.cli import random_inputs
    from tfir.pipeline import PIPELINE, make_context, pass_class

    prog = tfir.compile_file(path, target="eager")
    name = prog.entries[-1]
    fn = prog[name]
    inputs = random_inputs(fn.fn, {}, {"B": 2, "T": 3, "D": 4, "H": 5}, 0)
    arrays, statics = fn.bind_inputs((), inputs)
    module = fn.specialize(arrays, statics).tf_module
    for step in PIPELINE:
        if step.stage in ("tf", "linalg"):
            pass_class(step.pass_name)().apply(make_context(), module)
    module.verify()
    values = arrays.values() if isinstance(arrays, dict) else arrays
    return module, name, [np.asarray(a) for a in values]


@pytest.mark.skipif(MLIR_OPT is None or MLIR_RUNNER is None,
                    reason="mlir-opt-22 / mlir-runner-22 not on PATH (apt-get install mlir-22-tools)")
@pytest.mark.parametrize("tiled", [False, True], ids=["mlir-target", "tiled"])
@pytest.mark.parametrize("path", _programs(), ids=lambda p: p.name)
def test_programs_run_under_mlir(path: Path, tiled: bool) -> None:
    try:
        module, name, inputs = linalg_stage(path)
    except Exception as e:  # the stages before ours are not this test's subject
        pytest.skip(f"no linalg-stage module: {type(e).__name__}: {e}")
    if any(op.name.startswith(("scf.", "linalgx.")) for op in module.walk()):
        # The linalg reference interpreter has no loops, gathers or scatters:
        # the eager target is the reference.
        fn = tfir.compile_file(path, target="eager")[name]
        got = fn(**random_inputs(fn.fn, {}, {"B": 2, "T": 3, "D": 4, "H": 5}, 0))
        want = list(got) if isinstance(got, tuple) else [got]
    else:
        want = run_reference(module.clone(), name, *inputs)
    passes = ("bufferize", "plan-buffers", *(["tile-linalg"] if tiled else []))
    apply(module, *passes, "convert-linalg-to-scalar-loops", **SMALL)
    llvm = mlir_opt(program_driver(module, inputs, name), *TO_LLVM)
    got = run_driver(llvm)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        w = np.asarray(w)
        if w.dtype == np.float16:
            np.testing.assert_allclose(g, w.astype(np.float64), rtol=2e-3, atol=2e-3)
        else:
            np.testing.assert_allclose(g, w.astype(np.float64), rtol=1e-4, atol=1e-4, equal_nan=True)


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


# -- loops, branches and tensor indexing on the mlir target -----------------------------

def _control_programs() -> list:
    return [p for p in CONTROL_PROGRAMS if p.error_line is None]


@pytest.mark.skipif(MLIR_OPT is None or MLIR_RUNNER is None,
                    reason="mlir-opt-22 / mlir-runner-22 not on PATH (apt-get install mlir-22-tools)")
@pytest.mark.parametrize("program", _control_programs(), ids=lambda p: p.name)
def test_loops_and_indexing_run_under_mlir(program) -> None:
    """The mlir target keeps the program's `scf` loops and branches and turns the
    gathers, scatters and index checks into loop nests: mlir-runner computes
    the NumPy reference."""
    fn = tfir.compile_source(program.source, f"{program.name}.tf", target="eager")["main"]
    inputs = program.inputs(np.random.default_rng(0))
    arrays, statics = fn.bind_inputs((), inputs)
    module = fn.specialize(arrays, statics).tf_module.clone()
    run_pipeline(module, "mlir")
    assert any(op.name in ("scf.for", "scf.while") for op in module.walk())
    llvm = mlir_opt(program_driver(module, [np.asarray(a) for a in arrays.values()], "main"), *TO_LLVM)
    got, want = run_driver(llvm), program.reference(**inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, np.asarray(w, dtype=np.float64), rtol=1e-4, atol=1e-4)

