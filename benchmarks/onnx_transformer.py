"""The transformer block of examples/onnx_models.py, imported into tfir, on
tfir's numpy target against ONNX Runtime (CPU execution provider), same
inputs and the same thread count, in one process.

Each repetition runs both, alternating which goes first; the figures are the
medians. Results are checked against each other before timing.

    .venv/bin/python benchmarks/onnx_transformer.py [--threads 2] [--batch 8] [--reps 30]

Thread counts are set (OMP/OpenBLAS/MKL for NumPy, intra_op_num_threads for
ONNX Runtime) before NumPy loads.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import time
from pathlib import Path


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--dim", type=int, default=256)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ff", type=int, default=1024)
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    return p.parse_args()


def main() -> int:
    args = parse()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import onnxruntime as ort

    import tfir.onnx

    spec = importlib.util.spec_from_file_location("onnx_models", Path(__file__).parents[1] / "examples" / "onnx_models.py")
    assert spec is not None and spec.loader is not None
    models = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(models)

    model = models.transformer_block(t=args.seq, d=args.dim, heads=args.heads, ff=args.ff)
    x = np.random.default_rng(0).standard_normal((args.batch, args.seq, args.dim)).astype(np.float32)

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    start = time.perf_counter()
    prog = tfir.onnx.from_onnx(model, target="numpy", initializers="parameters", cache=False)
    want = session.run(None, {"x": x})[0]
    got = prog(x)  # the first call specializes and compiles
    compile_s = time.perf_counter() - start
    err = float(np.max(np.abs(got - want)))
    if not np.allclose(got, want, rtol=1e-4, atol=1e-4):
        print(f"MISMATCH: max |tfir - onnxruntime| = {err:.3e}", file=sys.stderr)
        return 1

    def run_tfir() -> None:
        prog(x)

    def run_ort() -> None:
        session.run(None, {"x": x})

    for _ in range(args.warmup):
        run_tfir()
        run_ort()
    times: dict[str, list[float]] = {"tfir numpy": [], "onnxruntime": []}
    for i in range(args.reps):
        pair = [("tfir numpy", run_tfir), ("onnxruntime", run_ort)]
        for name, fn in pair if i % 2 == 0 else pair[::-1]:
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    print(f"transformer block: batch {args.batch}, seq {args.seq}, dim {args.dim}, heads {args.heads}, "
          f"ff {args.ff}, f32; {args.threads} thread(s); {args.reps} interleaved runs")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, NumPy {np.__version__}, onnxruntime {ort.__version__}")
    print(f"results agree: max |tfir - onnxruntime| = {err:.2e}; tfir import + compile {compile_s:.2f} s")
    for name, ms in med.items():
        print(f"  {name:12} median {ms:8.2f} ms")
    print(f"  ratio tfir / onnxruntime = {med['tfir numpy'] / med['onnxruntime']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
