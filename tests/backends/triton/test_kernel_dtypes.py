"""The Triton kernels of every dtype path (issue 13): Triton's math functions
take fp32 and fp64 only (sqrt_rn fp32 only), so f16 is computed in f32 and
rounded back; max/min reductions propagate NaN and arg-reductions take the
first NaN, as NumPy; integer powers have a helper. Checked on the generated
text here, and run under the interpreter in tests/integration."""

from __future__ import annotations

import pytest

import tfir

pytest.importorskip("triton")


def _code(source: str) -> str:
    prog = tfir.compile_source(source, "k.tf", target="numpy", cache=False)
    from tfir.api import Function  # noqa: F401 - the same program, Triton's code
    from tfir.inspect.trace import generate_code, trace

    return generate_code(trace(prog, "main", "triton"))


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "rsqrt", "tanh", "sin", "cos", "floor", "ceil", "erf"])
def test_f16_math_is_computed_in_f32(op: str) -> None:
    code = _code(f"fn main(x: f16[8]) -> f16[8] {{\n    return {op}(abs(x) + 1.0);\n}}\n")
    assert ".to(tl.float32)).to(tl.float16)" in code


def test_f64_sqrt_is_not_sqrt_rn() -> None:
    code = _code("fn main(x: f64[8]) -> f64[8] {\n    return sqrt(abs(x));\n}\n")
    assert "tl.sqrt(" in code and "sqrt_rn" not in code
    code = _code("fn main(x: f32[8]) -> f32[8] {\n    return sqrt(abs(x));\n}\n")
    assert "tl.sqrt_rn(" in code


def test_float_reductions_follow_numpy_on_nan() -> None:
    code = _code("fn main(x: f32[4, 6]) -> (f32[4], f32[4], i64[4], i64[4]) {\n"
                 "    return max(x, axis=1), min(x, axis=1), argmax(x, axis=1), argmin(x, axis=1);\n}\n")
    for helper in ("_nanmax", "_nanmin", "_argmax", "_argmin"):
        assert f"def {helper}(" in code
    assert "tl.max(v" not in code


def test_integer_reductions_keep_triton_s() -> None:
    code = _code("fn main(x: i32[4, 6]) -> (i32[4], i64[4]) {\n    return max(x, axis=1), argmax(x, axis=1);\n}\n")
    assert "_nanmax" not in code and "tl.max(" in code and "tl.argmax(" in code


def test_integer_powers_and_nan_splats() -> None:
    code = _code("fn main(a: i32[8], b: i32[8], x: f32[8], y: f32[8]) -> (i32[8], f32[8]) {\n"
                 "    return a ** abs(b), floordiv(x, y);\n}\n")
    assert "def _ipow(" in code and "(INF - INF)" in code  # the NaN of floordiv(x, 0.0), a literal


PTX_SCRIPT = r'''
import linecache, sys, types
from pathlib import Path
import triton
from triton.backends.compiler import GPUTarget
from triton.compiler.compiler import ASTSource
import tfir
from tfir.inspect.trace import generate_code, trace

for path in sys.argv[1:]:
    prog = tfir.compile_file(path, target="numpy")
    entry = prog.entries[-1]
    src = generate_code(trace(prog, entry, "triton", dims={"N": 5}))
    filename = f"/tmp/ptx_{Path(path).stem}.py"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    module = types.ModuleType("ptx_" + Path(path).stem)
    module.__file__ = filename
    exec(compile(src, filename, "exec"), module.__dict__)
    for name, k in module.KERNELS.items():
        compiled = triton.compile(ASTSource(fn=k["fn"], signature=k["signature"], constexprs=k["constexprs"]),
                                  target=GPUTarget("cuda", 90, 32), options={"num_warps": k["num_warps"]})
        assert f".entry {name}" in compiled.asm["ptx"], name
    print("OK", Path(path).name, len(module.KERNELS))
'''


def test_the_dtype_paths_compile_to_ptx() -> None:
    """The helpers (f16 in f32, NaN reductions, integer and IEEE powers) are valid
    Triton for a GPU, not only under the interpreter: compiled to PTX for sm_90."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    programs = sorted((Path(__file__).parents[2] / "integration" / "programs").glob("issue13_*.tf"))
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    proc = subprocess.run([sys.executable, "-c", PTX_SCRIPT, *map(str, programs)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("OK ") == len(programs)
