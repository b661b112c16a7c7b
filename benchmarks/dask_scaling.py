"""The figures of docs/scaling.md: throughput of examples/dask_score.py on 1
and 2 worker processes, the overhead per chunk of `Function.on_dask`, and
the cost of the ragged last chunk's extra specialization.

    python benchmarks/dask_scaling.py [--rows 4000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster

import tfir
import tfir.split

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))

import dask_score  # noqa: E402

TINY = "fn f(x: f32[B, 4]) -> (f32[B, 4], f32) {\n    return x * 2.0, sum(x);\n}\n"


def throughput(rows: int, folder: Path) -> None:
    for threads in (True, False):
        for workers in (1, 2, 1, 2):
            flags = [] if threads else ["--no-threads"]
            r = dask_score.main(["--rows", str(rows), "--workers", str(workers), "--dir", str(folder), *flags])
            print(f"| {workers} | {'pool' if threads else 'one'} | {rows:,} | {r['seconds']:.2f} "
                  f"| {r['rows_per_s']:,.0f} | {r['peak_mib']:.0f} | {r['compile_s']:.2f} |", flush=True)


def overhead() -> None:
    """Seconds per chunk: the slope of the time over the number of chunks of a trivial entry."""
    fn = tfir.compile_source(TINY, "tiny.tf").f
    x = np.ones((4000, 4), np.float32)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, Client(cluster):
        for scheduler in ("distributed", "threads"):
            kw = {} if scheduler == "distributed" else {"scheduler": "threads"}
            for what in ("on_dask", "plain dask"):
                times = {}
                for chunks in (40, 400, 40, 400):  # the second of each pair counts: compiled already
                    xs = da.from_array(x, chunks=(4000 // chunks, 4))
                    lazy = fn.on_dask(xs, batch="B") if what == "on_dask" else (xs * 2.0, xs.sum())
                    start = time.perf_counter()
                    da.compute(*lazy, **kw)
                    times[chunks] = time.perf_counter() - start
                per = (times[400] - times[40]) / 360
                print(f"| {scheduler} | {what} | {times[40]:.3f} | {times[400]:.3f} | {per * 1e3:.2f} |", flush=True)
    chunk = tfir.split.SplitEntry(fn, "B", {"x": tfir.api.TType("f32", (4000, 4))}, {}).plan(10).chunk
    xs = x[:10]
    chunk(xs)
    start = time.perf_counter()
    for _ in range(1000):
        chunk(xs)
    print(f"calling the compiled chunk function itself: {(time.perf_counter() - start) * 1e3:.1f} us per call")


RAGGED = """
import sys, time, numpy as np, tfir, tfir.split
from tfir.dialects.registry import TType
fn = tfir.compile_source(open(sys.argv[1]).read(), "score.tf").score
types = {p.name: TType(p.type.dtype, tuple(4_000_037 if d == "B" else d for d in p.type.dims)) for p in fn.params}
split = tfir.split.SplitEntry(fn, "B", types, {})
for rows in (100_000, 37):
    piece = split.plan(rows).chunk
    start = time.perf_counter(); tfir.split.runner(piece); print(f"{rows}:{time.perf_counter() - start:.3f}")
"""


def ragged(folder: Path) -> None:
    """Compiling the chunk function for full chunks and for the ragged last one, in a fresh
    process with an empty disk cache, then in another with the cache filled."""
    model = folder / "score.tf"
    model.write_text(dask_score.MODEL)
    env = {**os.environ, "TFIR_CACHE_DIR": tempfile.mkdtemp(prefix="tfir-cache-")}
    for what in ("cold cache", "warm cache"):
        out = subprocess.run([sys.executable, "-c", RAGGED, str(model)], env=env, capture_output=True, text=True,
                             check=True).stdout.split()
        print(f"| {what} | " + " | ".join(f"{float(line.split(':')[1]):.2f} s" for line in out) + " |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "tfir-dask-scaling")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    print("| workers | threads | rows | seconds | rows/s | peak MiB | compile s |\n|---|---|---|---|---|---|---|")
    throughput(args.rows, args.dir)
    print("\n| scheduler | graph | 40 chunks s | 400 chunks s | ms per chunk |\n|---|---|---|---|---|")
    overhead()
    print("\n| disk cache | chunk of 100,000 rows | ragged chunk of 37 rows |\n|---|---|---|")
    ragged(args.dir)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
