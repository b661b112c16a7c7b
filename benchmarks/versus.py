"""tfir against its peers and against the machine: the limits of this machine
measured in the same run (memory bandwidth by a copy, the matmul rate of its
BLAS), and per workload tfir's ratio to the best peer, to `jax.jit` and
`torch.compile`, the fraction of the machine's limit it reaches, and its
peak memory beside hand-written NumPy's.

The limit of a workload is the time its least possible memory traffic (its
inputs read once, its result written once) takes at the copy bandwidth, or,
for a workload with a flop count (contractions), the time its flops take at
the BLAS rate, whichever is longer (a roofline). "% of limit" is that time
over the variant's median: 100% is the machine's limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from harness import PEER_KINDS, Row


def _samples(fn: Callable[[], Any], n: int) -> list[float]:
    fn()
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def calibrate(quick: bool = False) -> dict[str, list[float]]:
    """Samples of the machine's limits: copy bandwidth (GB/s) of 10^7 float32
    with one thread and split over two, f32 matmul rate (GFLOP/s) of 1024^2
    with the BLAS's own threads, and `np.exp` on 10^7 float32 (ms)."""
    n = 3 if quick else 9
    size = 10**6 if quick else 10**7
    x = np.random.default_rng(0).random(size, dtype=np.float32)
    y = np.empty_like(x)
    a = np.random.default_rng(0).random((1024, 1024), dtype=np.float32)
    half = size // 2
    with ThreadPoolExecutor(1) as pool:
        def copy2() -> None:
            other = pool.submit(np.copyto, y[half:], x[half:])
            np.copyto(y[:half], x[:half])
            other.result()
        copy1 = _samples(lambda: np.copyto(y, x), n)
        copy_two = _samples(copy2, n)
    matmul = _samples(lambda: a @ a, n)
    exp = _samples(lambda: np.exp(x, out=y), n)
    return {"copy_gb_per_s": [2 * x.nbytes / t / 1e9 for t in copy1],
            "copy2_gb_per_s": [2 * x.nbytes / t / 1e9 for t in copy_two],
            "matmul_f32_gflops": [2 * 1024**3 / t / 1e9 for t in matmul],
            "exp_f32_ms": [t * 1e3 * (10**7 / size) for t in exp]}


def limits(calibrations: list[dict[str, list[float]]]) -> dict[str, float]:
    """The machine's limits from every calibration of the run (the start's
    and the end's): the median of the samples, the better of one or two threads."""
    def median(key: str) -> float:
        return float(np.median([v for c in calibrations for v in c.get(key, [])]))
    return {"bandwidth_gb_per_s": max(median("copy_gb_per_s"), median("copy2_gb_per_s")),
            "matmul_gflops": median("matmul_f32_gflops")}


def limit_s(info: dict[str, Any], lim: dict[str, float]) -> float | None:
    """The least time the workload can take on this machine (see the module doc)."""
    if not info or not lim:
        return None
    memory = info["traffic_bytes"] / (lim["bandwidth_gb_per_s"] * 1e9)
    flops = info.get("flops")
    return max(memory, flops / (lim["matmul_gflops"] * 1e9)) if flops else memory


def best_peer(rows: list[Row]) -> Row | None:
    peers = [r for r in rows if r.kind in PEER_KINDS and r.status == "ok" and r.samples]
    return min(peers, key=lambda r: r.median or float("inf")) if peers else None


def _ratio(base: Row | None, row: Row | None) -> float | None:
    if base is None or row is None or not base.samples or not row.samples or not row.median:
        return None
    return (base.median or 0.0) / row.median


def comparison(name: str, rows: list[Row], info: dict[str, Any], lim: dict[str, float],
               target: str = "numpy") -> dict[str, Any]:
    """tfir's `target` against the peers on one workload (for the tables and the JSON)."""
    by = {r.variant: r for r in rows}
    tfir = by.get(target)
    tfir = tfir if tfir is not None and tfir.status == "ok" and tfir.samples else None
    best = best_peer(rows)
    least = limit_s(info, lim)
    hand = by.get("hand")

    def peak(r: Row | None) -> int | None:
        return r.peak_bytes if r is not None else None
    return {"workload": name, "target": target,
            "tfir_s": tfir.median if tfir else None,
            "best_peer": best.variant if best else None, "best_peer_s": best.median if best else None,
            "vs_best_peer": _ratio(best, tfir), "vs_jax": _ratio(by.get("jax"), tfir),
            "vs_torch": _ratio(by.get("torch"), tfir),
            "limit_s": least,
            "tfir_of_limit": least / tfir.median if least and tfir and tfir.median else None,
            "best_peer_of_limit": least / best.median if least and best and best.median else None,
            "bound": "flops" if info.get("flops") and least and least > info["traffic_bytes"] / (
                lim["bandwidth_gb_per_s"] * 1e9) else "memory",
            "peak_bytes": peak(tfir), "hand_peak_bytes": peak(hand),
            "load_average": info.get("load_average")}


def _x(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}x"


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f}%"


def _mb(v: int | None) -> str:
    return "-" if v is None else f"{v / 2**20:.1f}"


def _t(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.3f} s"


HEADERS = ("workload", "tfir", "best peer", "vs best", "vs jax", "vs torch",
           "tfir % of limit", "peer % of limit", "peak MiB tfir / hand", "load")


def _cells(c: dict[str, Any]) -> list[str]:
    peer = f"{c['best_peer']} {_t(c['best_peer_s'])}" if c["best_peer"] else "-"
    load = f"{c['load_average'][0]:.1f}" if c.get("load_average") else "-"
    return [c["workload"], _t(c["tfir_s"]), peer, _x(c["vs_best_peer"]), _x(c["vs_jax"]),
            _x(c["vs_torch"]), f"{_pct(c['tfir_of_limit'])} ({c['bound']})", _pct(c["best_peer_of_limit"]),
            f"{_mb(c['peak_bytes'])} / {_mb(c['hand_peak_bytes'])}", load]


NOTE = ("vs X: X's median / tfir's median (above 1: tfir is faster). best peer: the fastest of "
        "hand, hand-tuned, numexpr, jax and torch. % of limit: the least time this machine needs "
        "(inputs read and result written once at the copy bandwidth, or the flops at the BLAS "
        "rate, the longer) over the median. peak: NumPy memory allocated during one call "
        "(tracemalloc; jax and torch allocate outside it). load: the 1-minute load average "
        "after the workload.")


def text_table(comparisons: list[dict[str, Any]], lim: dict[str, float]) -> str:
    rows = [list(HEADERS)] + [_cells(c) for c in comparisons]
    widths = [max(len(r[k]) for r in rows) for k in range(len(HEADERS))]
    lines = ["tfir numpy against its peers and the machine's limits "
             f"(copy {lim['bandwidth_gb_per_s']:.1f} GB/s, matmul {lim['matmul_gflops']:.0f} GFLOP/s, "
             "medians of this run's calibrations):"]
    for k, r in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))
        if k == 0:
            lines.append("-" * (sum(widths) + 2 * (len(widths) - 1)))
    return "\n".join(lines + ["", NOTE])


def markdown_table(comparisons: list[dict[str, Any]], lim: dict[str, float]) -> list[str]:
    out = [f"tfir numpy against its peers (copy {lim['bandwidth_gb_per_s']:.1f} GB/s, matmul "
           f"{lim['matmul_gflops']:.0f} GFLOP/s, measured in this run):", "",
           "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    out += ["| " + " | ".join(_cells(c)) + " |" for c in comparisons]
    return out + ["", NOTE]
