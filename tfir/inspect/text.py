"""Plain-text views of a trace: IR dump headers, the timing table, the pass
list of `tfir passes`, the fusion decisions of `--explain-fusion`, and the
numbered files of `--dump-dir`."""

from __future__ import annotations

import importlib
import re
from collections import Counter
from pathlib import Path

from tfir.inspect.trace import FRONTEND, Stage, Trace
from tfir.lowering.utils.fusion_decisions import REASONS
from tfir.pipeline import COMPILED, PIPELINE, STAGES, pass_class, steps_for

# xDSL's own passes have no docstrings.
_FALLBACK = {
    "cse": "Common subexpression elimination: merges identical pure ops.",
    "dce": "Dead code elimination: erases ops whose results are unused and that have no side effects.",
}


def dump(stage: Stage, locations: bool = False) -> str:
    return f"{stage.header}\n{stage.ir_with_locations if locations else stage.ir}\n"


def dump_before(stage: Stage, spec: str, next_stage: str, locations: bool = False) -> str:
    """The IR of `stage` as the input of the pass `spec` that runs next."""
    head = f"// -----// IR Dump Before {spec} [stage {next_stage}] //----- //"
    return f"{head}\n{stage.ir_with_locations if locations else stage.ir}\n"


def describe(pass_name: str) -> str:
    """One line about a pass: its class docstring's first line, else its module's."""
    try:
        cls = pass_class(pass_name)
    except Exception as err:  # noqa: BLE001 - a pass that does not import yet
        return f"(not available: {type(err).__name__}: {err})"
    doc = cls.__doc__ or ""
    # A dataclass without a docstring gets `Name(field: type = ...)` as its __doc__.
    if doc.strip().startswith(f"{cls.__name__}("):
        doc = ""
    if not doc.strip():
        module = importlib.import_module(cls.__module__)
        doc = (module.__doc__ or "") if not cls.__module__.startswith("xdsl.") else ""
    line = doc.strip().splitlines()[0].strip() if doc.strip() else _FALLBACK.get(pass_name, "")
    # Module docstrings open with "`name`: what it does."
    line = re.sub(rf"^`{re.escape(pass_name)}`\s*[:\-—]\s*", "", line)
    return line[:1].upper() + line[1:] if line else "(no description)"


def passes_listing(target: str | None = None) -> str:
    width = max(len(s.pass_name) for s in PIPELINE)
    rows = []
    for stage in STAGES:
        steps = [s for s in PIPELINE if s.stage == stage and (target is None or s.runs_for(target))]
        if not steps:
            continue
        rows.append(f"{stage}:")
        for s in steps:
            only = "" if s.targets == COMPILED or target else f"  [{', '.join(sorted(s.targets))} only]"
            rows.append(f"  {s.pass_name:<{width}}  {describe(s.pass_name)}{only}")
    return "\n".join(rows)


def passes_table() -> str:
    """The pipeline as a Markdown table (docs/architecture.md shows it; a test
    compares the two): step, pass, stage, targets, where it is defined, and
    the one line `describe` gives."""
    rows = ["| # | pass | stage | targets | defined in | what it does |", "|---|---|---|---|---|---|"]
    for i, step in enumerate(PIPELINE, 1):
        cls = pass_class(step.pass_name)
        module = cls.__module__
        where = f"xDSL `{module}`" if module.startswith("xdsl.") else f"`{module.removeprefix('tfir.')}`"
        targets = ", ".join(sorted(step.targets))
        what = describe(step.pass_name).replace("|", "\\|")
        rows.append(f"| {i} | `{step.pass_name}` | {step.stage} | {targets} | {where} | {what} |")
    return "\n".join(rows)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.2f}"


def timing_table(trace: Trace) -> str:
    """Time per pass and per stage, with the op counts before and after each."""
    done = {(s.stage, s.pass_name): s for s in trace.stages}  # cse runs in two stages
    width = max([len(s.pass_name) for s in trace.stages] + [len(n) for n in trace.missing] + [23])
    head = f"{'pass':<{width}}  {'stage':<12} {'ms':>9}  {'ops before':>10} {'after':>6}"
    rule = "-" * (len(head) + 14)
    rows = [f"timing: {trace.entry} in {trace.filename}, target {trace.target}", rule, head, rule]
    front = trace.stages[0]
    rows.append(f"{'(frontend: build tf IR)':<{width}}  {front.stage:<12} {_ms(front.seconds)}  "
                f"{'':>10} {front.ops_after:>6}")
    for step in steps_for(trace.target):
        if step.pass_name in trace.missing:
            rows.append(f"{step.pass_name:<{width}}  {step.stage:<12} {'-':>9}  (not available: skipped)")
            continue
        s = done.get((step.stage, step.pass_name))
        if s is None:
            continue
        extra = "" if s.changed else "  (no change)"
        if s.spec != s.pass_name:
            extra += "  " + s.spec.removeprefix(s.pass_name)
        rows.append(f"{s.pass_name:<{width}}  {s.stage:<12} {_ms(s.seconds)}  "
                    f"{s.ops_before:>10} {s.ops_after:>6}{extra}")
    rows += [rule, f"{'stage':<{width}}  {'passes':<12} {'ms':>9}  {'ops before':>10} {'after':>6}", rule]
    passes = [s for s in trace.stages if s.pass_name != FRONTEND]
    for stage in STAGES:
        group = [s for s in passes if s.stage == stage]
        if group:
            rows.append(f"{stage:<{width}}  {len(group):<12} {_ms(sum(s.seconds for s in group))}  "
                        f"{group[0].ops_before:>10} {group[-1].ops_after:>6}")
    rows.append(rule)
    total = sum(s.seconds for s in passes)
    rows.append(f"{'total (passes)':<{width}}  {len(passes):<12} {_ms(total)}")
    return "\n".join(rows)


def fusion_listing(trace: Trace) -> str:
    """`tfir lower --explain-fusion`: each producer/consumer pair that
    `fuse-elementwise` left unfused, and why, with a count per reason."""
    decisions = trace.fusion or []
    head = (f"fusion: {trace.entry} in {trace.filename}, target {trace.target}: "
            f"{len(decisions)} producer/consumer pair{'s' if len(decisions) != 1 else ''} not fused")
    if not decisions:
        return head + " (every elementwise producer went into its consumers)"
    counts = Counter(d.reason for d in decisions)
    rows = [head, "  " + ", ".join(f"{reason}: {n}" for reason, n in counts.most_common()), ""]
    for k, d in enumerate(decisions, 1):
        fn = f"  [{d.function}]" if d.function != trace.entry else ""
        rows += [f"{k}. {d.producer}{fn}", f"   -> {d.consumer}",
                 f"   not fused: {d.reason}" + (f" ({d.detail})" if d.detail else "")]
    rows += ["", "reasons:"]
    rows += [f"  {reason}: {REASONS[reason]}" for reason in counts if reason in REASONS]
    return "\n".join(rows)


_DUMP_NAME = re.compile(r"^\d+-[A-Za-z0-9_.-]+\.mlir$")


def dump_name(stage: Stage) -> str:
    digits = max(2, len(str(len(PIPELINE))))  # fixed, so that names sort in pipeline order
    return f"{stage.index:0{digits}d}-{stage.pass_name}.mlir"


def clear_dump_dir(directory: Path) -> None:
    """Removes the numbered dumps of an earlier run, so that no stale file sits between new ones."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        if old.is_file() and _DUMP_NAME.match(old.name):
            old.unlink()


def write_dump(directory: Path, stage: Stage, locations: bool = False) -> Path:
    path = directory / dump_name(stage)
    path.write_text(dump(stage, locations=locations), encoding="utf-8")
    return path
