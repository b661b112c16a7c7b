"""Compiling generated Triton modules to PTX for sm_90 without a GPU."""

from __future__ import annotations

import linecache
import os
import types


def compile_kernels(source: str, name: str, tmp: str) -> list[str]:
    """Compiles every kernel in `KERNELS` of a generated Triton module with
    `triton.compile(ASTSource(...), target=GPUTarget("cuda", 90, 32))`;
    returns the kernel names. Must run without TRITON_INTERPRET."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler.compiler import ASTSource

    filename = os.path.join(tmp, f"{name}.py")
    with open(filename, "w", encoding="utf-8") as f:  # Triton reads the kernels' source back
        f.write(source)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType(f"ptx_{name}")
    module.__file__ = filename
    exec(compile(source, filename, "exec"), module.__dict__)
    for kname, k in module.KERNELS.items():
        compiled = triton.compile(
            ASTSource(fn=k["fn"], signature=k["signature"], constexprs=k["constexprs"]),
            target=GPUTarget("cuda", 90, 32), options={"num_warps": k["num_warps"]})
        assert f".entry {kname}" in compiled.asm["ptx"], f"no PTX entry for {kname}"
    return list(module.KERNELS)
