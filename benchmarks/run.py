"""Benchmarks of tfir's targets against NumPy written by hand.

    python3 benchmarks/run.py [--quick] [--json PATH] [--plot PNG] [--only NAMES] [--ablation]
                              [--variant NAME=OPTIONS]... [--variants NAMES]

Every workload (a `.tf` program in benchmarks/programs/) is run by each
variant: the tfir numpy and eager targets, NumPy written by hand as a user
would and tuned by hand (in-place, einsum, CSE), and numexpr and `jax.jit`
where they are installed. Each result is checked against the hand-written
one before it is timed; timing is interleaved in one process (round-robin
over the variants, repeated) and reported as medians (min - max) with the
speedup over hand-written NumPy and the compile time of the program. Then
the cost of a cached call on a tiny input, and compile times of fresh
programs. `--ablation` adds numpy-target variants with one optimization
switched off each; `--variant NAME='{"disable": ["cse"], "backend_options": {...}}'`
adds a variant with any options of `tfir.compile_file` (fields of `tfir.CompileOptions`).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import report  # noqa: E402
from harness import ABLATION_VARIANTS, BASE_VARIANTS, Variant  # noqa: E402
from workloads import TINY, WORKLOADS, Workload, by_name  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="workloads: " + ", ".join(w.name for w in WORKLOADS))
    p.add_argument("--quick", action="store_true", help="small sizes, few repeats (a smoke run)")
    p.add_argument("--json", metavar="PATH", help="also write every measurement as JSON to PATH")
    p.add_argument("--markdown", metavar="PATH", help="also write the tables as Markdown to PATH")
    p.add_argument("--only", metavar="NAMES", action="append", default=[],
                   help="comma-separated workloads to run (default: all)")
    p.add_argument("--ablation", action="store_true",
                   help="also run the numpy target with each optimization switched off")
    p.add_argument("--variant", metavar="NAME=OPTIONS", action="append", default=[],
                   help='an extra tfir variant: NAME={"target": ..., "disable": [...], '
                        '"pass_options": {...}, "backend_options": {...}} (JSON)')
    p.add_argument("--variants", metavar="NAMES",
                   help="comma-separated variants to run (default: all that apply); 'hand' always runs")
    p.add_argument("--repeats", type=int, help="samples per variant (default 11, quick 3)")
    p.add_argument("--min-sample", type=float, metavar="S",
                   help="least seconds one sample lasts; fast calls are repeated within it "
                        "(default 0.05, quick 0.005)")
    p.add_argument("--budget", type=float, metavar="S",
                   help="seconds of samples one variant may take per workload; a slower one "
                        "takes fewer (at least 3) samples (default 20, quick 2)")
    p.add_argument("--timeout", type=float, default=300.0, metavar="S",
                   help="give up on building one variant after S seconds (default 300)")
    p.add_argument("--plot", metavar="FILE.png",
                   help="also draw the speedup of each tfir target over each baseline (needs matplotlib)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a progress line on stderr (default: when stderr is a terminal)")
    return p.parse_args(argv)


def select_workloads(only: list[str]) -> list[Workload]:
    if not only:
        return list(WORKLOADS)
    table = by_name()
    names = [n.strip() for item in only for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in table]
    if unknown:
        raise SystemExit(f"unknown workload(s) {', '.join(unknown)}; "
                         f"expected some of {', '.join(table)}")
    return [table[n] for n in dict.fromkeys(names)]


def select_variants(args: argparse.Namespace) -> list[Variant]:
    variants = list(BASE_VARIANTS) + (list(ABLATION_VARIANTS) if args.ablation else [])
    try:
        variants += [harness.parse_variant(spec) for spec in args.variant]
    except (ValueError, json.JSONDecodeError) as err:
        raise SystemExit(str(err)) from None
    if args.variants:
        wanted = {n.strip() for n in args.variants.split(",")} | {"hand"}
        unknown = wanted - {v.name for v in variants}
        if unknown:
            raise SystemExit(f"unknown variant(s) {', '.join(sorted(unknown))}; "
                             f"expected some of {', '.join(v.name for v in variants)}")
        variants = [v for v in variants if v.name in wanted]
    return variants


def extras_installed() -> dict[str, str | None]:
    found = {}
    for name in ("numexpr", "jax"):
        module = harness.optional_module(name)
        found[name] = getattr(module, "__version__", "?") if module is not None else None
    return found


def fresh_compiles(workloads: list[Workload], variants: list[Variant], quick: bool,
                   timeout: float) -> dict[str, dict[str, list[float] | str]]:
    """compile_file plus a first call on fresh Programs of the 100-op program
    (and of the workloads marked `compile_time`, five nested loops); for the
    numpy target also with the generated code found in the disk cache."""
    out: dict[str, dict[str, list[float] | str]] = {}
    times = 1 if quick else 3
    for w in workloads:
        if w.name != "ops100" and not w.extra.get("compile_time"):
            continue
        out[w.name] = {}
        for v in variants:
            if v.kind != "tfir" or v.name not in ("numpy", "eager"):
                continue
            runs = [(v.name, False)] + ([(f"{v.name}, disk cache hit", True)] if v.target != "eager" else [])
            for label, disk in runs:
                try:
                    out[w.name][label] = harness.fresh_compile_times(w, v, quick, times, timeout, disk)
                except Exception as err:  # noqa: BLE001 - reported like any variant error
                    out[w.name][label] = harness.first_line(err)
    return out


def compile_summary(runs: dict[str, dict[str, list[float] | str]]) -> str:
    lines = []
    for name, per_variant in runs.items():
        for variant, times in per_variant.items():
            if isinstance(times, str):
                lines.append(f"  {name} {variant:<24} ERROR: {times}"[:160])
            else:
                best = " ".join(report.fmt_time(t) for t in times)
                lines.append(f"  {name} {variant:<24} {report.fmt_time(sorted(times)[len(times) // 2])}"
                             f" median of {len(times)} ({best})")
    if not lines:
        return ""
    return "Fresh compile (compile_file + first call, new Program each time):\n" + "\n".join(lines)


@dataclass
class Settings:
    quick: bool
    repeats: int
    min_sample_s: float
    budget_s: float
    timeout_s: float

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Settings:
        return cls(args.quick, args.repeats or (3 if args.quick else 11),
                   args.min_sample if args.min_sample is not None else (0.005 if args.quick else 0.05),
                   args.budget if args.budget is not None else (2.0 if args.quick else 20.0),
                   args.timeout)


@dataclass
class Measured:
    results: list[tuple[str, str, list[Any]]] = field(default_factory=list)
    sizes: dict[str, dict[str, int]] = field(default_factory=dict)
    overhead: list[Any] = field(default_factory=list)
    compile_runs: dict[str, dict[str, list[float] | str]] = field(default_factory=dict)
    interrupted: bool = False


def print_header(machine: dict[str, Any]) -> None:
    print(f"tfir benchmarks, {machine['date']}, {machine['cpu']} ({machine['cores']} cores), "
          f"numpy {machine['numpy']} with {machine['blas']}, commit {machine['tfir_commit']}")
    print("extras: " + ", ".join(f"{k} {v or 'not installed'}" for k, v in machine["extras"].items()))
    blas_env = " ".join(f"{k}={v}" for k, v in machine["openblas_env"].items()) or "no OPENBLAS_* set"
    kernels = ", ".join(f"{b['internal_api']} {b['architecture']} x{b['num_threads']}"
                        for b in machine["blas_loaded"]) or "kernel unknown (no threadpoolctl)"
    print(f"BLAS: {kernels}; {blas_env}")
    load = machine["load_average"]
    if load and machine["cores"] and load[0] > 0.5 * machine["cores"]:
        print(f"warning: the machine is busy (load average {load[0]:.1f} on {machine['cores']} cores): "
              "timings will be noisy")


def measure(workloads: list[Workload], variants: list[Variant], s: Settings,
            progress: Any) -> Measured:
    """Every measurement; Ctrl-C stops it and keeps what was measured so far."""
    out = Measured()
    try:
        progress("warming up (imports)")
        harness.warm_up(variants, TINY, s.timeout_s)
        for i, w in enumerate(workloads):
            def show(text: str, i: int = i, w: Workload = w) -> None:
                progress(f"[{i + 1}/{len(workloads)}] {w.name}: {text}")
            rows = harness.run_workload(w, variants, s.quick, s.repeats, s.min_sample_s,
                                        s.timeout_s, show, s.budget_s)
            out.sizes[w.name] = w.sizes(s.quick)
            out.results.append((w.name, w.description, rows))
        progress("call overhead on tiny.tf")
        tiny_variants = [v for v in variants if v.kind in ("tfir", "hand")]
        out.overhead = harness.call_overhead(TINY, tiny_variants, 200 if s.quick else 2000,
                                             s.repeats, s.timeout_s)
        progress("fresh compiles")
        out.compile_runs = fresh_compiles(workloads, variants, s.quick, s.timeout_s)
    except KeyboardInterrupt:
        out.interrupted = True
    progress("")
    return out


def emit(args: argparse.Namespace, machine: dict[str, Any], variants: list[Variant], s: Settings,
         m: Measured) -> None:
    print()
    if m.interrupted:
        print("interrupted: the tables hold what was measured before Ctrl-C\n")
    print(report.workload_table(m.results))
    print()
    print(report.overhead_table(m.overhead))
    summary = compile_summary(m.compile_runs)
    if summary:
        print()
        print(summary)
    settings = {**asdict(s), "interrupted": m.interrupted,
                "variants": [{"name": v.name, "kind": v.kind, "target": v.target,
                              "options": v.options} for v in variants]}
    data = report.to_json(machine, settings, m.results, m.sizes, m.compile_runs, m.overhead)
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
        print(f"\nwrote {args.json}")
    if args.plot:
        report.plot(data, args.plot)
        print(f"wrote {args.plot}")
    if args.markdown:
        Path(args.markdown).write_text(report.markdown(machine, m.results, m.sizes, m.overhead),
                                       encoding="utf-8")
        print(f"wrote {args.markdown}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workloads = select_workloads(args.only)
    variants = select_variants(args)
    settings = Settings.from_args(args)
    if args.plot:
        report.require_matplotlib()  # now, not after the measurements
    show_progress = sys.stderr.isatty() if args.progress is None else args.progress
    machine = report.machine_info(extras_installed())
    print_header(machine)
    if not args.quick:
        machine["calibration"] = report.calibrate_machine()
        print("machine: " + ", ".join(f"{k} {v:.1f}" for k, v in machine["calibration"].items()))
    measured = measure(workloads, variants, settings, harness.progress_printer(show_progress))
    emit(args, machine, variants, settings, measured)
    return 130 if measured.interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
