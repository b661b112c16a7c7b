"""Measuring: variants of a workload are built, checked against the
hand-written NumPy result, then timed interleaved (round-robin over the
variants, repeated) in one process; medians are reported with min and max.

A variant that fails to build, raises, or gives a result that differs from
the hand-written one is reported with its error and never timed.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from workloads import Workload

Call = Callable[[], Any]


@dataclass(frozen=True)
class Variant:
    """One way of running a workload. `kind` is "tfir", "hand", "tuned", "numexpr", "jax"
    or "torch" (`torch.compile`)."""

    name: str
    kind: str
    target: str = "numpy"
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


BASE_VARIANTS = [
    Variant("numpy", "tfir", "numpy"),
    Variant("eager", "tfir", "eager"),
    Variant("hand", "hand"),
    Variant("hand-tuned", "tuned"),
    Variant("numexpr", "numexpr"),
    Variant("jax", "jax"),
    Variant("torch", "torch"),
]

PEER_KINDS = ("hand", "tuned", "numexpr", "jax", "torch")
"""The kinds of the variants tfir is compared with (the peers)."""

ABLATION_VARIANTS = [
    Variant("numpy-nofuse", "tfir", "numpy", {"disable": ("fuse-elementwise",)}),
    Variant("numpy-notile", "tfir", "numpy", {"disable": ("tile-linalg",)}),
    Variant("numpy-nothreads", "tfir", "numpy", {"backend_options": {"threads": False}}),
    Variant("numpy-noplan", "tfir", "numpy", {"disable": ("plan-buffers",)}),
    # The schedule and the row groups are passes of stage `schedule`: off, every
    # tile loop runs as `tile-linalg` made it.
    Variant("numpy-noschedule", "tfir", "numpy",
            {"disable": ("numpy-row-groups", "numpy-schedule", "numpy-elide-fills")}),
    Variant("numpy-norows", "tfir", "numpy", {"disable": ("numpy-row-groups",)}),
    # Not an optimization: the IR verification after every pass, a compile-time cost
    # (compiles verify the final IR only unless TFIR_VERIFY_EACH=1).
    Variant("numpy-verifyeach", "tfir", "numpy", {"verify_each": True}),
]


def parse_variant(spec: str) -> Variant:
    """`NAME=OPTIONS`, OPTIONS a JSON object of `compile_file` options; its
    "target" key picks the target (default numpy)."""
    name, sep, text = spec.partition("=")
    if not sep or not name:
        raise ValueError(f"--variant expects NAME=OPTIONS, got {spec!r}")
    options = json.loads(text) if text.strip() else {}
    if not isinstance(options, dict):
        raise ValueError(f"--variant {name}: OPTIONS must be a JSON object")
    target = options.pop("target", "numpy")
    if "disable" in options:
        options["disable"] = tuple(options["disable"])
    return Variant(name, "tfir", target, options)


@dataclass
class Row:
    """What one variant gave on one workload."""

    variant: str
    status: str = "ok"  # ok | error | mismatch | skipped
    kind: str = ""  # the Variant's kind
    detail: str = ""
    samples: list[float] = field(default_factory=list)  # seconds per call
    number: int = 1  # calls per sample
    first_call_s: float | None = None  # building (compile_file) plus the first call
    build_s: float | None = None  # compile time measured on its own (tfir: compile_file + specialize)
    peak_bytes: int | None = None  # NumPy memory allocated during one call, at its peak (tracemalloc)
    call: Call | None = field(default=None, repr=False)

    @property
    def median(self) -> float | None:
        return float(np.median(self.samples)) if self.samples else None

    @property
    def compile_s(self) -> float | None:
        """The compile time measured on its own, else the first call minus the
        fastest steady call; None for variants that do not compile."""
        if self.kind in ("hand", "tuned", "numexpr"):
            return None
        if self.build_s is not None:
            return self.build_s
        if self.first_call_s is None or not self.samples:
            return None
        return max(self.first_call_s - min(self.samples), 0.0)


class Timeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raises Timeout in the main thread after `seconds` (a hung compile must not hang the run)."""
    if seconds <= 0 or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise Timeout(f"gave up after {seconds:.0f} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def optional_module(name: str) -> Any | None:
    """numexpr / jax / torch when installed; never required."""
    if name == "jax":
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    try:
        module = importlib.import_module(name)
        if name == "jax":
            importlib.import_module("jax.numpy")
            importlib.import_module("jax.nn")
        if name == "torch" and not hasattr(module, "compile"):
            return None
        return module
    except Exception:  # noqa: BLE001 - a broken optional install counts as absent
        return None


def build_tfir(w: Workload, v: Variant, args: list[np.ndarray]) -> tuple[Call, float]:
    """Compiles a fresh Program for `args`' signature; the seconds that took.

    The disk cache of generated code is off (unless the variant's options turn
    it on): a hit would hide the compile time, and code cached by an older
    compiler would be measured instead of the current one."""
    import tfir
    from tfir.pipeline import steps_for
    passes = {s.pass_name for s in steps_for(v.target)}
    unknown = sorted(set(v.options.get("disable", ())) - passes)
    if unknown:  # disabling nothing would silently measure the default pipeline
        raise ValueError(f"the {v.target} pipeline has no pass {', '.join(unknown)}")
    start = time.perf_counter()
    fn = tfir.compile_file(w.path, target=v.target, **{"cache": False, **v.options})["main"]
    specialize = getattr(fn, "specialize", None)
    if specialize is not None:
        arrays, statics = fn.bind_inputs(tuple(args), {})
        specialize(arrays, statics)
    return (lambda: fn(*args)), time.perf_counter() - start


def build_call(w: Workload, v: Variant, inputs: dict[str, np.ndarray]) -> tuple[Call | None, float | None]:
    """A no-argument callable that runs `v` on `inputs` (None where `v` does not
    apply), and its compile time where that is measured on its own."""
    args = list(inputs.values())
    if v.kind == "tfir":
        return build_tfir(w, v, args)
    if v.kind == "hand":
        return (lambda: w.hand(*args)), None
    if v.kind == "tuned":
        tuned = w.tuned
        return (None if tuned is None else (lambda: tuned(*args))), None
    if v.kind == "numexpr":
        ne = optional_module("numexpr")
        if ne is None or w.numexpr is None:
            return None, None
        fn_ne = w.numexpr(ne)
        return (lambda: fn_ne(*args)), None
    if v.kind == "jax":
        jax = optional_module("jax")
        if jax is None or w.jax is None:
            return None, None
        jitted = jax.jit(w.jax(jax))
        dev = [jax.device_put(a) for a in args]
        return (lambda: jitted(*dev).block_until_ready()), None
    if v.kind == "torch":
        torch = optional_module("torch")
        if torch is None or w.torch is None:
            return None, None
        compiled = torch.compile(w.torch(torch))
        tensors = [torch.from_numpy(a) for a in args]  # the same memory, no copy
        return (lambda: compiled(*tensors)), None
    raise ValueError(f"unknown variant kind {v.kind!r}")


def first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}"


def compare(out: Any, ref: np.ndarray, rtol: float, atol: float) -> str | None:
    """Why `out` is not the reference result, or None when it is."""
    if isinstance(out, tuple):
        return f"gave {len(out)} results, expected 1"
    if hasattr(out, "detach"):  # a torch tensor
        out = out.detach().numpy()
    arr = np.asarray(out)
    if arr.shape != ref.shape:
        return f"shape {arr.shape}, expected {ref.shape}"
    if arr.dtype != ref.dtype:
        return f"dtype {arr.dtype}, expected {ref.dtype}"
    if np.allclose(arr, ref, rtol=rtol, atol=atol, equal_nan=True):
        return None
    err = np.abs(arr.astype(np.float64) - ref.astype(np.float64))
    bad = int(np.count_nonzero(~np.isclose(arr, ref, rtol=rtol, atol=atol, equal_nan=True)))
    return f"{bad} of {ref.size} elements differ, max abs error {np.nanmax(err):.3g}"


def prepare(w: Workload, v: Variant, inputs: dict[str, np.ndarray], ref: np.ndarray,
            limit_s: float) -> Row:
    """Builds, runs once (compiling) and checks one variant."""
    row = Row(v.name, kind=v.kind)
    start = time.perf_counter()
    try:
        with time_limit(limit_s):
            call, row.build_s = build_call(w, v, inputs)
            if call is None:
                return Row(v.name, "skipped", kind=v.kind,
                           detail="not installed or not defined for this workload")
            out = call()
    except Exception as err:  # noqa: BLE001 - a broken variant is reported, not fatal
        return Row(v.name, "error", kind=v.kind, detail=first_line(err))
    row.first_call_s = time.perf_counter() - start
    problem = compare(out, ref, w.rtol, w.atol)
    if problem is not None:
        return Row(v.name, "mismatch", kind=v.kind, detail=problem, first_call_s=row.first_call_s,
                   build_s=row.build_s)
    row.call = call
    return row


def calibrate(row: Row, min_sample_s: float) -> float:
    """Sets the calls per sample so that one sample lasts at least
    `min_sample_s`; returns the seconds of one call."""
    assert row.call is not None
    start = time.perf_counter()
    row.call()
    once = time.perf_counter() - start
    row.number = max(1, min(10_000, int(min_sample_s / max(once, 1e-7)) + 1)) if once < min_sample_s else 1
    return once


def sample(call: Call, number: int) -> float:
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            call()
        return (time.perf_counter() - start) / number
    finally:
        if gc_was_on:
            gc.enable()


def time_interleaved(rows: list[Row], repeats: int, min_sample_s: float,
                     progress: Callable[[str], None], calibrated: bool = False,
                     budget_s: float = float("inf")) -> None:
    """Round-robin: each repeat takes one sample of every live variant, the
    starting variant rotating so that none always runs first. A variant whose
    samples would take more than `budget_s` in all stops after fewer (at least
    3) samples, so one very slow variant cannot stall the run."""
    live = [r for r in rows if r.call is not None]
    wanted: dict[int, int] = {}
    for r in live:
        once = calibrate(r, min_sample_s) if not calibrated else 0.0
        affordable = int(min(budget_s / max(once * r.number, 1e-9), repeats))
        wanted[id(r)] = max(min(3, repeats), min(repeats, affordable))
    for rep in range(repeats):
        progress(f"repeat {rep + 1}/{repeats}")
        order = live[rep % len(live):] + live[:rep % len(live)] if live else []
        for r in order:
            if len(r.samples) >= wanted[id(r)]:
                continue
            try:
                r.samples.append(sample(r.call, r.number))  # type: ignore[arg-type]
            except Exception as err:  # noqa: BLE001 - a variant failing late is reported
                r.status, r.detail, r.call = "error", first_line(err), None
                r.samples.clear()
                live.remove(r)


def run_workload(w: Workload, variants: list[Variant], quick: bool, repeats: int,
                 min_sample_s: float, limit_s: float, progress: Callable[[str], None],
                 budget_s: float = float("inf"), info: dict[str, Any] | None = None) -> list[Row]:
    """Every variant of `w`, built, checked and timed; `info` (when given)
    receives the bytes of the inputs and the result and the load average after."""
    gc.collect()
    inputs = w.inputs(w.sizes(quick), np.random.default_rng(0))
    ref = np.asarray(w.hand(*inputs.values()))
    if info is not None:
        info["traffic_bytes"] = sum(a.nbytes for a in inputs.values()) + ref.nbytes
        info["flops"] = w.flops(w.sizes(quick)) if w.flops is not None else None
    rows = []
    for v in variants:
        progress(f"building {v.name}")
        rows.append(prepare(w, v, inputs, ref, limit_s))
    time_interleaved(rows, repeats, min_sample_s, progress, budget_s=budget_s)
    progress("peak memory")
    for r in rows:
        if r.call is not None and r.kind in MEMORY_KINDS:
            r.peak_bytes = peak_memory(r.call)
        r.call = None  # drop compiled programs and device buffers before the next workload
    if info is not None and hasattr(os, "getloadavg"):
        info["load_average"] = os.getloadavg()
    return rows


MEMORY_KINDS = ("tfir", "hand", "tuned")
"""The kinds whose every buffer is a NumPy array, which tracemalloc sees (jax,
torch and numexpr allocate outside NumPy: their peak is not measured)."""


def peak_memory(call: Call) -> int:
    """The bytes of NumPy arrays (and Python objects) allocated during one
    call at their peak, the result included, beyond what was live before it."""
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        call()
        return max(0, tracemalloc.get_traced_memory()[1] - before)
    finally:
        tracemalloc.stop()


def fresh_compile_times(w: Workload, variant: Variant, quick: bool, times: int,
                        limit_s: float, disk_cache: bool = False) -> list[float]:
    """Seconds of `compile_file` plus one first call on a fresh Program, `times`
    times; with `disk_cache`, loading the generated code from a warm disk cache
    (in a temporary folder) instead of compiling."""
    import tempfile

    import tfir
    args = list(w.inputs(w.sizes(quick), np.random.default_rng(0)).values())
    options = {**variant.options, "cache": disk_cache}

    def once() -> float:
        start = time.perf_counter()
        with time_limit(limit_s):
            tfir.compile_file(w.path, target=variant.target, **options)["main"](*args)
        return time.perf_counter() - start

    if not disk_cache:
        return [once() for _ in range(times)]
    saved = os.environ.get("TFIR_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="tfir-bench-cache-") as tmp:
        os.environ["TFIR_CACHE_DIR"] = tmp
        try:
            once()  # fills the cache
            return [once() for _ in range(times)]
        finally:
            if saved is None:
                os.environ.pop("TFIR_CACHE_DIR", None)
            else:
                os.environ["TFIR_CACHE_DIR"] = saved


def call_overhead(w: Workload, variants: list[Variant], calls: int, repeats: int,
                  limit_s: float) -> list[Row]:
    """Per-call time of cached calls on a tiny input (`calls` calls a sample), interleaved."""
    inputs = w.inputs(w.sizes(True), np.random.default_rng(0))
    ref = np.asarray(w.hand(*inputs.values()))
    rows = [prepare(w, v, inputs, ref, limit_s) for v in variants]
    for r in rows:
        r.number = calls
    time_interleaved(rows, repeats, 0.0, lambda s: None, calibrated=True)
    for r in rows:
        r.call = None
    return rows


def progress_printer(enabled: bool) -> Callable[[str], None]:
    """A progress line on stderr, overwritten in place with \\r; "" clears it."""
    width = [0]

    def show(text: str) -> None:
        if not enabled:
            return
        line = text[:110]
        sys.stderr.write("\r" + line + " " * max(0, width[0] - len(line)) + ("\r" if not line else ""))
        sys.stderr.flush()
        width[0] = len(line)
    return show


def warm_up(variants: list[Variant], w: Workload, limit_s: float) -> None:
    """Imports the compiler and each target's passes once, so that the first
    workload's compile time is not charged with Python's imports."""
    inputs = list(w.inputs(w.sizes(True), np.random.default_rng(0)).values())
    for target in dict.fromkeys(v.target for v in variants if v.kind == "tfir"):
        try:
            import tfir
            with time_limit(limit_s):
                tfir.compile_file(w.path, target=target, cache=False)["main"](*inputs)
        except Exception:  # noqa: BLE001 - the failure shows again in its own row
            pass
