"""Runs in a subprocess for the Triton tests: `interpret` runs every case
under TRITON_INTERPRET=1 and compares with NumPy; `ptx` compiles every
generated kernel for sm_90 with `triton.compile` (no GPU needed).
Prints one `OK name` or `FAIL name: reason` line per case."""

from __future__ import annotations

import os
import sys
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

from tfir.backends.triton_backend import generate  # noqa: E402
from tfir.lowering.convert_loops_to_device import ConvertLoopsToDevicePass  # noqa: E402
from triton_cases import CASES, context  # noqa: E402
from xdsl.parser import Parser  # noqa: E402


def source_of(case) -> str:
    ctx = context()
    module = Parser(ctx, case.mlir).parse_module()
    ConvertLoopsToDevicePass().apply(ctx, module)
    module.verify()
    return generate(module, case.entry)


def interpret(case, tmp: str) -> None:
    from tfir.backends.triton_backend import load

    fn = load(source_of(case), case.entry, os.path.join(tmp, f"{case.name}.py"))
    inputs = case.inputs(np.random.default_rng(0))
    got, want = fn(*inputs), case.reference(*inputs)
    assert len(got) == len(want), f"{len(got)} results, want {len(want)}"
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype, f"{g.shape} {g.dtype} vs {w.shape} {w.dtype}"
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-5)


def ptx(case, tmp: str) -> None:
    import linecache
    import types

    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler.compiler import ASTSource

    src = source_of(case)
    filename = os.path.join(tmp, f"{case.name}.py")
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    module = types.ModuleType(f"ptx_{case.name}")
    module.__file__ = filename
    exec(compile(src, filename, "exec"), module.__dict__)
    for name, k in module.KERNELS.items():
        compiled = triton.compile(
            ASTSource(fn=k["fn"], signature=k["signature"], constexprs=k["constexprs"]),
            target=GPUTarget("cuda", 90, 32), options={"num_warps": k["num_warps"]})
        assert f".entry {name}" in compiled.asm["ptx"], f"no PTX entry for {name}"


def main() -> None:
    mode, tmp, names = sys.argv[1], sys.argv[2], set(sys.argv[3:])
    run = interpret if mode == "interpret" else ptx
    for case in CASES:
        if names and case.name not in names:
            continue
        try:
            run(case, tmp)
            print(f"OK {case.name}", flush=True)
        except Exception as err:  # reported per case to the test
            detail = "".join(traceback.format_exception_only(err)).strip().replace("\n", " | ")
            print(f"FAIL {case.name}: {detail}", flush=True)


if __name__ == "__main__":
    main()
