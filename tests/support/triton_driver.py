"""Runs in a subprocess for the Triton tests: `interpret` runs every case
under TRITON_INTERPRET=1 and compares with NumPy; `ptx` compiles every
generated kernel for sm_90 with `triton.compile` (no GPU needed).
Prints one `OK name` or `FAIL name: reason` line per case."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository: `tests` is a package

from xdsl.parser import Parser  # noqa: E402

from tests.support.triton_cases import (  # noqa: E402
    CASES,
    PROGRAMS,
    RANDOM_CASES,
    TINY_TILES,
    context,
    load_plugin,
    lower_to_device,
)
from tfir.backends.registry import BACKENDS  # noqa: E402


def source_of(case) -> str:
    if case.plugin:
        load_plugin(case.plugin)
    ctx = context()
    module = Parser(ctx, case.mlir).parse_module()
    lower_to_device(ctx, module)
    module.verify()
    return BACKENDS["triton"].generate(module, case.entry)


def interpret(case, tmp: str) -> None:
    fn = BACKENDS["triton"].load(source_of(case), case.entry, os.path.join(tmp, f"{case.name}.py"))
    inputs = case.inputs(np.random.default_rng(0))
    got, want = fn(*inputs), case.reference(*inputs)
    assert len(got) == len(want), f"{len(got)} results, want {len(want)}"
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype, f"{g.shape} {g.dtype} vs {w.shape} {w.dtype}"
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-5)


def ptx(case, tmp: str) -> None:
    compile_all(source_of(case), case.name, tmp)


CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"


def missing_passes() -> list[str]:
    """Pipeline passes for target triton whose module is not written yet."""
    from tfir.pipeline import pass_class, steps_for

    missing = []
    for step in steps_for("triton"):
        try:
            pass_class(step.pass_name)
        except (ImportError, LookupError):
            missing.append(step.pass_name)
    return missing


def _upstream(err: Exception) -> bool:
    """A failure in a pass before the device level: not this backend's."""
    step = getattr(err, "step", None)
    return step is not None and step.pass_name != "convert-loops-to-device"


class _Captured(Exception):
    pass


def conformance_cases():
    sys.path.insert(0, str(CONFORMANCE))
    import run as conformance

    return conformance, conformance.load_cases(CONFORMANCE)


def conformance_interpret(case, tmp: str) -> None:
    from tfir import api

    conformance, _ = conformance_cases()
    inputs = case.inputs(np.random.default_rng(case.seed))
    want = case.reference(**{k: v.copy() for k, v in inputs.items()})
    prog = api.compile_file(CONFORMANCE / "programs" / case.file, target="triton",
                            disable=missing_passes(), cache=False)
    err = conformance.compare(case.name, getattr(prog, case.entry)(**inputs), want)
    assert err is None, err


def conformance_ptx(case, tmp: str) -> None:
    """Compiles every kernel the conformance program generates (no run)."""
    from tfir import api
    from tfir.backends.triton import runtime as triton_runtime

    sources: list[str] = []

    def capture(source: str, entry: str, filename: str):
        sources.append(source)
        raise _Captured

    triton_runtime.require_device = lambda: None  # compiling needs no device
    BACKENDS["triton"].load = capture  # type: ignore[method-assign]
    inputs = case.inputs(np.random.default_rng(case.seed))
    prog = api.compile_file(CONFORMANCE / "programs" / case.file, target="triton",
                            disable=missing_passes(), cache=False)
    try:
        getattr(prog, case.entry)(**inputs)
    except _Captured:
        pass
    except api.InternalError as err:  # the API reports what `load` raises as tfir's fault
        if not isinstance(err.__cause__, _Captured):
            raise
    assert sources, "no Triton source was generated"
    compile_all(sources[0], case.name, tmp)


def compile_all(src: str, name: str, tmp: str) -> None:
    import linecache
    import types

    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler.compiler import ASTSource

    filename = os.path.join(tmp, f"{name}.py")
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    module = types.ModuleType(f"ptx_{name}")
    module.__file__ = filename
    exec(compile(src, filename, "exec"), module.__dict__)
    for kname, k in module.KERNELS.items():
        compiled = triton.compile(
            ASTSource(fn=k["fn"], signature=k["signature"], constexprs=k["constexprs"]),
            target=GPUTarget("cuda", 90, 32), options={"num_warps": k["num_warps"]})
        assert f".entry {kname}" in compiled.asm["ptx"], f"no PTX entry for {kname}"


def program_interpret(program, tmp: str) -> None:
    from tfir import api

    inputs = program.inputs(np.random.default_rng(0))
    prog = api.compile_source(program.source, f"{program.name}.tf", target="triton",
                              disable=missing_passes(), pass_options=TINY_TILES, cache=False)
    got, want = prog.main(*inputs), program.reference(*inputs)
    got = got if isinstance(got, tuple) else (got,)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype, f"{g.shape} {g.dtype} vs {w.shape} {w.dtype}"
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-5)


MODES = {"interpret": (interpret, CASES + RANDOM_CASES), "ptx": (ptx, CASES),
         "programs": (program_interpret, PROGRAMS)}


def main() -> None:
    mode, tmp, names = sys.argv[1], sys.argv[2], set(sys.argv[3:])
    if mode.startswith("conformance"):
        run = conformance_interpret if mode == "conformance-interpret" else conformance_ptx
        cases = conformance_cases()[1]
    else:
        run, cases = MODES[mode]
    for case in cases:
        if names and case.name not in names:
            continue
        try:
            run(case, tmp)
            print(f"OK {case.name}", flush=True)
        except Exception as err:  # reported per case to the test
            detail = "".join(traceback.format_exception_only(err)).strip().replace("\n", " | ")
            print(f"{'SKIP' if _upstream(err) else 'FAIL'} {case.name}: {detail}", flush=True)


if __name__ == "__main__":
    main()
