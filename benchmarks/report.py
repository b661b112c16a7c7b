"""Presenting measurements: the machine, the table of medians and ratios
against hand-written NumPy, compile times, the call overhead, and JSON."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
from harness import Row

OVERHEAD_GOAL_US = 50.0


def _lscpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return platform.processor()
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _blas() -> str:
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]  # type: ignore[index]
        blas = deps["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # noqa: BLE001 - only informative
        return "unknown"


def _git_commit() -> str:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _blas_threads() -> list[dict[str, Any]]:
    """The BLAS kernel really loaded (OPENBLAS_CORETYPE can pick an older one), via threadpoolctl."""
    try:
        import threadpoolctl
    except ImportError:
        return []
    return [{k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for info in threadpoolctl.threadpool_info()]


def load_average() -> tuple[float, ...] | None:
    return os.getloadavg() if hasattr(os, "getloadavg") else None


def machine_info(extras: dict[str, str | None]) -> dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _lscpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas(),
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
        "blas_loaded": _blas_threads(),
        "extras": extras,
        "tfir_commit": _git_commit(),
        "load_average": load_average(),
    }


def fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1.0:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.3f} s"


def speedup(row: Row, hand: Row | None) -> float | None:
    if hand is None or hand.median is None or row.median is None or row.median == 0:
        return None
    return hand.median / row.median


def workload_table(results: list[tuple[str, str, list[Row]]]) -> str:
    """One line per (workload, variant): median (min - max), speedup over hand, compile time."""
    head = f"{'workload':<12} {'variant':<16} {'median':>10}  {'(min - max)':<24} {'vs hand':>8}  {'compile':>9}"
    lines = [head, "-" * len(head)]
    for name, _desc, rows in results:
        hand = next((r for r in rows if r.variant == "hand" and r.status == "ok"), None)
        for i, r in enumerate(rows):
            label = name if i == 0 else ""
            if r.status == "skipped":
                continue
            if r.status != "ok":
                lines.append(f"{label:<12} {r.variant:<16} {r.status.upper()}: {r.detail}"[:160])
                continue
            ratio = speedup(r, hand)
            span = f"({fmt_time(min(r.samples))} - {fmt_time(max(r.samples))})"
            comp = fmt_time(r.compile_s) if r.compile_s is not None else ""
            ratio_s = f"{ratio:.2f}x" if ratio is not None else "-"
            lines.append(f"{label:<12} {r.variant:<16} {fmt_time(r.median):>10}  {span:<24} "
                         f"{ratio_s:>8}  {comp:>9}")
    lines.append("")
    lines.append("vs hand: hand-written NumPy median / this median (above 1: faster than hand).")
    lines.append("compile: tfir: compile_file + specialization for the inputs' signature, disk cache off;")
    lines.append("         jax: first call minus the fastest steady call.")
    lines.append("Variants that do not apply (library not installed, no such version) are left out.")
    return "\n".join(lines)


def overhead_table(rows: list[Row]) -> str:
    lines = ["Cached-call overhead: tiny.tf (5 elementwise ops) on 16 elements, per call:"]
    for r in rows:
        if r.status != "ok":
            lines.append(f"  {r.variant:<16} {r.status.upper()}: {r.detail}"[:160])
            continue
        us = (r.median or 0.0) * 1e6
        goal = ""
        if r.variant.startswith("numpy"):
            met = "met" if us < OVERHEAD_GOAL_US else "NOT met"
            goal = f"  (goal < {OVERHEAD_GOAL_US:.0f} µs: {met})"
        lines.append(f"  {r.variant:<16} {us:8.1f} µs  ({min(r.samples) * 1e6:.1f} - "
                     f"{max(r.samples) * 1e6:.1f} µs){goal}")
    return "\n".join(lines)


def row_json(r: Row, hand: Row | None) -> dict[str, Any]:
    return {"variant": r.variant, "status": r.status, "detail": r.detail,
            "median_s": r.median, "min_s": min(r.samples) if r.samples else None,
            "max_s": max(r.samples) if r.samples else None, "samples_s": r.samples,
            "calls_per_sample": r.number, "speedup_vs_hand": speedup(r, hand),
            "first_call_s": r.first_call_s, "compile_s": r.compile_s, "peak_bytes": r.peak_bytes}


def to_json(machine: dict[str, Any], settings: dict[str, Any],
            results: list[tuple[str, str, list[Row]]], sizes: dict[str, dict[str, int]],
            compile_runs: dict[str, dict[str, list[float]]], overhead: list[Row]) -> dict[str, Any]:
    workloads = []
    for name, desc, rows in results:
        hand = next((r for r in rows if r.variant == "hand" and r.status == "ok"), None)
        workloads.append({"name": name, "description": desc, "sizes": sizes[name],
                          "rows": [row_json(r, hand) for r in rows]})
    return {"machine": machine, "settings": settings, "workloads": workloads,
            "fresh_compile_s": compile_runs,
            "overhead": {"program": "tiny.tf", "elements": 16, "goal_us": OVERHEAD_GOAL_US,
                         "rows": [row_json(r, None) for r in overhead]}}


def _cell(r: Row, base: Row | None) -> str:
    if r.status != "ok":
        return f"{r.status}: {r.detail[:60]}".replace("|", "/")
    ratio = speedup(r, base)
    span = f"{fmt_time(min(r.samples))} - {fmt_time(max(r.samples))}"
    return f"**{fmt_time(r.median)}** ({span})" + ("" if ratio is None else f" {ratio:.2f}x")


def _dim(n: int) -> str:
    """1e6 for a power of ten from 1e5 up, else the number."""
    text = str(n)
    if n >= 10**5 and text.strip("0") == "1":
        return f"1e{len(text) - 1}"
    return text


def _grid(results: list[tuple[str, str, list[Row]]], sizes: dict[str, dict[str, int]],
          names: list[str], base_name: str) -> list[str]:
    """One row per workload, one column per variant: median (min - max) and base / variant."""
    out = ["| workload | sizes | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for name, _desc, rows in results:
        by_variant = {r.variant: r for r in rows}
        base = by_variant.get(base_name)
        base = base if base is not None and base.status == "ok" else None
        cells = [_cell(by_variant[n], base) if n in by_variant and by_variant[n].status != "skipped"
                 else "" for n in names]
        dims = ", ".join(f"{k}={_dim(v)}" for k, v in sizes[name].items())
        out.append(f"| {name} | {dims} | " + " | ".join(cells) + " |")
    return out


def markdown(machine: dict[str, Any], results: list[tuple[str, str, list[Row]]],
             sizes: dict[str, dict[str, int]], overhead: list[Row]) -> str:
    """The tables of docs/performance.md: variants against hand, the ablation
    against the full numpy target, compile times and the call overhead."""
    load = ", ".join(f"{x:.1f}" for x in machine.get("load_average") or ())
    end = ", ".join(f"{x:.1f}" for x in machine.get("load_average_end") or ())
    out = [f"Measured {machine['date']}, commit {machine['tfir_commit']}, load average {load} "
           f"at the start{f', {end} at the end' if end else ''}.", ""]
    present = [v for v in dict.fromkeys(r.variant for _, _, rows in results for r in rows)
               if any(r.variant == v and r.status != "skipped" for _, _, rows in results for r in rows)]
    base = [v for v in present if not v.startswith("numpy-")]
    ablation = [v for v in present if v.startswith("numpy-")]
    out += ["Median (min - max) per call, and hand median / variant median:", ""]
    out += _grid(results, sizes, base, "hand")
    if ablation:
        out += ["", "Ablation: median (min - max), and numpy median / variant median "
                "(below 1: switching it off makes the program slower):", ""]
        out += _grid(results, sizes, ["numpy", *ablation], "numpy")
    compilers = [v for v in present if v not in ("hand", "hand-tuned", "numexpr")]
    out += ["", "Compile time (tfir: `compile_file` + specialization, disk cache off; "
            "jax: first call minus fastest call):", "",
            "| workload | " + " | ".join(compilers) + " |", "|---|" + "---:|" * len(compilers)]
    for name, _desc, rows in results:
        by_variant = {r.variant: r for r in rows}
        cells = [fmt_time(by_variant[v].compile_s) if v in by_variant and by_variant[v].compile_s
                 is not None else "" for v in compilers]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", "| cached call, tiny.tf on 16 elements | median | min - max |", "|---|---:|---|"]
    for r in overhead:
        if r.status == "ok":
            out.append(f"| {r.variant} | {fmt_time(r.median)} | {fmt_time(min(r.samples))} - "
                       f"{fmt_time(max(r.samples))} |")
        else:
            out.append(f"| {r.variant} | {r.status}: {r.detail[:90]} | |")
    return "\n".join(out) + "\n"


# -- the picture ------------------------------------------------------------------------

PLOT_HINT = 'drawing needs matplotlib: pip install -e ".[bench]"'


def require_matplotlib() -> Any:
    """pyplot on the file-only Agg backend; SystemExit with the install command without it."""
    try:
        import matplotlib
    except ImportError:
        raise SystemExit(f"error: {PLOT_HINT}") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def speedups(data: dict[str, Any]) -> tuple[list[str], list[str], list[str], dict[tuple[str, str, str], float]]:
    """From a run's JSON (`to_json`): the workloads, the tfir targets (variants of kind
    tfir that are not ablations), the baselines (every other variant that ran), and
    baseline median / target median for each (workload, target, baseline) measured."""
    kinds = {v["name"]: v["kind"] for v in data["settings"]["variants"]}
    ran = {(w["name"], r["variant"]): r["median_s"] for w in data["workloads"] for r in w["rows"]
           if r["status"] == "ok" and r["median_s"]}
    names = list(kinds)
    targets = [n for n in names if kinds[n] == "tfir" and "-" not in n and any(v == n for _, v in ran)]
    baselines = [n for n in names if kinds[n] != "tfir" and any(v == n for _, v in ran)]
    workloads = [w["name"] for w in data["workloads"]]
    ratio = {(w, t, b): ran[w, b] / ran[w, t] for w in workloads for t in targets for b in baselines
             if (w, t) in ran and (w, b) in ran}
    return workloads, targets, baselines, ratio


def plot(data: dict[str, Any], path: str) -> None:
    """A bar chart per baseline: for each workload, how many times faster each tfir
    target is than that baseline (log scale; above 1: tfir is faster)."""
    plt = require_matplotlib()
    from matplotlib import ticker

    workloads, targets, baselines, ratio = speedups(data)
    if not targets or not baselines:
        raise SystemExit("error: nothing to plot: no tfir target and baseline both ran")
    fig, axes = plt.subplots(len(baselines), 1, figsize=(max(6.0, 1.1 * len(workloads) + 2), 2.6 * len(baselines)),
                             sharex=True, squeeze=False, layout="constrained")
    width = 0.8 / len(targets)
    colors = ["#2563eb", "#f59e0b", "#16a34a", "#9333ea"]
    for ax, base in zip(axes[:, 0], baselines, strict=True):
        for k, target in enumerate(targets):
            xs = [i + (k - (len(targets) - 1) / 2) * width for i, w in enumerate(workloads) if (w, target, base) in ratio]
            ys = [ratio[w, target, base] for w in workloads if (w, target, base) in ratio]
            # From 1 up (faster) or down (slower), so that a bar's length is the speedup.
            bars = ax.bar(xs, [y - 1 for y in ys], width, bottom=1, label=f"tfir {target}",
                          color=colors[k % len(colors)])
            ax.bar_label(bars, [f"{y:.2g}" for y in ys], fontsize=7, padding=1, color="#334155")
        for i, w in enumerate(workloads):
            if not any((w, t, base) in ratio for t in targets):
                ax.text(i, 1, "not run", ha="center", va="bottom", fontsize=7, color="#94a3b8")
        ax.axhline(1.0, color="#334155", linewidth=0.8)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}x"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.margins(y=0.15)
        ax.set_ylabel(f"vs {base}")
        ax.grid(axis="y", which="both", color="#e2e8f0", linewidth=0.6)
        ax.set_axisbelow(True)
    axes[0, 0].legend(loc="upper left", ncols=len(targets), frameon=False, bbox_to_anchor=(0, 1.25))
    axes[-1, 0].set_xticks(range(len(workloads)), workloads, rotation=30, ha="right")
    date = data.get("machine", {}).get("date", "")
    fig.suptitle(f"Speedup of tfir over each baseline (baseline time / tfir time; above 1: tfir faster) {date}",
                 fontsize=10)
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """`python3 benchmarks/report.py RESULTS.json --plot OUT.png`: draws a saved run."""
    import argparse
    import json

    p = argparse.ArgumentParser(prog="benchmarks/report.py", description=main.__doc__)
    p.add_argument("results", help="a run's JSON, from benchmarks/run.py --json")
    p.add_argument("--plot", metavar="FILE.png", required=True, help="where to draw the speedups")
    args = p.parse_args(argv)
    with open(args.results, encoding="utf-8") as f:
        plot(json.load(f), args.plot)
    print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
