"""Scores a model over an array larger than a Dask worker may use, read lazily
from a `.npy` memory map, with `Function.on_dask`.

    python examples/dask_score.py                      # 4M rows x 64 f32 (1 GiB), 2 workers of 400 MiB
    python examples/dask_score.py --rows 200000 --workers 1
    python examples/dask_score.py --scheduler tcp://host:8786   # a running cluster instead

Each worker reads its chunks of rows from the file itself (only the path
travels), runs the compiled per-chunk function on them, and writes the
per-row results into `.npy` files the same way; the reductions over all rows
(the mean log-partition, the class totals) are combined across chunks as a
tree. Nothing ever holds the whole input: the workers' peak memory is shown
next to their limit. On a multi-machine cluster only `--scheduler` changes
(the files must then be on storage every worker can read).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import dask
import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster

import tfir
import tfir.split

MODEL = """
# A classifier's confidence and class per row, and statistics over all rows.
fn score(x: f32[B, 64], w1: f32[64, 128], b1: f32[128], w2: f32[128, 10], b2: f32[10])
        -> (f32[B], i64[B], f32, f32[10]) {
    let h = relu(x @ w1 + b1);
    let logits = h @ w2 + b2;
    let p = softmax(logits, axis=1);
    return max(p, axis=1), argmax(logits, axis=1), mean(logsumexp(logits, axis=1)), sum(p, axis=0);
}
"""


class NpyRows:
    """Rows of a `.npy` file, read on demand through a memory map opened where
    they are read (a worker): what travels to the workers is the path."""

    def __init__(self, path: Path):
        self.path = str(path)
        header = np.load(self.path, mmap_mode="r")
        self.shape, self.dtype, self.ndim = header.shape, header.dtype, header.ndim

    def __getitem__(self, index: object) -> np.ndarray:
        return np.array(np.load(self.path, mmap_mode="r")[index])  # a copy: the map closes at once

    def __setitem__(self, index: object, value: np.ndarray) -> None:
        out = np.load(self.path, mmap_mode="r+")
        out[index] = value
        out.flush()


def write_input(path: Path, rows: int, chunk: int, seed: int = 0) -> None:
    """A `rows` x 64 f32 input, written a chunk at a time (appended to the file,
    not through a memory map, whose written pages would count as this process's)."""
    rng = np.random.default_rng(seed)
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": (rows, 64)})
        for start in range(0, rows, chunk):
            f.write(rng.standard_normal((min(chunk, rows - start), 64), dtype=np.float32).tobytes())


def output(path: Path, rows: int, dtype: type) -> NpyRows:
    np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(rows,)).flush()
    return NpyRows(path)


def peak_memory_mib(dask_worker) -> float:
    """The largest process memory (RSS) a worker's monitor saw: what its memory limit applies to."""
    return max(dask_worker.monitor.quantities["memory"]) / 2**20


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=4_000_000, help="rows of the input (64 f32 each)")
    parser.add_argument("--chunk", type=int, default=100_000, help="rows of a chunk")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="400MiB", help="what each worker may use")
    parser.add_argument("--scheduler", help="the address of a running scheduler (no LocalCluster)")
    parser.add_argument("--dir", type=Path, help="where the .npy files go (default: a temporary folder)")
    parser.add_argument("--no-threads", action="store_true",
                        help="generated code runs on one thread (the workers are the parallelism)")
    args = parser.parse_args(argv)

    folder = args.dir or Path(tempfile.mkdtemp(prefix="tfir-dask-score-"))
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"x-{args.rows}.npy"
    if not source.exists():
        write_input(source, args.rows, args.chunk)
    x = da.from_array(NpyRows(source), chunks=(args.chunk, 64))
    rng = np.random.default_rng(1)
    weights = [(rng.standard_normal(s) * 0.1).astype(np.float32) for s in [(64, 128), (128,), (128, 10), (10,)]]
    options = {"backend_options": tfir.NumpyOptions(threads=False)} if args.no_threads else {}
    score = tfir.compile_source(MODEL, "score.tf", **options).score

    if args.scheduler:
        client = Client(args.scheduler)
        return run(client, args, x, score, weights, folder, source)
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      memory_limit=args.memory_limit, dashboard_address=":0") as cluster, Client(cluster) as client:
        return run(client, args, x, score, weights, folder, source)


def run(client: Client, args: argparse.Namespace, x: da.Array, score: tfir.Function, weights: list[np.ndarray],
        folder: Path, source: Path) -> dict[str, float]:
    """Scores `x` on the cluster of `client`, checks a few chunks, prints the figures."""
    limits = [w["memory_limit"] for w in client.scheduler_info()["workers"].values()]
    print(f"input: {x.shape[0]:,} rows x 64 f32 = {x.nbytes / 2**20:,.0f} MiB in {source}, "
          f"{x.numblocks[0]} chunks of {args.chunk:,} rows")
    print(f"workers: {len(limits)}, memory limit of each: {min(limits) / 2**20:,.0f} MiB")

    confidence, label, log_partition, totals = score.on_dask(x, *weights, batch="B")
    targets = [output(folder / "confidence.npy", args.rows, np.float32),
               output(folder / "label.npy", args.rows, np.int64)]
    start = time.perf_counter()
    stored = da.store([confidence, label], targets, lock=False, compute=False)
    _, log_partition, totals = dask.compute(stored, log_partition, totals)
    seconds = time.perf_counter() - start
    peaks = client.run(peak_memory_mib)
    compiles = client.run(tfir.split.compile_stats)

    # Check: the first and last chunks against the single-process call.
    for lo, hi in [(0, args.chunk), (max(0, args.rows - args.chunk), args.rows)]:
        want = score(np.load(source, mmap_mode="r")[lo:hi], *weights)
        assert np.array_equal(np.load(folder / "confidence.npy", mmap_mode="r")[lo:hi], want[0])
        assert np.array_equal(np.load(folder / "label.npy", mmap_mode="r")[lo:hi], want[1])
    assert abs(float(totals.sum()) - args.rows) < 1e-3 * args.rows  # each row's probabilities sum to 1

    print(f"mean log-partition {float(log_partition):.4f}, class totals {np.round(totals).astype(int)}")
    print(f"time {seconds:.2f} s, {args.rows / seconds:,.0f} rows/s "
          f"({x.nbytes / 2**20 / seconds:,.0f} MiB/s)")
    print("peak memory of the workers: " + ", ".join(f"{p:,.0f} MiB" for p in peaks.values())
          + f" (limit {min(limits) / 2**20:,.0f} MiB each)")
    compile_s = [sum(s for _, s in worker.values()) for worker in compiles.values()]
    print("compiling on each worker (first use of each piece, in the time above): "
          + ", ".join(f"{c:.2f} s" for c in compile_s))
    return {"seconds": seconds, "rows_per_s": args.rows / seconds, "peak_mib": max(peaks.values()),
            "compile_s": max(compile_s)}


if __name__ == "__main__":
    main()
