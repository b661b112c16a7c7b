"""Running the `mlir` target's output under upstream MLIR: the scalar loops
that `tfir lower --target mlir` prints, lowered to LLVM by `mlir-opt` and run
by `mlir-runner` (Debian's `mlir-22-tools`).

The inputs become constant globals (their raw bytes, so NaN, inf and -0.0
survive, and a write into an input faults), and a driver function calls the
entry and prints every element of every result as the integer of its bits,
so the values come back exactly.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import MemRefType, ModuleOp

from tfir.dialects.dtypes import element_type
from tfir.errors import TfirError

TOOLS = ("mlir-opt-22", "mlir-opt"), ("mlir-runner-22", "mlir-runner")
TO_LLVM = (
    "--convert-scf-to-cf", "--convert-math-to-funcs", "--convert-math-to-llvm", "--convert-math-to-libm",
    "--expand-strided-metadata",
    "--lower-affine", "--finalize-memref-to-llvm", "--convert-arith-to-llvm", "--convert-cf-to-llvm",
    "--convert-func-to-llvm", "--reconcile-unrealized-casts",
)
# How an element becomes an i64 to print: (bits type, ops), `%v` the element.
_TO_BITS = {
    "f64": ["arith.bitcast %v : f64 to i64"],
    "f32": ["arith.bitcast %v : f32 to i32", "arith.extui %0 : i32 to i64"],
    "f16": ["arith.bitcast %v : f16 to i16", "arith.extui %0 : i16 to i64"],
    "i64": [],
    "i32": ["arith.extsi %v : i32 to i64"],
    "i1": ["arith.extui %v : i1 to i64"],
}
_FROM_BITS = {"f64": (np.uint64, np.float64), "f32": (np.uint32, np.float32), "f16": (np.uint16, np.float16)}


class MlirUnavailable(TfirError):
    """mlir-opt or mlir-runner (or the runner's libraries) is not installed."""


def tools() -> tuple[str, str, str]:
    """The paths of mlir-opt, mlir-runner and the runner's C library."""
    found = [next((p for p in (shutil.which(n) for n in names) if p), None) for names in TOOLS]
    if None in found:
        raise MlirUnavailable("mlir-opt-22 and mlir-runner-22 are not on PATH (apt-get install mlir-22-tools)")
    opt, runner = found
    assert opt is not None and runner is not None
    lib_dirs = [Path(runner).resolve().parent.parent / "lib", Path("/usr/lib/llvm-22/lib")]
    libs = sorted(p for d in lib_dirs if d.is_dir() for p in d.glob("libmlir_c_runner_utils.so*"))
    if not libs:
        raise MlirUnavailable("libmlir_c_runner_utils.so of mlir-runner not found")
    return opt, runner, str(libs[0])


def available() -> bool:
    try:
        tools()
    except MlirUnavailable:
        return False
    return True


def _hex(array: np.ndarray) -> str:
    return '"0x' + np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes().hex().upper() + '"'


def _dense(array: np.ndarray) -> str:
    if array.dtype == np.bool_:
        return "[" + ", ".join(_dense(x) for x in array) + "]" if array.ndim else ("true" if array else "false")
    if array.dtype.kind in "iu":
        return np.array2string(array, separator=", ", threshold=1 << 30).replace("\n", "") if array.ndim \
            else str(int(array))
    return _hex(array)


_EXPM1 = re.compile(r"^(\s*)(%[\w.$-]+) = math\.expm1 (%[\w.$-]+)(?: fastmath<\w+>)? : (f16|f32|f64)$", re.M)


def _libm_expm1(text: str) -> str:
    """`math.expm1` as a call of libm's expm1: MathToLLVM lowers it as
    `exp(x) - 1`, which loses -0.0 (and digits near 0), and MathToLibm cannot
    run before it (it fails on the math ops libm lacks, `math.absi`)."""
    count = iter(range(1 << 30))

    def call(m: re.Match[str]) -> str:
        pad, res, arg, t = m.groups()
        if t == "f64":
            return f"{pad}{res} = func.call @expm1({arg}) : (f64) -> f64"
        if t == "f32":
            return f"{pad}{res} = func.call @expm1f({arg}) : (f32) -> f32"
        wide = f"%tfir_expm1_{next(count)}"
        return (f"{pad}{wide} = arith.extf {arg} : f16 to f32\n{pad}{wide}_e = func.call @expm1f({wide}) : (f32) -> f32\n"
                f"{pad}{res} = arith.truncf {wide}_e : f32 to f16")
    return _EXPM1.sub(call, text)


def driver(module: ModuleOp, entry: str, inputs: Sequence[np.ndarray]) -> str:
    """The module, constant globals of the inputs and `@tfir_driver`, which calls
    `entry` and prints the bits of every result element, one per line."""
    fn = next(op for op in module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == entry)
    arg_types = [str(a.type) for a in fn.body.block.args]
    results = list(fn.function_type.outputs.data)
    lines = [_libm_expm1(str(module)).rstrip().removesuffix("}")]
    lines += ["  func.func private @expm1f(f32) -> f32", "  func.func private @expm1(f64) -> f64"]
    for i, (array, t) in enumerate(zip(inputs, arg_types, strict=True)):
        lines.append(f'  "memref.global"() <{{sym_name = "tfir_in{i}", type = {t}, initial_value = '
                     f'dense<{_dense(np.asarray(array))}> : {t.replace("memref", "tensor", 1)}, '
                     f'sym_visibility = "private", constant}}> : () -> ()')
    lines += ["  func.func private @printI64(i64)", "  func.func private @printNewline()",
              "  func.func @tfir_driver() {", "    %c0 = arith.constant 0 : index",
              "    %c1 = arith.constant 1 : index"]
    for i, t in enumerate(arg_types):
        lines.append(f"    %a{i} = memref.get_global @tfir_in{i} : {t}")
    args = ", ".join(f"%a{i}" for i in range(len(arg_types)))
    rtypes = ", ".join(str(t) for t in results)
    lines.append(f"    %r:{max(len(results), 1)} = func.call @{entry}({args}) : ({', '.join(arg_types)}) -> ({rtypes})"
                 if results else f"    func.call @{entry}({args}) : ({', '.join(arg_types)}) -> ()")
    for i, t in enumerate(results):
        assert isinstance(t, MemRefType)
        lines += _print_loops(i, t)
    lines += ["    func.return", "  }", "}"]
    return "\n".join(lines)


def _print_loops(i: int, t: MemRefType) -> list[str]:
    shape, elem = list(t.get_shape()), str(t.get_element_type())
    lines, ivs = [], []
    for d, n in enumerate(shape):
        lines.append(f"    %n{i}_{d} = arith.constant {n} : index")
        lines.append(f"    scf.for %i{i}_{d} = %c0 to %n{i}_{d} step %c1 {{")
        ivs.append(f"%i{i}_{d}")
    lines.append(f"    %v{i} = memref.load %r#{i}[{', '.join(ivs)}] : {t}")
    value = f"%v{i}"
    for k, op in enumerate(_TO_BITS[elem]):
        lines.append(f"    %b{i}_{k} = " + op.replace("%v", value).replace("%0", value))
        value = f"%b{i}_{k}"
    lines += [f"    func.call @printI64({value}) : (i64) -> ()", "    func.call @printNewline() : () -> ()"]
    lines += ["    }"] * len(shape)
    return lines


def run_module(module: ModuleOp, entry: str, inputs: Sequence[np.ndarray], timeout: float = 60) -> list[np.ndarray]:
    """Runs `entry` of a module at the `scalar-loops` stage on `inputs` under
    mlir-runner; its results, exactly. Raises RuntimeError if a tool fails."""
    opt, runner, lib = tools()
    fn = next(op for op in module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == entry)
    results = list(fn.function_type.outputs.data)
    text = driver(module, entry, inputs)
    llvm = subprocess.run([opt, *TO_LLVM, "-"], input=text, capture_output=True, text=True, timeout=timeout)
    if llvm.returncode != 0:
        raise RuntimeError(f"mlir-opt rejected the module:\n{llvm.stderr[-4000:]}")
    proc = subprocess.run([runner, "-e", "tfir_driver", "-entry-point-result=void", f"-shared-libs={lib}"],
                          input=llvm.stdout, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"mlir-runner failed (status {proc.returncode}):\n{proc.stderr[-4000:]}")
    values = [int(v) for v in proc.stdout.split()]
    out, pos = [], 0
    for t in results:
        assert isinstance(t, MemRefType)
        shape = tuple(t.get_shape())
        n = int(np.prod(shape, dtype=np.int64))
        chunk = np.array(values[pos:pos + n], dtype=np.int64)
        pos += n
        out.append(_decode(chunk, str(t.get_element_type())).reshape(shape))
    return out


def _decode(bits: np.ndarray, elem: str) -> np.ndarray:
    if elem in _FROM_BITS:
        unsigned, floating = _FROM_BITS[elem]
        return bits.astype(unsigned).view(floating)
    if elem == "i1":
        return bits.astype(np.bool_)
    return bits.astype(element_type(elem).numpy if elem != "i1" else np.bool_)


def mlir_opt_check(text: str, timeout: float = 60) -> str:
    """'' when mlir-opt parses and verifies `text`, else its complaint."""
    opt, _, _ = tools()
    proc = subprocess.run([opt, "-"], input=text, capture_output=True, text=True, timeout=timeout)
    return "" if proc.returncode == 0 else proc.stderr[-4000:]
