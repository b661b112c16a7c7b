"""Where compile time goes: times each pipeline pass and code generation for
one program, then profiles a whole fresh compile with cProfile.

    python3 benchmarks/profile_compile.py [--workload ops100] [--target numpy]
                                          [--top 25] [--options JSON] [--out FILE.prof]

The program is a benchmark workload's (default: the 100-op program) with its
quick sizes. `--out` saves the raw profile for snakeviz or pstats.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from workloads import Workload, by_name  # noqa: E402


def compile_once(w: Workload, target: str, options: dict[str, Any]) -> None:
    import tfir
    args = list(w.inputs(w.sizes(True), np.random.default_rng(0)).values())
    tfir.compile_file(w.path, target=target, **{"cache": False, **options})["main"](*args)


def stage_times(w: Workload, target: str, options: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(stage, seconds, seconds of verifying the IR after it) for: the front end,
    each pass, code generation and loading, as `Function.compile` runs them."""
    import tfir
    from tfir.backends.registry import BACKENDS
    from tfir.compiler import check_options, pass_options_of
    from tfir.dialects.dtypes import from_numpy
    from tfir.dialects.registry import TType
    from tfir.frontend.driver import build_entry
    from tfir.pipeline import run_pipeline

    args = list(w.inputs(w.sizes(True), np.random.default_rng(0)).values())
    out: list[tuple[str, float, float]] = []
    start = time.perf_counter()
    prog = tfir.compile_file(w.path, target=target, **{"cache": False, **options})
    fn = prog["main"]
    arrays, statics = fn.bind_inputs(tuple(args), {})
    types = {n: TType(from_numpy(a.dtype) or "", a.shape) for n, a in arrays.items()}
    module = build_entry(prog.frontend, "main", types, statics)
    out.append(("front end + IR generation", time.perf_counter() - start, 0.0))

    def observe(step: Any, mod: Any, dt: float) -> None:
        begin = time.perf_counter()
        mod.verify()  # timed apart from the pass (the pipeline's verify_each does the same)
        out.append((f"pass {step.pass_name}", dt, time.perf_counter() - begin))

    backend = BACKENDS[target]
    target_options = check_options(prog.options, target)
    run_pipeline(module, target, disable=prog.options.disable, verify_each=False, observer=observe,
                 pass_options=pass_options_of(prog.options, target, target_options))
    start = time.perf_counter()
    source = backend.generate(module, "main", prog.source_line, target_options)
    out.append(("generate code", time.perf_counter() - start, 0.0))
    start = time.perf_counter()
    backend.load(source, "main", f"<tfir-{target}:main>")
    out.append(("load code", time.perf_counter() - start, 0.0))
    return out


def short(path: str) -> str:
    """A file named from its package (xdsl/..., tfir's own folders), not its full path."""
    for marker in ("site-packages/", "/work/main/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def print_top(stats: pstats.Stats, top: int) -> None:
    """The top functions by own time and by cumulative time, and own time per file, in ms."""
    rows = [(short(f), line, name, nc, tt, ct)
            for (f, line, name), (_cc, nc, tt, ct, _callers) in stats.stats.items()]  # type: ignore[attr-defined]
    for title, key in (("own time", 4), ("cumulative time", 5)):
        print(f"\n-- top {top} functions by {title} --")
        print(f"{'own ms':>9} {'cum ms':>9} {'calls':>8}  function")
        for f, line, name, nc, tt, ct in sorted(rows, key=lambda r: -r[key])[:top]:
            print(f"{tt * 1e3:9.1f} {ct * 1e3:9.1f} {nc:8d}  {name} ({f}:{line})")
    per_file: dict[str, float] = {}
    for f, _line, _name, _nc, tt, _ct in rows:
        per_file[f] = per_file.get(f, 0.0) + tt
    print(f"\n-- top {top} files by own time --")
    for f, tt in sorted(per_file.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{tt * 1e3:9.1f} ms  {f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workload", default="ops100", choices=sorted(by_name()))
    p.add_argument("--target", default="numpy")
    p.add_argument("--options", default="{}", help="JSON options for tfir.compile_file")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--out", help="save the cProfile data to this file")
    args = p.parse_args(argv)
    w = by_name()[args.workload]
    options = json.loads(args.options)
    compile_once(w, args.target, options)  # imports, so they are not profiled
    try:
        stages = stage_times(w, args.target, options)
    except Exception as err:  # noqa: BLE001 - the profile below still says where time went
        print(f"stage timing failed: {type(err).__name__}: {err}")
    else:
        print(f"{w.program} ({args.target}), per stage: ms of the stage, ms of verifying after it")
        for name, dt, dv in stages:
            print(f"  {dt * 1e3:9.1f} {dv * 1e3:9.1f}  {name}")
        print(f"  {sum(s[1] for s in stages) * 1e3:9.1f} {sum(s[2] for s in stages) * 1e3:9.1f}  total")
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    compile_once(w, args.target, options)
    profiler.disable()
    print(f"\nfresh compile under cProfile: {(time.perf_counter() - start) * 1e3:.1f} ms")
    stats = pstats.Stats(profiler)
    print_top(stats, args.top)
    if args.out:
        profiler.dump_stats(args.out)
        print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
