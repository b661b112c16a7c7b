"""`tfir explain`: one self-contained HTML page about the lowering of an entry.

The page holds the source with line numbers, the dataflow graph (inline SVG),
a table of passes (time, op counts), the pairs fuse-elementwise left unfused
and why (`--explain-fusion`), every stage as a side-by-side diff with
the one before it (diffs precomputed here with difflib; passes that changed
nothing collapsed), and the generated code. Every line of IR and code carries
the source line of its location (`loc("file.tf":L:C)`, printed with xDSL's
`print_debuginfo`), so that selecting a source line lights up what it became
at every stage. Nothing is loaded from the network; the script is a few lines.
"""

from __future__ import annotations

import difflib
import html
import os
import re
import time
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from xdsl.dialects.builtin import ModuleOp

from tfir.backends.registry import inspected_target
from tfir.inspect import graph, highlight
from tfir.inspect.report_assets import CSS, JS
from tfir.inspect.trace import FRONTEND, CodegenFailed, Stage, Trace, generate_code, trace
from tfir.lowering.utils.fusion_decisions import REASONS
from tfir.pipeline import STAGES, steps_for

BIG_DIFF = 4000
CONTEXT = 3  # unchanged lines shown around each change; longer unchanged runs fold
_LOC = re.compile(r' ?loc\((?:unknown|"((?:[^"\\]|\\.)*)":(\d+):(\d+))\)')
_OP_NAME = re.compile(r'^\s*(?:%[^=]+= )?"?([a-z_][\w]*\.[\w.]+)')
_NAMES = re.compile(r"%[\w$.#-]+|\^bb\d+")
_NO_CHANGE = " \u00b7 no change"
_CODE_LOC = re.compile(r"^(\s*)# (\S+):(\d+)(?:\s|$)")


@dataclass
class Line:
    text: str
    src: int | None  # the line of the main file this IR line came from


def ir_lines(stage: Stage, main_file: str) -> list[Line]:
    """The IR of a stage without locations, each line with its source line.

    The op's own location is the last one on its line (block arguments come
    first); an op with regions prints it after its closing brace, so the line
    that opens the region takes it from there."""
    rows: list[Line] = []
    opened: list[int] = []
    for raw in stage.ir_with_locations.splitlines():
        locs = list(_LOC.finditer(raw))
        text = _LOC.sub("", raw)
        last = locs[-1] if locs else None
        src = int(last.group(2)) if last and last.group(1) == main_file else None
        stripped = text.strip()
        if stripped.startswith("}") and opened:
            start = opened.pop()
            if rows[start].src is None:
                rows[start].src = src
        if stripped.endswith("{"):
            opened.append(len(rows))
        rows.append(Line(text, src))
    return rows


def _attr(src: int | None) -> str:
    return f' data-l="{src}"' if src is not None else ""


# -- stages as diffs ---------------------------------------------------------------


def _cell(line: Line | None, number: int | None, side: str, kind: str) -> str:
    if line is None:
        return '<td></td><td class="emp"></td>'
    cls = f"{side} {kind}".strip()
    return f'<td>{number}</td><td class="{cls}"{_attr(line.src)}>{highlight.ir(line.text)}</td>'


def _row(a: Line | None, i: int | None, b: Line | None, j: int | None, kind_a: str, kind_b: str) -> str:
    return f"<tr>{_cell(a, i, 'l', kind_a)}{_cell(b, j, 'r', kind_b)}</tr>"


def _shape(text: str) -> str:
    return _NAMES.sub("%", text)


def diff_table(old: list[Line], new: list[Line], old_name: str, new_name: str) -> str:
    """A side-by-side diff; unchanged runs longer than 2*CONTEXT+2 lines fold. Lines
    that differ only in value names count as unchanged (shown as renamed)."""
    # Matching ignores SSA names: a pass that erases one op renumbers every value after it.
    # Past a few thousand lines, exact matching is quadratic on IR's many look-alike lines;
    # difflib's popular-line heuristic keeps it fast at the cost of a coarser diff.
    big = len(old) + len(new) > BIG_DIFF
    matcher = difflib.SequenceMatcher(None, [_shape(x.text) for x in old], [_shape(x.text) for x in new],
                                      autojunk=big)
    parts = ['<table class="d"><colgroup><col class="n"><col class="x"><col class="n"><col class="x"></colgroup>',
             f'<thead><tr><th colspan="2">after {html.escape(old_name)}</th>'
             f'<th colspan="2">after {html.escape(new_name)}</th></tr></thead><tbody>']
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs = [_row(old[i], i + 1, new[j], j + 1, *(("", "") if old[i].text == new[j].text else ("ren", "ren")))
                     for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
            if len(pairs) > 2 * CONTEXT + 2:
                head = pairs[:CONTEXT] if i1 > 0 else []
                tail = pairs[-CONTEXT:] if i2 < len(old) else []
                hidden = pairs[len(head):len(pairs) - len(tail)]
                more = f"\u22ef {len(hidden)} unchanged lines"
                parts += head
                parts.append(f'</tbody><tbody><tr class="fold" data-more="{more}" data-less="\u25b4 hide">'
                             f'<td colspan="4">{more}</td></tr></tbody><tbody class="fb" hidden>')
                parts += hidden
                parts.append("</tbody><tbody>")
                parts += tail
            else:
                parts += pairs
            continue
        lefts = range(i1, i2) if tag in ("replace", "delete") else range(0)
        rights = range(j1, j2) if tag in ("replace", "insert") else range(0)
        for i, j in _pair_changed(old, new, lefts, rights):
            parts.append(_row(old[i] if i is not None else None, None if i is None else i + 1,
                              new[j] if j is not None else None, None if j is None else j + 1, "del", "add"))
    parts.append("</tbody></table>")
    return "".join(parts)


def _pair_changed(old: list[Line], new: list[Line], lefts: range, rights: range
                  ) -> list[tuple[int | None, int | None]]:
    """Rows for a changed block: lines whose op (or block header, or brace) is of the
    same kind side by side, the others alone; plain top-to-bottom pairing for huge blocks."""
    if not lefts or not rights or len(lefts) * len(rights) > 250_000:
        return list(zip_longest(lefts, rights))
    kinds = difflib.SequenceMatcher(None, [_kind(old[i].text) for i in lefts],
                                    [_kind(new[j].text) for j in rights], autojunk=False)
    rows: list[tuple[int | None, int | None]] = []
    for tag, a1, a2, b1, b2 in kinds.get_opcodes():
        if tag == "equal":
            rows += [(lefts[a], rights[b]) for a, b in zip(range(a1, a2), range(b1, b2), strict=True)]
        else:
            rows += list(zip_longest([lefts[a] for a in range(a1, a2)], [rights[b] for b in range(b1, b2)]))
    return rows


def _kind(text: str) -> str:
    """What a line of IR is, for aligning changed lines: its op name, or its leading token."""
    m = _OP_NAME.search(text)
    return m.group(1) if m else text.strip().split(" ", 1)[0][:4]


def single_table(lines: list[Line], name: str) -> str:
    rows = "".join(f'<tr><td>{k + 1}</td><td class="r new"{_attr(x.src)}>{highlight.ir(x.text)}</td></tr>'
                   for k, x in enumerate(lines))
    return (f'<table class="d"><colgroup><col class="n"><col></colgroup><thead><tr><th colspan="2">'
            f"{html.escape(name)}</th></tr></thead><tbody>{rows}</tbody></table>")


def _stage_details(stage: Stage, prev: Stage | None, lines: list[Line], prev_lines: list[Line] | None) -> str:
    delta = stage.ops_after - stage.ops_before
    sign = f"{delta:+d}" if prev is not None and delta else ""
    meta = (f"{stage.seconds * 1e3:.2f} ms \u00b7 ops {stage.ops_before} \u2192 {stage.ops_after}"
            if prev is not None else f"{stage.ops_after} ops")
    name = html.escape(stage.spec or stage.pass_name) if stage.pass_name != FRONTEND else "frontend (the tf IR as built)"
    same = prev is not None and not stage.changed
    summary = (f'<summary><span class="idx">{stage.index:02d}</span><span class="name">{name}</span>'
               f'<span class="lvl">{stage.stage}</span><span class="hits"></span>'
               f'<span class="meta">{meta} {sign}{_NO_CHANGE if same else ""}</span></summary>')
    if same:
        body = f'<div class="same-note">No change: the IR is the same as after {html.escape(prev.pass_name)}.</div>'
    elif prev is None or prev_lines is None:
        body = f'<div class="diff">{single_table(lines, "the tf IR from the frontend")}</div>'
    else:
        body = f'<div class="diff">{diff_table(prev_lines, lines, prev.pass_name, stage.pass_name)}</div>'
    cls = "stage same" if same else "stage"
    return f'<details class="{cls}" id="s{stage.index}"{"" if same else " open"}>{summary}{body}</details>'


def stages_section(trace: Trace) -> str:
    parts = []
    prev: Stage | None = None
    prev_lines: list[Line] | None = None
    for stage in trace.stages:
        lines = ir_lines(stage, trace.filename)
        parts.append(_stage_details(stage, prev, lines, prev_lines))
        prev, prev_lines = stage, lines
    return _section("stages", "Stages", "".join(parts), "each pass against the one before; unchanged passes folded")


# -- the other sections -----------------------------------------------------------------


def _section(sid: str, title: str, body: str, hint: str = "") -> str:
    extra = f'<span class="hint">{hint}</span>' if hint else ""
    return f'<section id="{sid}"><h2>{title}{extra}</h2>{body}</section>'


def source_section(trace: Trace) -> str:
    text = trace.program.frontend.source_text(trace.filename)
    if text is None:
        text = open(trace.filename, encoding="utf-8").read()  # noqa: SIM115 - the file was just compiled
    rows = "".join(f'<div class="row src" id="L{n}" data-l="{n}"><span class="ln">{n}</span><span class="tx">{highlight.tf(line)}</span></div>'
                   for n, line in enumerate(text.splitlines(), 1))
    return (f'<section id="source"><h2><span class="file">{html.escape(os.path.basename(trace.filename))}</span>'
            f'<span class="hint">click a line</span></h2><div class="code">{rows}</div></section>')


def graph_section(trace: Trace) -> str:
    """The dataflow at the end of stage tf and, when a pass ran there, of stage linalg
    (fused groups as clusters), as tabs."""
    views = []
    for level, prefix in (("tf", ""), ("linalg", "f")):
        stages = [s for s in trace.stages if s.stage == level]
        if stages and level in trace.stage_modules:
            views.append(_graph_view(trace, stages[-1], trace.stage_modules[level], prefix))
    if not views:
        return ""
    tabs = "".join(f'<button class="tab{" on" if k == 0 else ""}" data-view="gv{k}">{title}</button>'
                   for k, (title, _) in enumerate(views))
    bodies = "".join(f'<div class="box view" id="gv{k}"{"" if k == 0 else " hidden"}>{body}</div>'
                     for k, (_, body) in enumerate(views))
    hint = f'click a node {tabs} <button id="fit">fit width</button>'
    return _section("graph", "Dataflow graph", bodies, hint)


def _graph_view(trace: Trace, stage: Stage, module: ModuleOp, prefix: str) -> tuple[str, str]:
    title = f"{trace.entry} after {stage.pass_name}"
    dot, node_lines = graph.dataflow_dot(module, trace.entry, title, trace.filename, prefix)
    name = "tf" if stage.stage == "tf" else f"{stage.stage} (after {stage.pass_name})"
    try:
        return name, inline_svg(graph.to_svg(dot), node_lines)
    except RuntimeError as err:  # NoRenderer included: say why, keep the DOT out of the way
        return name, (f'<div class="empty">No drawing: {html.escape(str(err))}.</div>'
                      f'<details class="dot"><summary>the graph as DOT text</summary>'
                      f'<pre class="plain">{html.escape(dot)}</pre></details>')


def inline_svg(svg: str, node_lines: dict[str, int]) -> str:
    """Graphviz's SVG without its XML prolog and node titles, nodes tagged with their source line."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<title>[^<]*</title>\n?", "", svg)
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)

    def tag(m: re.Match[str]) -> str:
        line = node_lines.get(m.group(1))
        return f'<g id="{m.group(1)}" class="node"{_attr(line)}>'
    return re.sub(r'<g id="([\w-]+)" class="node">', tag, svg)


def passes_section(trace: Trace) -> str:
    ran = trace.stages[1:]  # in the order the steps ran (a pass may run in several stages)
    longest = max((s.seconds for s in trace.stages), default=0) or 1
    rows = ['<table class="passes"><thead><tr><th>#</th><th>pass</th><th class="num">ms</th><th></th>'
            '<th class="num">ops before</th><th class="num">after</th><th class="num">\u0394</th></tr></thead><tbody>']
    front = trace.stages[0]
    rows.append(_pass_row(front, "frontend", longest))
    for level in STAGES:
        steps = [s for s in steps_for(trace.target) if s.stage == level]
        done = [s for s in ran if s.stage == level]
        if not done and not any(s.pass_name in trace.missing for s in steps):
            continue
        rows.append(f'<tr class="stage"><td></td><td colspan="6">{level}</td></tr>')
        for step in steps:
            if step.pass_name in trace.missing:
                rows.append(f'<tr class="skip"><td></td><td>{step.pass_name}</td>'
                            '<td colspan="5">not available: skipped</td></tr>')
            elif done and done[0].pass_name == step.pass_name:
                rows.append(_pass_row(done.pop(0), step.pass_name, longest))
    total = sum(s.seconds for s in trace.stages if s.pass_name != FRONTEND)
    rows.append(f'<tr class="stage"><td></td><td>all passes</td><td class="num">{total * 1e3:.2f}</td><td></td>'
                f'<td class="num">{front.ops_after}</td><td class="num">{trace.stages[-1].ops_after}</td>'
                '<td></td></tr></tbody></table>')
    return _section("passes", "Passes", "".join(rows), "time per pass and op counts; click a pass")


def _pass_row(s: Stage, name: str, longest: float) -> str:
    delta = s.ops_after - s.ops_before if s.pass_name != FRONTEND else 0
    dcls = "up" if delta > 0 else "down" if delta < 0 else ""
    width = max(1, round(120 * s.seconds / longest))
    return (f'<tr class="{"" if s.changed else "same"}"><td class="num">{s.index:02d}</td>'
            f'<td><a href="#s{s.index}">{html.escape(name)}</a>{"" if s.changed else " (no change)"}</td>'
            f'<td class="num">{s.seconds * 1e3:.2f}</td><td><span class="bar" style="width:{width}px"></span></td>'
            f'<td class="num">{s.ops_before if s.pass_name != FRONTEND else ""}</td><td class="num">{s.ops_after}</td>'
            f'<td class="num delta {dcls}">{f"{delta:+d}" if delta else ""}</td></tr>')


def fusion_section(trace: Trace) -> str:
    """The producer/consumer pairs fuse-elementwise left unfused, and why: what
    stands between the program and one loop nest (`tfir lower --explain-fusion`)."""
    title = "Fusion"
    if trace.fusion is None:
        return _section("fusion", title, '<div class="empty">fuse-elementwise did not run.</div>')
    if not trace.fusion:
        return _section("fusion", title, '<div class="empty">Every elementwise producer went into '
                                         'its consumers: no pair left unfused.</div>')
    main = os.path.basename(trace.filename)
    rows = ['<table class="passes fusion"><thead><tr><th>#</th><th>producer</th><th>consumer</th>'
            '<th>not fused</th></tr></thead><tbody>']
    for k, d in enumerate(trace.fusion, 1):
        cells = []
        for text, place in zip((d.producer, d.consumer), d.places(), strict=True):
            src = place[1] if place is not None and place[0] == main else None
            cells.append(f"<td{_attr(src)}><code>{html.escape(text)}</code></td>")
        reason = f'<b title="{html.escape(REASONS.get(d.reason, d.reason))}">{html.escape(d.reason)}</b>'
        detail = f"<br><small>{html.escape(d.detail)}</small>" if d.detail else ""
        rows.append(f'<tr><td class="num">{k}</td>{"".join(cells)}<td>{reason}{detail}</td></tr>')
    rows.append("</tbody></table>")
    legend = "".join(f"<dt>{html.escape(code)}</dt><dd>{html.escape(REASONS[code])}</dd>"
                     for code in dict.fromkeys(d.reason for d in trace.fusion) if code in REASONS)
    return _section("fusion", title, "".join(rows) + f'<dl class="reasons">{legend}</dl>',
                    f"{len(trace.fusion)} pairs left unfused by fuse-elementwise, and why")


def code_section(trace: Trace) -> str:
    title = f"Generated code ({trace.target})"
    if trace.failure is not None:
        return _section("code", title, '<div class="empty">No code: a pass failed (see above).</div>')
    try:
        code = generate_code(trace)
    except (CodegenFailed, ValueError) as err:
        return _section("code", title, f'<div class="empty">{html.escape(str(err))}</div>')
    main = os.path.basename(trace.filename)
    rows = []
    current: tuple[int, int] | None = None  # (source line, indent of its comment)
    for n, line in enumerate(code.splitlines(), 1):
        m = _CODE_LOC.match(line)
        indent = len(line) - len(line.lstrip())
        if m:
            current = (int(m.group(3)), len(m.group(1))) if m.group(2) == main else None
        elif current is not None and line.strip() and indent < current[1]:
            current = None
        src = current[0] if current is not None else None
        body = highlight.python(line)
        if m and src is not None:
            body = body.replace(html.escape(f"{main}:{src}"), f'<a href="#L{src}">{html.escape(main)}:{src}</a>', 1)
        cls = "row cm" if m else "row"
        rows.append(f'<div class="{cls}"{_attr(src)}><span class="ln">{n}</span><span class="tx">{body}</span></div>')
    # The runtime helpers and imports come before the entry: folded, so the entry shows first.
    start = next((k for k, line in enumerate(code.splitlines()) if line.startswith(f"def {trace.entry}(")), 0)
    if start > 2:
        more = f"\u22ef {start} lines: imports, runtime helpers, constants"
        rows[:start] = [f'<div class="fold" data-more="{more}" data-less="\u25b4 hide">{more}</div><div class="fb" hidden>',
                        *rows[:start], "</div>"]
    return _section("code", title, f'<div class="code">{"".join(rows)}</div>', "each block under its source line")


def banners(trace: Trace) -> str:
    out = []
    for note in trace.notes:
        out.append(f'<div class="banner warn">{html.escape(note)}</div>')
    for why in trace.missing.values():
        out.append(f'<div class="banner warn">{html.escape(why)}: skipped.</div>')
    if trace.failure is not None:
        out.append(f'<div class="banner err"><strong>Compiler bug:</strong> <code>{html.escape(str(trace.failure))}</code>'
                   "<br>The stages below stop before it.</div>")
    return "".join(out)


def build_report(trace: Trace) -> str:
    name = os.path.basename(trace.filename)
    total = sum(s.seconds for s in trace.stages if s.pass_name != FRONTEND)
    passes = len([s for s in trace.stages if s.pass_name != FRONTEND])
    chips = (f'<span class="chip">entry <b>{html.escape(trace.entry)}</b></span>'
             f'<span class="chip">target <b>{trace.target}</b></span>'
             f'<span class="chip"><b>{passes}</b> passes in <b>{total * 1e3:.1f}</b> ms</span>'
             f'<span class="chip">ops <b>{trace.stages[0].ops_after}</b> \u2192 <b>{trace.stages[-1].ops_after}</b></span>')
    nav = "".join(f'<a href="#{i}">{t}</a>' for i, t in
                  (("graph", "Graph"), ("passes", "Passes"), ("fusion", "Fusion"), ("stages", "Stages"),
                   ("code", "Code")))
    right = (banners(trace) + graph_section(trace) + passes_section(trace) + fusion_section(trace)
             + stages_section(trace) + code_section(trace))
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>tfir explain: {html.escape(name)} {html.escape(trace.entry)}</title><style>{CSS}</style></head>"
            f'<body><header><h1>tfir explain<small>{html.escape(name)} \u00b7 {html.escape(trace.entry)}</small></h1>'
            f'<nav>{nav}</nav><div class="chips">{chips}</div></header>'
            f'<main><div>{source_section(trace)}</div><div>{right}</div></main>'
            f"<footer>Generated by <code>tfir explain</code> on {time.strftime('%Y-%m-%d %H:%M')}. "
            f"Click a source line, an IR line or a graph node to follow one source line through every stage."
            f"</footer><script>{JS}</script></body></html>\n")


class Report:
    """A `tfir explain` page: Jupyter shows it inline, in a frame that keeps its style
    and script to itself (`_repr_html_`); `save("r.html")` writes the page."""

    def __init__(self, page: str, title: str = ""):
        self.html = page
        self.title = title

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" title="{html.escape(self.title)}" '
                'style="width:100%;height:720px;border:1px solid #e2e8f0;border-radius:8px"></iframe>')

    def __repr__(self) -> str:
        return f"<tfir Report: {self.title}, {len(self.html) // 1024} KB>"

    def save(self, path: str | os.PathLike[str]) -> str:
        with open(path, "w", encoding="utf-8") as out:
            out.write(self.html)
        return os.fspath(path)


def function_report(fn: Any, dims: dict[str, int] | None = None, inputs: dict[str, Any] | None = None) -> Report:
    """The `tfir explain` page of an entry function (`tfir.Function`)."""

    target = inspected_target(fn.program.target)
    result = trace(fn.program, fn.name, target, dims=dims, inputs=inputs, explain_fusion=True)
    return Report(build_report(result), f"{os.path.basename(result.filename)}: {fn.name} ({target})")
