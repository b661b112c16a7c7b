"""Upstream MLIR accepts what the `mlir` target emits (docs/ir-levels.md §5).

Each module of the scalar-loop tests is printed by xDSL and parsed and
verified by `mlir-opt-22` (Debian's `mlir-22-tools`) unchanged; the buffers
(§3) and tiled loops (§4) forms are checked the same way. Then the scalar
loops are lowered to the LLVM dialect by `mlir-opt-22` and run by
`mlir-runner-22` against the tensor-level NumPy reference, with the inputs
as constant globals, so that writing an entry argument would fault. Skipped,
with the reason, where the tools are not on PATH.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from buffers_testing import apply, lower_to_loops, main_func, parse_located, randn
from linalg_ref import run as run_reference
from test_bufferize import EXTERNAL_CALL
from test_scalar_loops import ALL
from test_tiling import SMALL, big
from xdsl.dialects.builtin import MemRefType, ModuleOp

MLIR_OPT = shutil.which("mlir-opt-22")
MLIR_RUNNER = shutil.which("mlir-runner-22")
RUNNER_LIBS = Path("/usr/lib/llvm-22/lib")

needs_mlir_opt = pytest.mark.skipif(
    MLIR_OPT is None, reason="mlir-opt-22 not on PATH (apt-get install mlir-22-tools)"
)

TO_LLVM = [
    "--convert-scf-to-cf", "--convert-math-to-llvm", "--convert-math-to-libm", "--expand-strided-metadata", "--lower-affine",
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
    libs = ",".join(str(p) for p in (RUNNER_LIBS / "libmlir_runner_utils.so.22.1",
                                     RUNNER_LIBS / "libmlir_c_runner_utils.so.22.1"))
    proc = subprocess.run([MLIR_RUNNER, "-e", "tfir_driver", "-entry-point-result=void",
                           f"-shared-libs={libs}"], input=llvm, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    got = parse_printed(proc.stdout)
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
    from conftest import CONFORMANCE_PROGRAMS, EXAMPLES
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
    if any(op.name.startswith("scf.") for op in module.walk()):
        # The linalg reference interpreter has no loops: the eager target is the reference.
        import tfir
        from tfir.cli import random_inputs
        fn = tfir.compile_file(path, target="eager")[name]
        got = fn(**random_inputs(fn.fn, {}, {"B": 2, "T": 3, "D": 4, "H": 5}, 0))
        want = list(got) if isinstance(got, tuple) else [got]
    else:
        want = run_reference(module.clone(), name, *inputs)
    passes = ("bufferize", "plan-buffers", *(["tile-linalg"] if tiled else []))
    apply(module, *passes, "convert-linalg-to-scalar-loops", **SMALL)
    llvm = mlir_opt(program_driver(module, inputs, name), *TO_LLVM)
    libs = ",".join(str(p) for p in (RUNNER_LIBS / "libmlir_runner_utils.so.22.1",
                                     RUNNER_LIBS / "libmlir_c_runner_utils.so.22.1"))
    proc = subprocess.run([MLIR_RUNNER, "-e", "tfir_driver", "-entry-point-result=void",
                           f"-shared-libs={libs}"], input=llvm, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    got = parse_printed(proc.stdout)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        w = np.asarray(w)
        if w.dtype == np.float16:
            np.testing.assert_allclose(g, w.astype(np.float64), rtol=2e-3, atol=2e-3)
        else:
            np.testing.assert_allclose(g, w.astype(np.float64), rtol=1e-4, atol=1e-4, equal_nan=True)


# -- loops, branches and tensor indexing on the mlir target -----------------------------

def _control_programs() -> list:
    from tests.support.control_programs import PROGRAMS
    return [p for p in PROGRAMS if p.error_line is None]


@pytest.mark.skipif(MLIR_OPT is None or MLIR_RUNNER is None,
                    reason="mlir-opt-22 / mlir-runner-22 not on PATH (apt-get install mlir-22-tools)")
@pytest.mark.parametrize("program", _control_programs(), ids=lambda p: p.name)
def test_loops_and_indexing_run_under_mlir(program) -> None:
    """The mlir target keeps the program's `scf` loops and branches and turns the
    gathers, scatters and index checks into loop nests: mlir-runner computes
    the NumPy reference."""
    import tfir
    from tfir.pipeline import run_pipeline

    fn = tfir.compile_source(program.source, f"{program.name}.tf", target="eager")["main"]
    inputs = program.inputs(np.random.default_rng(0))
    arrays, statics = fn.bind_inputs((), inputs)
    module = fn.specialize(arrays, statics).tf_module.clone()
    run_pipeline(module, "mlir")
    assert any(op.name in ("scf.for", "scf.while") for op in module.walk())
    llvm = mlir_opt(program_driver(module, [np.asarray(a) for a in arrays.values()], "main"), *TO_LLVM)
    libs = ",".join(str(p) for p in (RUNNER_LIBS / "libmlir_runner_utils.so.22.1",
                                     RUNNER_LIBS / "libmlir_c_runner_utils.so.22.1"))
    proc = subprocess.run([MLIR_RUNNER, "-e", "tfir_driver", "-entry-point-result=void",
                           f"-shared-libs={libs}"], input=llvm, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    got, want = parse_printed(proc.stdout), program.reference(**inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, np.asarray(w, dtype=np.float64), rtol=1e-4, atol=1e-4)
