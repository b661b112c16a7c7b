"""Runs in a subprocess for test_v2_builtins_triton.py. `interpret` (under
TRITON_INTERPRET=1) runs every program of tests/support/v2_programs.py on the
triton target and checks it against its NumPy reference (random numbers bit
for bit, and against Triton's own `tl.rand`); `ptx` (no TRITON_INTERPRET)
compiles every kernel those programs generate for sm_90. Prints one
`OK name` or `FAIL name: reason` line per check."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import tfir  # noqa: E402
from tests.support.ptx import compile_kernels  # noqa: E402
from tests.support.v2_programs import PROGRAMS, check  # noqa: E402


def interpret(program, tmp: str) -> None:
    inputs = program.inputs(np.random.default_rng(1))
    got = tfir.compile_source(program.source, f"{program.name}.tf", target="triton", cache=False).main(*inputs)
    check(program, got, program.reference(*inputs))


def matches_tl_rand(tmp: str) -> None:
    """`random_uniform` / `random_normal` in f32 are Triton's `tl.rand` / `tl.randn` of the element index."""
    import triton
    import triton.language as tl

    from tfir.backends.triton import runtime as rt

    @triton.jit
    def reference(u_ptr, n_ptr, seed, N: tl.constexpr):
        offs = tl.arange(0, N)
        tl.store(u_ptr + offs, tl.rand(seed, offs))
        tl.store(n_ptr + offs, tl.randn(seed, offs))

    source = "fn main(s: i64) -> (f32[4, 128], f32[512]) {\n    return random_uniform(s, [4, 128]), random_normal(s, [512]);\n}\n"
    fn = tfir.compile_source(source, target="triton", cache=False).main
    for seed in (0, 7, -3, 2**40 + 5):
        u, n = fn(np.array(seed, np.int64))
        want_u, want_n = rt.empty((512,), np.float32), rt.empty((512,), np.float32)
        reference[(1,)](want_u, want_n, seed, 512)
        assert np.array_equal(u.reshape(-1), rt.to_host(want_u)), f"seed {seed}: not tl.rand"
        np.testing.assert_allclose(n, rt.to_host(want_n), rtol=1e-6, atol=1e-6)


class _Captured(Exception):
    pass


def _sources(call) -> list[str]:
    """The Triton modules `call()` generates (captured instead of loaded: no device needed)."""
    from tfir.backends.registry import BACKENDS

    sources: list[str] = []

    def capture(source: str, entry: str, filename: str):
        sources.append(source)
        raise _Captured

    BACKENDS["triton"].load = capture  # type: ignore[method-assign]
    try:
        call()
    except _Captured:
        pass
    except Exception as err:  # the API reports what `load` raises as tfir's fault (an InternalError)
        if not isinstance(err.__cause__, _Captured):
            raise
    assert sources, "no Triton source was generated"
    return sources


def ptx(program, tmp: str) -> None:
    inputs = program.inputs(np.random.default_rng(1))
    prog = tfir.compile_source(program.source, f"{program.name}.tf", target="triton", cache=False)
    assert compile_kernels(_sources(lambda: prog.main(*inputs))[0], program.name, tmp), "no kernels"


CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "v2"
CONFORMANCE_CASES = ("v2_conv_pool", "v2_einsum", "v2_array_ops", "v2_stats_elementwise",
                     "v2_log1p_expm1_tiny", "v2_random")


def conformance_ptx(name: str, tmp: str) -> None:
    """Every kernel of a v2 conformance case of these builtins compiles to PTX."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("v2_conformance_cases", CONFORMANCE / "cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    case = next(c for c in module.CASES if c.name == name)
    inputs = case.inputs(np.random.default_rng(case.seed))
    prog = tfir.compile_file(CONFORMANCE / "programs" / case.file, target="triton", cache=False)
    assert compile_kernels(_sources(lambda: prog[case.entry](**inputs))[0], name, tmp), "no kernels"


def main() -> None:
    mode, tmp = sys.argv[1], sys.argv[2]
    if mode == "ptx":
        from tfir.backends.triton import runtime

        runtime.require_device = lambda: None  # compiling to PTX needs no device
    checks = [(p.name, lambda p=p: (interpret if mode == "interpret" else ptx)(p, tmp)) for p in PROGRAMS]
    if mode == "interpret":
        checks.append(("tl_rand", lambda: matches_tl_rand(tmp)))
    elif CONFORMANCE.exists():
        checks += [(n, lambda n=n: conformance_ptx(n, tmp)) for n in CONFORMANCE_CASES]
    for name, run in checks:
        try:
            run()
            print(f"OK {name}", flush=True)
        except Exception as err:  # reported per check to the test
            detail = "".join(traceback.format_exception_only(err)).strip().replace("\n", " | ")
            print(f"FAIL {name}: {detail[:2000]}", flush=True)


if __name__ == "__main__":
    main()
