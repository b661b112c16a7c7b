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

from support.ptx import compile_kernels  # noqa: E402
from support.v2_programs import PROGRAMS, check  # noqa: E402

import tfir  # noqa: E402


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


def ptx(program, tmp: str) -> None:
    from tfir.backends.registry import BACKENDS
    from tfir.backends.triton import runtime as triton_runtime

    sources: list[str] = []

    def capture(source: str, entry: str, filename: str):
        sources.append(source)
        raise _Captured

    triton_runtime.require_device = lambda: None  # compiling needs no device
    BACKENDS["triton"].load = capture  # type: ignore[method-assign]
    inputs = program.inputs(np.random.default_rng(1))
    try:
        tfir.compile_source(program.source, f"{program.name}.tf", target="triton", cache=False).main(*inputs)
    except _Captured:
        pass
    assert sources, "no Triton source was generated"
    names = compile_kernels(sources[0], program.name, tmp)
    assert names, "no kernels"


def main() -> None:
    mode, tmp = sys.argv[1], sys.argv[2]
    checks = [(p.name, lambda p=p: (interpret if mode == "interpret" else ptx)(p, tmp)) for p in PROGRAMS]
    if mode == "interpret":
        checks.append(("tl_rand", lambda: matches_tl_rand(tmp)))
    for name, run in checks:
        try:
            run()
            print(f"OK {name}", flush=True)
        except Exception as err:  # reported per check to the test
            detail = "".join(traceback.format_exception_only(err)).strip().replace("\n", " | ")
            print(f"FAIL {name}: {detail[:2000]}", flush=True)


if __name__ == "__main__":
    main()
