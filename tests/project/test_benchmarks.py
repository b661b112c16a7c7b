"""Smoke test of the benchmark runner: `benchmarks/run.py --quick` on two
workloads, its table and JSON, and that it reports (never times) variants
that fail or disagree with hand-written NumPy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

import harness  # noqa: E402
import make_ops100  # noqa: E402
import workloads  # noqa: E402


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict]:
    # Bytes, not text: text mode would turn the progress line's \r into \n.
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    md = out.with_suffix(".md")
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--only", "chain-1e6,redundancy",
         "--repeats", "2", "--progress", "--json", str(out), "--markdown", str(md),
         "--variants", "numpy,eager,hand,hand-tuned,bad", "--variant", 'bad={"target": "nosuch"}'],
        capture_output=True, timeout=120)
    stdout, stderr = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0, stderr[-3000:]
    data = json.loads(out.read_text())
    data["markdown"] = md.read_text()
    return subprocess.CompletedProcess(proc.args, 0, stdout, stderr), data


def _rows(data: dict, workload: str) -> dict[str, dict]:
    entry = next(w for w in data["workloads"] if w["name"] == workload)
    return {r["variant"]: r for r in entry["rows"]}


def test_quick_run_measures_hand_and_eager(quick_run: tuple[subprocess.CompletedProcess[str], dict]) -> None:
    proc, data = quick_run
    assert [w["name"] for w in data["workloads"]] == ["chain-1e6", "redundancy"]
    for name in ("chain-1e6", "redundancy"):
        rows = _rows(data, name)
        for variant in ("hand", "hand-tuned", "eager"):
            row = rows[variant]
            assert row["status"] == "ok", row
            assert len(row["samples_s"]) == 2 and 0 < row["min_s"] <= row["median_s"] <= row["max_s"]
        assert rows["hand"]["speedup_vs_hand"] == pytest.approx(1.0)
        assert rows["eager"]["compile_s"] is not None
        assert name in proc.stdout
    assert "vs hand" in proc.stdout and "Cached-call overhead" in proc.stdout
    assert "\r" in proc.stderr  # the progress line
    assert "| chain-1e6 | N=10000 |" in data["markdown"] and "cached call" in data["markdown"]


def test_numpy_target_is_measured_or_reported(quick_run: tuple[subprocess.CompletedProcess[str], dict]) -> None:
    """While the numpy target is unfinished its rows show the error instead of a time."""
    _, data = quick_run
    for name in ("chain-1e6", "redundancy"):
        row = _rows(data, name)["numpy"]
        if row["status"] == "ok":
            assert row["median_s"] > 0 and row["speedup_vs_hand"] > 0
        else:
            assert row["status"] in ("error", "mismatch") and row["detail"] and not row["samples_s"]


def test_failing_variant_is_reported_not_timed(quick_run: tuple[subprocess.CompletedProcess[str], dict]) -> None:
    proc, data = quick_run
    row = _rows(data, "chain-1e6")["bad"]
    assert row["status"] == "error" and "nosuch" in row["detail"] and not row["samples_s"]
    assert "ERROR" in proc.stdout


def test_mismatch_is_reported_not_timed() -> None:
    w = workloads.by_name()["chain-1e6"]
    inputs = w.inputs(w.sizes(True), np.random.default_rng(0))
    ref = w.hand(*inputs.values())
    wrong = harness.Variant("wrong", "tuned")
    bad = workloads.Workload(w.name, w.program, w.description, w.full, w.quick, w.inputs, w.hand,
                             tuned=lambda a, b, c: w.hand(a, b, c) + np.float32(1e-2))
    row = harness.prepare(bad, wrong, inputs, ref, limit_s=0)
    assert row.status == "mismatch" and "differ" in row.detail and row.call is None
    harness.time_interleaved([row], repeats=2, min_sample_s=0.0, progress=lambda s: None)
    assert row.samples == []


def test_hand_versions_agree() -> None:
    """The tuned and hand-written NumPy versions compute the same thing."""
    for w in workloads.WORKLOADS:
        inputs = list(w.inputs(w.sizes(True), np.random.default_rng(1)).values())
        ref = w.hand(*inputs)
        assert ref.dtype == np.float32, w.name
        if w.tuned is not None:
            assert harness.compare(w.tuned(*inputs), ref, w.rtol, w.atol) is None, w.name


def test_ops100_program_is_generated() -> None:
    text = make_ops100.PATH.read_text(encoding="utf-8")
    assert text == make_ops100.program_text()
    ops = sum(line.count(op) for line in text.splitlines()[3:]
              for op in (" * ", " + ", "tanh(", "sin(", "cos(", "sigmoid("))
    assert ops == 100


def test_slow_variant_takes_fewer_samples_within_budget() -> None:
    import time
    slow = harness.Row("slow", call=lambda: time.sleep(0.02))
    fast = harness.Row("fast", call=lambda: None)
    harness.time_interleaved([slow, fast], repeats=6, min_sample_s=0.0, progress=lambda s: None,
                             budget_s=0.05)
    assert len(slow.samples) == 3 and len(fast.samples) == 6
    assert min(slow.samples) >= 0.02


def test_parse_variant() -> None:
    v = harness.parse_variant('x={"target": "eager", "disable": ["cse"], "backend_options": {"threads": false}}')
    assert (v.name, v.kind, v.target) == ("x", "tfir", "eager")
    assert v.options == {"disable": ("cse",), "backend_options": {"threads": False}}
    assert harness.parse_variant("plain=").options == {}
    for bad in ("noequals", "=", 'x=[1]'):
        with pytest.raises(ValueError):
            harness.parse_variant(bad)
