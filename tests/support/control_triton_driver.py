"""Runs in a subprocess for tests/integration/test_control_differential.py:
`interpret` runs every program of control_programs.py on the triton target
under TRITON_INTERPRET=1; `ptx` compiles every kernel those programs generate
for sm_90 with `triton.compile` (no GPU needed). Prints one `OK name` or
`FAIL name: reason` line per program."""

from __future__ import annotations

import linecache
import os
import sys
import tempfile
import traceback
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.control_programs import PROGRAMS, check  # noqa: E402


def interpret(program) -> str | None:
    import tfir

    prog = tfir.compile_source(program.source, f"{program.name}.tf", target="triton", cache=False)
    return check(program, prog.main)


def ptx(program) -> str | None:
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler.compiler import ASTSource

    import tfir
    from tfir.backends.registry import BACKENDS
    from tfir.backends.triton import runtime

    sources: list[str] = []

    def capture(source: str, entry: str, filename: str):
        sources.append(source)
        raise KeyboardInterrupt  # stop before running: only the code is wanted

    runtime.require_device = lambda: None
    BACKENDS["triton"].load = capture  # type: ignore[method-assign]
    prog = tfir.compile_source(program.source, f"{program.name}.tf", target="triton", cache=False)
    try:
        check(program, prog.main)
    except KeyboardInterrupt:
        pass
    filename = os.path.join(tempfile.mkdtemp(), f"{program.name}_triton.py")
    linecache.cache[filename] = (len(sources[0]), None, sources[0].splitlines(True), filename)
    module = types.ModuleType(f"ptx_{program.name}")
    module.__file__ = filename  # Triton reads a @jit function's source through linecache
    exec(compile(sources[0], filename, "exec"), module.__dict__)
    for name, k in module.KERNELS.items():
        compiled = triton.compile(ASTSource(fn=k["fn"], signature=k["signature"], constexprs=k["constexprs"]),
                                  target=GPUTarget("cuda", 90, 32), options={"num_warps": k["num_warps"]})
        if f".entry {name}" not in compiled.asm["ptx"]:
            return f"no PTX entry for {name}"
    return None


def main() -> None:
    mode = sys.argv[1]
    for program in PROGRAMS:
        try:
            problem = (interpret if mode == "interpret" else ptx)(program)
        except Exception:  # noqa: BLE001 - reported per program
            problem = traceback.format_exc().strip().splitlines()[-1]
        print(f"OK {program.name}" if problem is None else f"FAIL {program.name}: {problem}", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("TFIR_CACHE", "0")
    main()
