"""Data-parallel SGD with `Function.on_dask`: each step computes the loss and
its gradient over every chunk of the training set on the workers, sums them
over the chunks (a tree of combine tasks), and updates the weights here.

    python examples/dask_train.py                 # 200,000 rows, 2 workers, 30 steps
    python examples/dask_train.py --scheduler tcp://host:8786

The model is a logistic regression; its gradient is written out in `.tf`
(the mean over the rows of `x (sigmoid(x w + b) - y)`): the compiler splits
it into a sum per chunk, summed over the chunks and divided by the rows.
Once `gradients(loss, [w, b])` is in the language, the same entry written
with it splits the same way (the gradient program is `tf` IR like any other).
Each step is checked against the single-process call.
"""

from __future__ import annotations

import argparse
import time

import dask
import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster

import tfir

MODEL = """
# The mean logistic loss over the batch and its gradient by w and b.
fn step(x: f32[B, 32], y: f32[B], w: f32[32], b: f32) -> (f32, f32[32], f32) {
    let z = x @ w + b;
    let r = sigmoid(z) - y;  # d loss / d z, per row
    let loss = mean(maximum(z, 0.0) + log(1.0 + exp(-abs(z))) - y * z);
    return loss, mean(x * expand_dims(r, 1), axis=0), mean(r);
}
"""


def make_data(rows: int, chunk: int, seed: int = 0) -> tuple[da.Array, da.Array]:
    """Rows generated where they are stored (the workers), labels from a hidden linear rule."""
    rng = da.random.default_rng(seed)
    true_w = np.random.default_rng(seed).standard_normal(32).astype(np.float32)
    x = rng.standard_normal((rows, 32), chunks=(chunk, 32), dtype=np.float32)
    y = ((x @ true_w + 0.5 * rng.standard_normal(rows, chunks=chunk, dtype=np.float32)) > 0).astype(np.float32)
    return x, y


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--chunk", type=int, default=25_000)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--lr", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", help="the address of a running scheduler (no LocalCluster)")
    args = parser.parse_args(argv)

    step = tfir.compile_source(MODEL, "train.tf").step
    if args.scheduler:
        with Client(args.scheduler) as client:
            train(client, step, args)
        return
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        train(client, step, args)


def train(client: Client, step: tfir.Function, args: argparse.Namespace) -> None:
    # The data stays on the workers; the weights travel each step, the gradients come back.
    xs, ys = client.persist(list(make_data(args.rows, args.chunk)))
    x, y = dask.compute(xs, ys)  # here only to check the steps against the single-process call
    w, b = np.zeros(32, np.float32), np.float32(0.0)
    start = time.perf_counter()
    for i in range(args.steps):
        loss, gw, gb = dask.compute(*step.on_dask(xs, ys, w, b, batch="B"))
        if i in (0, args.steps - 1):  # the cluster's step is the single-process step
            want = step(x, y, w, b)
            for got, ref in zip((loss, gw, gb), want, strict=True):
                np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-6)
        w, b = w - args.lr * gw, np.float32(b - args.lr * gb)
        if i % 5 == 0 or i == args.steps - 1:
            accuracy = float(np.mean((x @ w + b > 0) == (y > 0.5)))
            print(f"step {i:3d}  loss {float(loss):.4f}  accuracy {accuracy:.3f}")
    seconds = time.perf_counter() - start
    print(f"{args.steps} steps over {len(x):,} rows in {x.shape[0] // args.chunk} chunks: {seconds:.2f} s "
          f"({args.steps * len(x) / seconds:,.0f} rows/s)")


if __name__ == "__main__":
    main()
