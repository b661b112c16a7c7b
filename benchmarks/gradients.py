"""Loss and gradients: tfir's numpy target against `jax.jit(jax.value_and_grad(...))`
and against the backward pass written by hand in NumPy.

    python3 benchmarks/gradients.py [--quick] [--only NAMES] [--repeats N] [--json PATH]

Workloads: an MLP (B x D -> H -> C, relu, softmax cross-entropy) and an
LSTM over T steps with backpropagation through time. Each variant's results
(the loss and every gradient) are checked against the hand-written ones
first; then the variants are timed interleaved in one process (round-robin,
repeated; medians), and the peak memory that NumPy allocates during one call
(tracemalloc, which NumPy reports its buffers to) is measured for tfir and
for the hand-written version. `tfir-numpy recompute` is tfir with the
`differentiate` pass's `recompute` option (the backward loop recomputes each
iteration's values instead of saving them): its memory for its time. jax is
optional (the `bench` extra); without it its column is empty.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import grad_workloads as gw  # noqa: E402
from harness import optional_module  # noqa: E402

import tfir  # noqa: E402


@dataclass
class Result:
    workload: str
    variant: str
    status: str = "ok"
    detail: str = ""
    samples: list[float] = field(default_factory=list)
    peak_bytes: int | None = None

    @property
    def median(self) -> float | None:
        return float(np.median(self.samples)) if self.samples else None


# differentiate's option that saves only what loops carry and recomputes the rest of
# each iteration in the backward loop (docs/gradients.md): less memory, more time.
RECOMPUTE = {"differentiate": {"recompute": True}}


def _tfir_call(w: gw.GradWorkload, args: list[np.ndarray], **options: Any) -> Callable[[], Any]:
    fn = tfir.compile_file(w.path, target="numpy", cache=False, **options)["main"]
    return lambda: fn(*args)


def _jax_call(w: gw.GradWorkload, args: list[np.ndarray]) -> Callable[[], Any] | None:
    jax = optional_module("jax")
    if jax is None:
        return None
    run = jax.jit(w.jax(jax))
    dev = [jax.device_put(a) for a in args]
    return lambda: jax.block_until_ready(run(*dev))


def _check(got: Any, want: tuple[np.ndarray, ...], rtol: float, atol: float) -> str | None:
    got = tuple(np.asarray(g) for g in (got if isinstance(got, tuple | list) else (got,)))
    if len(got) != len(want):
        return f"{len(got)} results, expected {len(want)}"
    for i, (g, ref) in enumerate(zip(got, want, strict=True)):
        if g.shape != ref.shape or not np.allclose(g, ref, rtol=rtol, atol=atol):
            err = np.abs(g.astype(np.float64) - ref).max() if g.shape == ref.shape else "shape"
            return f"result {i} differs from the hand-written one (max abs error {err})"
    return None


def _peak(call: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run_workload(w: gw.GradWorkload, quick: bool, repeats: int) -> list[Result]:
    sizes = w.quick if quick else w.full
    args = list(w.inputs(sizes, np.random.default_rng(0)).values())
    want = tuple(np.asarray(v) for v in w.hand(*args))
    builders: dict[str, Callable[[], Callable[[], Any] | None]] = {
        "tfir-numpy": lambda: _tfir_call(w, args), "hand": lambda: (lambda: w.hand(*args)),
        "jax": lambda: _jax_call(w, args),
        "tfir-numpy recompute": lambda: _tfir_call(w, args, pass_options=RECOMPUTE)}
    results, calls = [], {}
    for name, build in builders.items():
        r = Result(w.name, name)
        try:
            call = build()
            if call is None:
                r.status, r.detail = "skipped", "jax is not installed"
            else:
                problem = _check(call(), want, w.rtol, w.atol)
                if problem:
                    r.status, r.detail = "mismatch", problem
                else:
                    calls[name] = call
                    if name != "jax":
                        r.peak_bytes = _peak(call)
        except Exception as err:  # noqa: BLE001 - reported in the table
            r.status, r.detail = "error", f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        results.append(r)
    by_name = {r.variant: r for r in results}
    names = list(calls)
    for k in range(repeats):  # interleaved, the first variant rotating
        for name in names[k % len(names):] + names[:k % len(names)]:
            gc.disable()
            start = time.perf_counter()
            calls[name]()
            by_name[name].samples.append(time.perf_counter() - start)
            gc.enable()
    return results


def table(results: list[Result]) -> str:
    rows = ["| workload | variant | median ms | min - max ms | tfir speedup | peak MiB |", "|---|---|---|---|---|---|"]
    tfir_ms = {r.workload: r.median for r in results if r.variant == "tfir-numpy"}
    for r in results:
        if r.status != "ok":
            rows.append(f"| {r.workload} | {r.variant} | {r.status.upper()}: {r.detail} | | | |")
            continue
        med = r.median * 1e3
        spread = f"{min(r.samples) * 1e3:.1f} - {max(r.samples) * 1e3:.1f}"
        ours = tfir_ms.get(r.workload)
        speed = "" if r.variant == "tfir-numpy" or ours is None else f"{r.median / ours:.2f}x"
        peak = "" if r.peak_bytes is None else f"{r.peak_bytes / 2**20:.1f}"
        rows.append(f"| {r.workload} | {r.variant} | {med:.1f} | {spread} | {speed} | {peak} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, 3 samples")
    p.add_argument("--only", default="", help="comma-separated workloads")
    p.add_argument("--repeats", type=int, help="samples per variant (default 9, quick 3)")
    p.add_argument("--json", metavar="PATH")
    args = p.parse_args(argv)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    chosen = [w for w in gw.WORKLOADS if not args.only or w.name in args.only.split(",")]
    repeats = args.repeats or (3 if args.quick else 9)
    results = [r for w in chosen for r in run_workload(w, args.quick, repeats)]
    print(table(results))
    print("\ntfir speedup: the variant's median time over tfir-numpy's (above 1: tfir is faster).")
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in results], indent=1))
    return 0 if all(r.status in ("ok", "skipped") for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
