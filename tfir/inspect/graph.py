"""The dataflow graph of an entry function as Graphviz DOT, drawn as SVG (or
PNG) by Graphviz's `dot` when it is installed, else by `graphviz-pure` (a
Rust port of Graphviz that pip installs with tfir; docs/inspecting.md says
why this renderer).

Nodes are ops (their name, result types and source line), edges are values.
An op with a region (a `linalg.generic` after `fuse-elementwise`) whose body
computes more than one scalar op is drawn as a cluster: the fused group, its
body ops inside, wired to the producers of the operands they read. A loop or
branch of the program (`scf.for`, `scf.while`, `scf.if`) is a dashed cluster
of its body's ops, its carried values drawn as dashed nodes fed by their
initial values, and one node for the values it gives.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xdsl.dialects.builtin import FileLineColLoc, IndexType, ModuleOp
from xdsl.dialects.func import FuncOp
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.traits import ConstantLike

from tfir.backends.registry import inspected_target
from tfir.errors import InputError
from tfir.inspect.trace import stage_output, trace
from tfir.pipeline import steps_for

_FILL = {"tf": "#dbeafe", "linalg": "#dcfce7", "arith": "#fef9c3", "math": "#fef3c7", "tensor": "#f1f5f9",
         "memref": "#f1f5f9", "bufferization": "#f1f5f9", "scf": "#ede9fe", "func": "#ffffff"}
FANOUT = 3
_TERMINATORS = {"func.return", "linalg.yield", "scf.yield", "scf.reduce", "scf.reduce.return"}


def source_line(op: Operation) -> tuple[str, int] | None:
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        return loc.filename.data, loc.line.data
    return None


def _where(op: Operation) -> str:
    found = source_line(op)
    return f"{os.path.basename(found[0])}:{found[1]}" if found else ""


def _types(op: Operation) -> str:
    return ", ".join(str(r.type) for r in op.results)


def entry_function(module: ModuleOp, entry: str) -> FuncOp:
    funcs = [op for op in module.ops if isinstance(op, FuncOp)]
    for fn in funcs:
        if fn.sym_name.data == entry:
            return fn
    if not funcs:
        raise ValueError("the module holds no function")
    return funcs[0]


@dataclass
class _Graph:
    main_file: str
    prefix: str = ""  # node ids are `{prefix}n{k}`, so that two graphs can share one page
    lines: list[str] = field(default_factory=list)
    ids: dict[int, str] = field(default_factory=dict)  # id(op or block arg) -> node id
    copyable: dict[str, str] = field(default_factory=dict)  # node id -> its attributes, drawn per use
    node_lines: dict[str, int] = field(default_factory=dict)  # node id -> line in main_file

    def node_id(self, thing: object, line: int | None) -> str:
        key = id(thing)
        if key not in self.ids:
            nid = f"{self.prefix}n{len(self.ids)}"
            self.ids[key] = nid
            if line is not None:
                self.node_lines[nid] = line
        return self.ids[key]

    def line_of(self, op: Operation) -> int | None:
        found = source_line(op)
        return found[1] if found and found[0] == self.main_file else None

    def node(self, nid: str, attrs: str, indent: str, copyable: bool) -> None:
        if copyable:
            self.copyable[nid] = attrs
        else:
            self.lines.append(f'{indent}{nid} [id="{nid}" {attrs}];')

    def op_node(self, op: Operation, indent: str, detail: str = "") -> str:
        nid = self.node_id(op, self.line_of(op))
        dialect = op.name.split(".")[0]
        rows = [f"<b>{html.escape(op.name)}</b>{html.escape(detail)}"]
        if op.results:
            rows.append(f'<font point-size="9">{html.escape(_types(op))}</font>')
        if _where(op):
            rows.append(f'<font point-size="9" color="#64748b">{html.escape(_where(op))}</font>')
        label = "<br/>".join(rows)
        copyable = op.has_trait(ConstantLike) or op.name == "tensor.empty"
        self.node(nid, f'label=<{label}> fillcolor="{_FILL.get(dialect, "#f8fafc")}"', indent, copyable)
        return nid


def _compute_ops(block: Block) -> list[Operation]:
    """The ops of a body that compute something: not its terminator, not its constants."""
    return [op for op in block.ops if op.name not in _TERMINATORS and not op.has_trait(ConstantLike)]


def dataflow_dot(module: ModuleOp, entry: str, title: str, main_file: str,
                 prefix: str = "") -> tuple[str, dict[str, int]]:
    """The DOT text of `entry`'s dataflow, and which node came from which line of `main_file`."""
    fn = entry_function(module, entry)
    g = _Graph(main_file, prefix)
    g.lines += ["digraph dataflow {",
                f'  graph [rankdir=TB fontname="Helvetica" fontsize=11 labelloc=t label="{_dot_str(title)}" '
                'nodesep=0.25 ranksep=0.35 bgcolor="white"];',
                '  node [shape=box style="rounded,filled" fontname="Helvetica" fontsize=10 color="#94a3b8" '
                'penwidth=0.8 margin="0.12,0.05"];',
                '  edge [color="#64748b" arrowsize=0.6 penwidth=0.8];']
    block = fn.body.blocks[0]
    for arg in block.args:
        nid = g.node_id(arg, None)
        name = arg.name_hint or f"arg{arg.index}"
        g.node(nid, f'shape=oval fillcolor="#ffffff" label=<<b>%{html.escape(name)}</b>'
                    f'<br/><font point-size="9">{html.escape(str(arg.type))}</font>>', "  ", True)
    edges: list[tuple[SSAValue, str, str]] = []
    for op in block.ops:
        if op.name == "func.return":
            for i, value in enumerate(op.operands):
                nid = f"{g.prefix}out{i}"
                g.lines.append(f'  {nid} [id="{nid}" shape=oval fillcolor="#ffffff" '
                               f'label=<<b>result {i}</b><br/><font point-size="9">'
                               f'{html.escape(str(value.type))}</font>>];')
                edges.append((value, nid, ""))
            continue
        _add_op(g, op, edges)
    _add_edges(g, edges)
    g.lines.append("}")
    return "\n".join(g.lines) + "\n", g.node_lines


def _add_op(g: _Graph, op: Operation, edges: list[tuple[SSAValue, str, str]], indent: str = "  ") -> None:
    if op.name in _CONTROL:
        _add_control(g, op, edges, indent)
        return
    if op.name in _TERMINATORS or op.name == "scf.condition" or _is_bound(op):
        return
    body = op.regions[0].blocks[0] if op.regions and op.regions[0].blocks else None
    compute = _compute_ops(body) if body is not None else []
    fused = body is not None and op.name == "linalg.generic" and len(compute) > 1
    if not fused:
        detail = ""
        if op.name == "linalg.generic" and compute:
            detail = f" ({compute[0].name})"
        elif body is not None and not op.name.startswith("linalg.") and compute:
            detail = f" ({len(compute)} ops)"
        nid = g.op_node(op, indent, detail)
        edges.extend((v, nid, "") for v in [*op.operands, *_captures(op)])
        return
    assert body is not None
    cluster = g.node_id(op, g.line_of(op))
    g.lines.append(f'  subgraph cluster_{cluster} {{')
    g.lines.append(f'    id="{cluster}"; label=<<b>fused {html.escape(op.name)}</b> '
                   f'<font point-size="9">{len(compute)} ops</font>>; style="rounded,filled"; '
                   'fillcolor="#f0fdf4"; color="#16a34a"; fontsize=10;')
    for inner in compute:
        nid = g.op_node(inner, "    ")
        for value in inner.operands:
            if isinstance(value, BlockArgument) and value.owner is body:
                # A block argument of the body stands for the operand at its index.
                if value.index < len(op.operands):
                    edges.append((op.operands[value.index], nid, ""))
            elif not (isinstance(value.owner, Operation) and value.owner.has_trait(ConstantLike)
                      and value.owner.parent_block() is body):
                edges.append((value, nid, ""))  # body constants are not drawn
    out = f"{cluster}_out"
    g.ids[id(op)] = out
    types = f'<br/><font point-size="9">{html.escape(_types(op))}</font>' if op.results else ""
    g.lines.append(f'    {out} [id="{out}" shape=box style="rounded,filled" fillcolor="#bbf7d0" '
                   f'label=<<b>{html.escape(op.name)}</b>{types}>];')
    line = g.line_of(op)
    if line is not None:
        g.node_lines[out] = line
    terminator = body.last_op
    for value in terminator.operands if terminator is not None else ():
        edges.append((value, out, ""))
    used = {v.index for o in compute for v in o.operands if isinstance(v, BlockArgument) and v.owner is body}
    for i, value in enumerate(op.operands):
        if i < len(body.args) and i not in used:
            edges.append((value, out, ' style="dashed"'))
    g.lines.append("  }")


_CONTROL = {"scf.for": "for", "scf.while": "while", "scf.if": "if"}


def _add_control(g: _Graph, op: Operation, edges: list[tuple[SSAValue, str, str]], indent: str) -> None:
    """A loop or branch of the program: a cluster holding its body's ops, its
    carried values as nodes (fed by their initial values) and one node for the
    values it gives (fed by what its body yields)."""
    cluster = g.node_id(op, g.line_of(op))
    carried = [a.name_hint or f"v{i}" for i, a in enumerate(op.results)]
    what = f" carries {', '.join(carried)}" if carried else ""
    if op.name == "scf.for":
        iv = op.regions[0].blocks.first.args[0]
        bounds = ", ".join(_bound_text(v) for v in op.operands[:3])
        what = f" %{iv.name_hint or 'i'} in range({bounds}){what}"
    g.lines.append(f"{indent}subgraph cluster_{cluster} {{")
    g.lines.append(f'{indent}  id="{cluster}"; label=<<b>{_CONTROL[op.name]}</b> '
                   f'<font point-size="9">{html.escape(what)} {html.escape(_where(op))}</font>>; '
                   'style="rounded,dashed"; color="#7c3aed"; fontsize=10;')
    inits = list(op.operands)[3:] if op.name == "scf.for" else list(op.operands) if op.name == "scf.while" else []
    for region in op.regions:
        for block in region.blocks:
            args = list(block.args)[1:] if op.name == "scf.for" else list(block.args)
            for k, arg in enumerate(args):
                nid = g.node_id(arg, None)
                g.lines.append(f'{indent}  {nid} [id="{nid}" shape=oval style="filled,dashed" fillcolor="#f5f3ff" '
                               f'label=<<b>%{html.escape(arg.name_hint or "carried")}</b><br/>'
                               f'<font point-size="9">{html.escape(str(arg.type))}</font>>];')
                if k < len(inits):
                    edges.append((inits[k], nid, ' style="dashed"'))
            for inner in block.ops:
                _add_op(g, inner, edges, indent + "  ")
    out = f"{cluster}_out"
    g.ids[id(op)] = out
    if op.results:
        g.lines.append(f'{indent}  {out} [id="{out}" shape=box style="rounded,filled" fillcolor="#ddd6fe" '
                       f'label=<<b>{_CONTROL[op.name]} results</b><br/><font point-size="9">'
                       f'{html.escape(_types(op))}</font>>];')
        for region in op.regions:
            last = region.blocks.first.last_op if region.blocks else None
            if last is not None and last.name == "scf.yield":
                edges.extend((v, out, "") for v in last.operands)
    if op.name == "scf.if":
        edges.append((op.operands[0], cluster + "_out" if op.results else cluster, ' style="dotted"'))
    g.lines.append(f"{indent}}}")


def _is_bound(op: Operation) -> bool:
    """An `index` constant (a loop's bound, shown in the loop's label)."""
    return op.name == "arith.constant" and all(isinstance(r.type, IndexType) for r in op.results)


def _bound_text(value: SSAValue) -> str:
    owner = value.owner
    if isinstance(owner, Operation) and _is_bound(owner):
        return str(owner.properties["value"].value.data)  # type: ignore[attr-defined]
    return _value_name(value)


def _captures(op: Operation) -> list[SSAValue]:
    """Values from outside `op` that the ops in its regions use (a loop body's inputs)."""
    inside = {id(o) for o in op.walk()}  # walk() starts with op itself
    inside_blocks = {id(b) for o in op.walk() for r in o.regions for b in r.blocks}
    found: dict[int, SSAValue] = {}
    for inner in op.walk():
        if inner is op:
            continue
        for v in inner.operands:
            owner_inside = (id(v.owner) in inside_blocks) if isinstance(v, BlockArgument) else (id(v.owner) in inside)
            if not owner_inside:
                found.setdefault(id(v), v)
    return list(found.values())


def _add_edges(g: _Graph, edges: list[tuple[SSAValue, str, str]]) -> None:
    """The edges; an argument, constant or empty tensor used more than FANOUT
    times is drawn once per use instead (long edges from one node to
    everything make the graph unreadable and Graphviz's layout slow)."""
    found = [(_producer(g, v), v, target, style) for v, target, style in edges]
    uses: dict[str, int] = {}
    for source, *_ in found:
        if source is not None:
            uses[source] = uses.get(source, 0) + 1
    copies: dict[str, int] = {}
    for nid, attrs in g.copyable.items():
        if uses.get(nid, 0) <= FANOUT:
            g.lines.append(f'  {nid} [id="{nid}" {attrs}];')
    for source, value, target, style in found:
        if source is None:
            continue
        if source in g.copyable and uses[source] > FANOUT:
            copies[source] = copies.get(source, 0) + 1
            copy = f"{source}_u{copies[source]}"
            g.lines.append(f'  {copy} [id="{copy}" {g.copyable[source]} color="#cbd5e1"];')
            if source in g.node_lines:
                g.node_lines[copy] = g.node_lines[source]
            source = copy
        tip = _dot_str(f"{_value_name(value)} : {value.type}")
        g.lines.append(f'  {source} -> {target} [tooltip="{tip}"{style}];')


def _producer(g: _Graph, value: SSAValue) -> str | None:
    if isinstance(value, BlockArgument):
        return g.ids.get(id(value))
    return g.ids.get(id(value.owner))


def _value_name(value: SSAValue) -> str:
    return f"%{value.name_hint}" if value.name_hint else "value"


def _dot_str(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


class NoRenderer(RuntimeError):
    """Neither Graphviz's `dot` nor the `graphviz-pure` wheel is there to draw a graph."""


RENDERERS = ("dot", "graphviz-pure")
INSTALL_HINT = ("pip install graphviz-pure (tfir's own dependency where it has a wheel), "
                "or Graphviz (Debian: apt-get install graphviz)")
FORMATS = ("svg", "png")


def find_renderer() -> str | None:
    """The program that lays out DOT: `$TFIR_DOT` when set, else Graphviz's `dot` on
    the PATH, else `graphviz-pure` (a pip dependency of tfir) on the PATH or beside
    the running Python, as in a venv whose bin/ is not on the PATH."""
    chosen = os.environ.get("TFIR_DOT")
    if chosen:
        return shutil.which(chosen)
    for name in RENDERERS:
        found = shutil.which(name)
        if found:
            return found
    scripts = {Path(sysconfig.get_path("scripts")), Path(sys.executable).parent}
    for folder in scripts:
        found = shutil.which("graphviz-pure", path=str(folder))
        if found:
            return found
    return None


def has_renderer() -> bool:
    return find_renderer() is not None


def render(dot_text: str, fmt: str = "svg", timeout: float = 60) -> bytes:
    """The picture of a DOT graph in `fmt` (svg or png); NoRenderer when nothing can
    draw it, RuntimeError when the renderer fails."""
    if fmt not in FORMATS:
        raise ValueError(f"cannot draw a graph as {fmt!r}; formats: {', '.join(FORMATS)}")
    exe = find_renderer()
    if exe is None:
        raise NoRenderer(f"no Graphviz renderer found: {INSTALL_HINT}")
    try:
        proc = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{Path(exe).name} took longer than {timeout} s") from None
    if proc.returncode != 0 or not proc.stdout:
        why = proc.stderr.decode(errors="replace").strip() or f"exit status {proc.returncode}"
        raise RuntimeError(f"{Path(exe).name} failed: {why}")
    return proc.stdout


def to_svg(dot_text: str, timeout: float = 60) -> str:
    """SVG text from DOT; raises NoRenderer or RuntimeError (see `render`)."""
    svg = render(dot_text, "svg", timeout).decode("utf-8")
    if "<svg" not in svg:
        raise RuntimeError("the renderer wrote no SVG")
    return svg


# -- objects for notebooks ----------------------------------------------------------


class Graph:
    """A dataflow graph: Jupyter shows it inline (`_repr_svg_`); `save("g.svg")` writes
    SVG, PNG or DOT, by the file's suffix; `.dot` is the DOT text."""

    def __init__(self, dot: str, title: str = ""):
        self.dot = dot
        self.title = title
        self._svg: str | None = None

    @property
    def svg(self) -> str:
        if self._svg is None:
            self._svg = to_svg(self.dot)
        return self._svg

    def _repr_svg_(self) -> str | None:
        try:
            return self.svg
        except RuntimeError:  # no renderer: Jupyter falls back to the repr, which says why
            return None

    def __repr__(self) -> str:
        drawable = "" if has_renderer() else f"; no renderer to draw it: {INSTALL_HINT}"
        return f"<tfir Graph: {self.title}, {self.dot.count(' -> ')} edges{drawable}>"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the graph to `path`: `.svg`, `.png` or `.dot` (the DOT text)."""
        out = Path(path)
        fmt = out.suffix.lstrip(".").lower()
        if fmt in ("dot", "gv"):
            out.write_text(self.dot, encoding="utf-8")
        elif fmt in FORMATS:
            out.write_bytes(self.svg.encode() if fmt == "svg" else render(self.dot, fmt))
        else:
            raise ValueError(f"cannot tell the format of {out.name}: use .svg, .png or .dot")
        return out


def function_graph(fn: Any, stage: str = "tf", dims: dict[str, int] | None = None,
                   inputs: dict[str, Any] | None = None) -> Graph:
    """The dataflow graph of an entry function (`tfir.Function`) at the end of `stage`."""

    target = inspected_target(fn.program.target)
    passes = [s.pass_name for s in steps_for(target) if s.stage == stage]
    if stage != "tf" and not passes:
        raise InputError(f"the {target} pipeline has no stage '{stage}'")
    result = trace(fn.program, fn.name, target, dims=dims, inputs=inputs,
                   stop_after=passes[-1] if passes else None)
    if result.failure is not None:
        raise result.failure
    assert result.module is not None
    shown = stage_output(result.stages, stage)
    title = f"{Path(result.filename).name}: {fn.name} after {shown.pass_name} (stage {shown.stage})"
    dot, _ = dataflow_dot(result.module, fn.name, title, result.filename)
    return Graph(dot, title)
