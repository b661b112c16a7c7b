"""Campaigns: many generated programs (or fuzzed sources) checked in worker
processes, each case under a time limit, so that a hang or a crash of the
process itself (a segfault in generated code) is a reported failure too.

A worker (`python -m tfir.testing.worker`) reads case seeds on stdin, one
JSON line each, and answers one JSON line per case; the parent restarts a
worker that died or ran past the limit, and records the case as `died` or
`hang`. A case is its seed: the worker regenerates the program, so a
failure is reproduced by its seed alone (`tfir fuzz --seed S --count 1`),
and its files are written to the output folder for `tfir reduce`.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tfir import progress
from tfir.testing.fuzz import fuzz_source
from tfir.testing.gen_core import Settings
from tfir.testing.generator import generate
from tfir.testing.gradcheck import gradient_case


@dataclass(frozen=True)
class CampaignSpec:
    mode: str  # "programs", "gradients" (gradcheck.py) or "sources"
    targets: tuple[str, ...] = ("numpy",)
    seed: int = 0
    count: int | None = 100
    seconds: float | None = None
    jobs: int = 1
    timeout: float = 120.0
    out: str | None = None
    options: dict = field(default_factory=dict)  # Settings fields for programs


def settings_of(spec: CampaignSpec) -> Settings:
    """The generator's settings of a campaign (its `options`, on top of the defaults)."""
    options = dict(spec.options)
    for key in ("exclude", "only"):
        if options.get(key) is not None:
            value = options[key]
            options[key] = frozenset([value] if isinstance(value, str) else value)
    if "dtypes" in options:
        options["dtypes"] = tuple(options["dtypes"])
    return Settings(**options)


@dataclass
class CampaignResult:
    cases: int = 0
    ran: Counter = field(default_factory=Counter)  # target -> programs run
    failures: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [f"{self.cases} cases in {self.seconds:.0f} s; "
                 + ", ".join(f"{t}: {n}" for t, n in sorted(self.ran.items()))]
        kinds = Counter((f["kind"], f["target"], f["message"][:90]) for f in self.failures)
        lines.append(f"{len(self.failures)} failures" + (":" if kinds else ""))
        lines += [f"  {n} x {k} on {t}: {m}" for (k, t, m), n in kinds.most_common(20)]
        return "\n".join(lines)


class Worker:
    """One worker process and the case it is on."""

    def __init__(self, spec: CampaignSpec):
        env = dict(os.environ, TRITON_INTERPRET="1", TFIR_PROGRESS="0", TFIR_CACHE="0")
        self.proc = subprocess.Popen([sys.executable, "-m", "tfir.testing.worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                                     bufsize=1)
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"spec": asdict(spec)}) + "\n")
        self.proc.stdin.flush()
        self.case: int | None = None
        self.started = 0.0

    def send(self, seed: int) -> None:
        assert self.proc.stdin is not None
        self.case, self.started = seed, time.monotonic()
        self.proc.stdin.write(json.dumps({"seed": seed}) + "\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


def _seeds(spec: CampaignSpec) -> Iterator[int]:
    i = 0
    while spec.count is None or i < spec.count:
        yield spec.seed + i
        i += 1


def run_campaign(spec: CampaignSpec) -> CampaignResult:
    """Runs the cases of `spec`; failures are also written to `spec.out` as they come."""
    result = CampaignResult()
    start = time.monotonic()
    out = Path(spec.out) if spec.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    seeds = _seeds(spec)
    workers = [Worker(spec) for _ in range(max(1, spec.jobs))]
    sel = selectors.DefaultSelector()
    for w in workers:
        sel.register(w.proc.stdout, selectors.EVENT_READ, w)  # type: ignore[arg-type]
    exhausted = False
    with progress.Steps(f"fuzz {spec.mode}", spec.count, "case") as bar:
        while True:
            expired = spec.seconds is not None and time.monotonic() - start > spec.seconds
            for w in workers:
                if w.case is None and not exhausted and not expired:
                    seed = next(seeds, None)
                    if seed is None:
                        exhausted = True
                    else:
                        w.send(seed)
            busy = [w for w in workers if w.case is not None]
            if not busy:
                break
            for key, _ in sel.select(timeout=1.0):
                w = key.data
                line = w.proc.stdout.readline()
                if line:
                    _record(result, json.loads(line), out, spec)
                    w.case = None
                    bar.advance(_postfix(result))
                    _progress_file(result, out, start)
                else:  # the worker died: a crash of the process itself
                    _record(result, _lost(w, "died", f"the worker died (status {w.proc.wait()})"), out, spec)
                    _replace(sel, workers, w, spec)
                    bar.advance(_postfix(result))
            for w in list(workers):
                if w.case is not None and time.monotonic() - w.started > spec.timeout:
                    _record(result, _lost(w, "hang", f"no answer in {spec.timeout:.0f} s"), out, spec)
                    _replace(sel, workers, w, spec)
                    bar.advance(_postfix(result))
    for w in workers:
        w.kill()
    result.seconds = time.monotonic() - start
    if out is not None:
        (out / "summary.txt").write_text(result.summary() + "\n")
    return result


def _postfix(result: CampaignResult) -> str:
    return f"{len(result.failures)} failures"


def _progress_file(result: CampaignResult, out: Path | None, start: float) -> None:
    """Every 100 cases, the summary so far in OUT/summary.txt (a long campaign has no terminal)."""
    if out is not None and result.cases % 100 == 0:
        result.seconds = time.monotonic() - start
        (out / "summary.txt").write_text(result.summary() + "\n(running)\n")


def _lost(w: Worker, kind: str, message: str) -> dict:
    return {"seed": w.case, "ran": [], "failures": [{"kind": kind, "target": "worker", "message": message,
                                                     "detail": ""}], "files": {}}


def _replace(sel: selectors.BaseSelector, workers: list[Worker], w: Worker, spec: CampaignSpec) -> None:
    sel.unregister(w.proc.stdout)  # type: ignore[arg-type]
    w.kill()
    fresh = Worker(spec)
    workers[workers.index(w)] = fresh
    sel.register(fresh.proc.stdout, selectors.EVENT_READ, fresh)  # type: ignore[arg-type]


def _record(result: CampaignResult, answer: dict, out: Path | None, spec: CampaignSpec) -> None:
    result.cases += 1
    result.ran.update(answer.get("ran", []))
    for f in answer.get("failures", []):
        f = dict(f, seed=answer.get("seed"))
        result.failures.append(f)
        if out is not None:
            stem = out / f"{f['kind']}-{f['target']}-{f['seed']}"
            write_case(spec, f["seed"], stem)
            stem.with_suffix(".txt").write_text(f"{f['kind']} on {f['target']}: {f['message']}\n\n{f['detail']}\n")


def write_case(spec: CampaignSpec, seed: int, stem: Path) -> None:
    """The case of `seed` as files: STEM.tf, and STEM.npz with a program's inputs."""
    if spec.mode == "programs":
        program = generate(seed, settings_of(spec))
        stem.with_suffix(".tf").write_text(program.source)
        np.savez(stem.with_suffix(".npz"), **program.inputs)
    elif spec.mode == "gradients":
        case = gradient_case(seed, settings_of(spec))
        if case is not None:
            stem.with_suffix(".tf").write_text(case.source)
            np.savez(stem.with_suffix(".npz"), **case.inputs)
    else:
        case = fuzz_source(seed)
        stem.with_suffix(".tf").write_bytes(case.source.encode("utf-8", "surrogateescape"))
