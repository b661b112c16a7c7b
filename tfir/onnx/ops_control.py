"""ONNX control flow as `.tf` control flow: `If` -> `if`/`else`, `Loop` -> `for`
(a trip count known at import time, the condition always true) or `while` (a
condition computed by the body, or a trip count known only at run time), `Scan`
-> `for` over the scanned axis.

Loop-carried values are names bound before the loop and rebound at the end of
its body, as `.tf` carries them; each keeps its type (ONNX allows a carried
value to change shape from one iteration to the next; `.tf` does not, and the
import says so). `Loop` and `Scan` outputs that stack one value per iteration
are a buffer of zeros written with `scatter` at the iteration's index, which a
`while` cannot have: its length would be known only at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import onnx

from tfir.onnx.model import Dim
from tfir.onnx.node import NodeCtx, Operand, Rule, rule

CONTROL: dict[str, Rule] = {}


def _bind(n: NodeCtx, onnx_name: str, like: Operand, expr: str, shape: tuple[Dim | None, ...] | None = None) -> None:
    """Defines `onnx_name` as the `.tf` name `expr`, of `like`'s type (or `shape`)."""
    n.imp.values[onnx_name] = Operand(onnx_name, like.dtype, like.shape if shape is None else shape, expr,
                                      sources=n._sources())


def _type_text(n: NodeCtx, t: Operand, what: str) -> tuple[str, str]:
    """`t`'s dims as `.tf` text (`[2, batch]`) and its dtype; an error names `what` when unknown."""
    if t.shape is None or any(d is None for d in t.shape):
        raise n.error(f"the shape of {what} is not known statically")
    return n.dims_text([n.imp.dim_name(d) for d in t.shape]), t.dtype  # type: ignore[arg-type]


def _zeros(n: NodeCtx, t: Operand, what: str, lead: list[Dim] | None = None) -> str:
    dims, dtype = _type_text(n, t, what)
    if lead:
        dims = "[" + ", ".join([str(d) for d in lead] + ([dims[1:-1]] if dims != "[]" else [])) + "]"
    return f"zeros({dims}, i32) != 0" if dtype == "bool" else f"zeros({dims}, {dtype})"


def _tensor(n: NodeCtx, t: Operand) -> str:
    """`t` as a tensor expression: a rank-0 constant would be a compile-time literal,
    which a loop may not rebind."""
    if t.const is None or np.ndim(t.const) != 0:
        return n.imp.expr(t)
    from tfir.onnx.emit_tf import scalar_text
    value = np.asarray(t.const).item()
    if t.dtype == "bool":
        return f"zeros([], i32) {'==' if value else '!='} 0"
    return f"full([], {scalar_text(value, t.dtype)}, {t.dtype})"


def _same_type(n: NodeCtx, a: Operand, b: Operand, what: str) -> None:
    if a.dtype != b.dtype or (a.shape is not None and b.shape is not None and tuple(a.shape) != tuple(b.shape)):
        raise n.error(f"{what} is {a.dtype}{list(a.shape or [])} before and {b.dtype}{list(b.shape or [])} after: "
                      f"tfir's carried values and branch results keep one type")


def _scalar_bool(n: NodeCtx, t: Operand, hint: str) -> str:
    """A bool condition as a rank-0 `.tf` name."""
    if t.dtype != "bool":
        raise n.error(f"the condition must be bool, got {t.dtype}")
    expr = n.imp.expr(t)
    if t.rank == 0:
        return expr
    if t.shape is None or int(np.prod([d for d in t.shape if isinstance(d, int)])) != 1:
        raise n.error("the condition must hold one value")
    return n.tmp(f"reshape({expr}, [])", hint)


def _assign(n: NodeCtx, targets: list[str], values: list[Operand]) -> None:
    """`let target = value;` for each pair, at the end of a loop body; a value that is
    itself one of the targets is copied first, since an earlier `let` may rebind it."""
    exprs = [_tensor(n, v) for v in values]
    taken = set(targets)
    for k, (target, expr) in enumerate(zip(targets, exprs, strict=True)):
        if expr in taken and expr != target:
            exprs[k] = n.tmp(expr, "copy")
    for target, expr in zip(targets, exprs, strict=True):
        if expr != target:
            n.imp.src.let([target], expr, n.comment())


# -- If ---------------------------------------------------------------------------------


@rule(CONTROL, "If", attrs="then_branch else_branch")
def _if(n: NodeCtx) -> None:
    cond = n.t(0)
    branches = (n.attr("then_branch"), n.attr("else_branch"))
    for g in branches:
        if len(g.output) != n.n_out:
            raise n.error(f"a branch has {len(g.output)} outputs, the node {n.n_out}")
    if cond.const is not None:  # known at import time: the branch taken, inline
        taken = branches[0] if bool(np.asarray(cond.const).reshape(-1)[0]) else branches[1]
        n.imp.import_nodes(taken)
        for out, res in zip(n.node.output, taken.output, strict=True):
            if out:
                n.imp.values[out] = replace(n.imp.value(res.name), onnx_name=out)
        return
    c = _scalar_bool(n, cond, "cond")
    names = [n.imp.names.fresh(o or f"{n.name}_out{k}") for k, o in enumerate(n.node.output)]

    def branch(g: onnx.GraphProto) -> list[Operand]:
        n.imp.import_nodes(g)
        results = [n.imp.value(o.name) for o in g.output]
        _assign(n, names, results)
        return results

    then_lines, then_results = n.imp.block(lambda: branch(branches[0]))
    else_lines, else_results = n.imp.block(lambda: branch(branches[1]))
    for k, (a, b) in enumerate(zip(then_results, else_results, strict=True)):
        _same_type(n, a, b, f"output {k}")
    for name, t, k in zip(names, then_results, range(len(names)), strict=True):
        n.imp.src.let([name], _zeros(n, t, f"output {k}"), f"{n.comment()}: set by the branch taken")
    n.imp.src.line(f"if {c} {{  # {n.comment()}")
    n.imp.src.lines += then_lines
    n.imp.src.line("} else {")
    n.imp.src.lines += else_lines
    n.imp.src.line("}")
    for out, name, t in zip(n.node.output, names, then_results, strict=True):
        if out:
            _bind(n, out, t, name)


# -- Loop -------------------------------------------------------------------------------


@dataclass
class _LoopForm:
    trip: int | None  # a trip count known at import time
    trip_expr: str | None  # ... or known at run time
    cond: str | None  # the carried condition (`while`), None for a `for`


def _always_true(body: onnx.GraphProto) -> bool:
    """Whether the body's condition output is its condition input or a constant true,
    through `Identity`s: then the loop runs its trip count."""
    producers = {o: node for node in body.node for o in node.output}
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in body.initializer}
    name = body.output[0].name
    while True:
        if name == body.input[1].name:
            return True
        if name in inits:
            return bool(np.all(inits[name]))
        node = producers.get(name)
        if node is None:
            return False
        if node.op_type == "Identity":
            name = node.input[0]
        elif node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            return bool(np.all(onnx.numpy_helper.to_array(node.attribute[0].t)))
        else:
            return False


def _loop_form(n: NodeCtx, body: onnx.GraphProto, scans: int) -> _LoopForm:
    trip, trip_expr = None, None
    if n.has(0):
        t = n.t(0)
        if t.const is None and scans:  # scan outputs need the count at compile time: specialize on it
            n.const(0, "the trip count of a Loop with scan outputs")
        if t.const is not None:
            trip = int(np.asarray(t.const).reshape(-1)[0])
        else:
            trip_expr = n.tmp(f"reshape({n.x(0)}, [])", "trip_count")
    if scans and n.has(1) and n.t(1).const is None:  # scan outputs need to know it: specialize on it
        n.const(1, "the starting condition of a Loop with scan outputs")
    start_true = not n.has(1) or (n.t(1).const is not None and bool(np.asarray(n.t(1).const).reshape(-1)[0]))
    if n.has(1) and n.t(1).const is not None and not start_true:
        trip, trip_expr = 0, None  # the condition is false before the first iteration
    if trip is not None and trip >= 2**31:
        trip = None  # "no trip count" spelled as INT64_MAX
    if trip is not None and start_true and _always_true(body):
        return _LoopForm(trip, None, None)
    if scans:
        raise n.error("a Loop that may stop before its trip count (a condition, or a trip count known only "
                      "at run time) cannot have scan outputs: their length would depend on run-time values")
    if trip is None and trip_expr is None and not n.has(1):
        raise n.error("a Loop with neither a trip count nor a condition never ends")
    cond = n.imp.names.fresh(f"{n.name}_cond")
    n.imp.src.let([cond], _scalar_bool(n, n.t(1), "cond_start") if n.has(1) else "true", n.comment())
    return _LoopForm(trip, trip_expr, cond)


@rule(CONTROL, "Loop", attrs="body")
def _loop(n: NodeCtx) -> None:
    body = n.attr("body")
    carried_count = n.n_in - 2
    scans = len(body.output) - 1 - carried_count
    if len(body.input) != carried_count + 2 or scans < 0:
        raise n.error(f"the body has {len(body.input)} inputs and {len(body.output)} outputs for "
                      f"{carried_count} carried values")
    form = _loop_form(n, body, scans)
    inits = [n.t(2 + k) for k in range(carried_count)]
    carried = [n.imp.names.fresh(n.node.output[k] or f"{n.name}_v{k}") for k in range(carried_count)]
    for name, t in zip(carried, inits, strict=True):
        n.imp.src.let([name], _tensor(n, t), n.comment())
    counter = None
    if form.cond is not None:
        counter = n.imp.names.fresh(f"{n.name}_iteration")
        n.imp.src.let([counter], "full([], 0, i64)", n.comment())
    step = n.imp.names.fresh("step")
    buffers = [n.imp.names.fresh(n.node.output[carried_count + j] or f"{n.name}_scan{j}") for j in range(scans)]

    def emit() -> list[Operand]:
        it = body.input[0].name
        if counter is not None:
            _bind(n, it, Operand(it, "i64", ()), counter)
            _bind(n, body.input[1].name, Operand("", "bool", ()), form.cond or "")
        else:
            if _uses(body, it):
                name = n.imp.names.fresh(it)
                n.imp.src.let([name], f"cast({step}, i64)", n.comment())
                _bind(n, it, Operand(it, "i64", ()), name)
            n.imp.values[body.input[1].name] = Operand(body.input[1].name, "bool", (), const=np.array(True),
                                                       foldable=True)
        for k, t in enumerate(inits):
            _bind(n, body.input[2 + k].name, t, carried[k])
        n.imp.import_nodes(body)
        results = [n.imp.value(o.name) for o in body.output]
        for j, y in enumerate(results[1 + carried_count:]):
            n.imp.src.let([buffers[j]], f"scatter({buffers[j]}, {step}, {n.imp.expr(y)})", n.comment())
        for k, (t, r) in enumerate(zip(inits, results[1:1 + carried_count], strict=True)):
            _same_type(n, t, r, f"carried value {k} ('{body.input[2 + k].name}')")
        targets, values = list(carried), list(results[1:1 + carried_count])
        if counter is not None:
            cond_out = _scalar_bool(n, results[0], "cond_next")
            n.imp.src.let([counter], f"{counter} + 1", n.comment())
            targets.append(form.cond or "")
            values.append(Operand("", "bool", (), cond_out))
        _assign(n, targets, values)
        return results

    lines, results = n.imp.block(emit)
    for j, y in enumerate(results[1 + carried_count:]):
        n.imp.src.let([buffers[j]], _zeros(n, y, f"scan output {j}", [form.trip or 0]), n.comment())
    n.imp.src.line(_loop_header(form, step, counter) + f"  # {n.comment()}")
    n.imp.src.lines += lines
    n.imp.src.line("}")
    for k, t in enumerate(inits):
        if n.wants(k):
            _bind(n, n.node.output[k], t, carried[k])
    for j, y in enumerate(results[1 + carried_count:]):
        if n.wants(carried_count + j):
            _bind(n, n.node.output[carried_count + j], y, buffers[j], (form.trip, *(y.shape or ())))


def _loop_header(form: _LoopForm, step: str, counter: str | None) -> str:
    if form.cond is None:
        return f"for {step} in range({form.trip}) {{"
    bound = form.trip if form.trip is not None else form.trip_expr
    cond = form.cond if bound is None else f"logical_and({form.cond}, {counter} < {bound})"
    return f"while {cond} {{"


def _uses(graph: onnx.GraphProto, name: str) -> bool:
    """Whether a node of `graph` (or of its subgraphs) or an output reads `name`."""
    if any(o.name == name for o in graph.output):
        return True
    for node in graph.node:
        if name in node.input:
            return True
        for attr in node.attribute:
            subs = [attr.g] if attr.type == onnx.AttributeProto.GRAPH else list(attr.graphs)
            if any(_uses(g, name) for g in subs):
                return True
    return False


# -- Scan -------------------------------------------------------------------------------


def _axes(n: NodeCtx, name: str, count: int, ranks: list[int]) -> list[int]:
    values = [int(v) for v in n.attr(name, [0] * count)]
    if len(values) != count:
        raise n.error(f"{name} has {len(values)} values for {count} tensors")
    out = []
    for v, r in zip(values, ranks, strict=True):
        if not -r <= v < r:
            raise n.error(f"{name}: axis {v} is out of range for rank {r}")
        out.append(v % r)
    return out


@rule(CONTROL, "Scan", attrs="body num_scan_inputs scan_input_axes scan_input_directions scan_output_axes "
                             "scan_output_directions")
def _scan(n: NodeCtx) -> None:
    body = n.attr("body")
    m = int(n.attr("num_scan_inputs"))
    states = n.n_in - m
    outs = len(body.output) - states
    if len(body.input) != n.n_in or outs < 0:
        raise n.error(f"the body has {len(body.input)} inputs and {len(body.output)} outputs for "
                      f"{states} states and {m} scanned inputs")
    xs = [n.t(states + j) for j in range(m)]
    in_axes = _axes(n, "scan_input_axes", m, [x.rank or 0 for x in xs])
    in_dirs = [int(v) for v in n.attr("scan_input_directions", [0] * m)]
    out_dirs = [int(v) for v in n.attr("scan_output_directions", [0] * outs)]
    sizes = {n.shape(states + j)[a] for j, a in enumerate(in_axes)}
    if len(sizes) != 1 or not isinstance(next(iter(sizes)), int):
        raise n.error(f"the scanned axes have sizes {sorted(map(str, sizes))}: they must be one static size")
    steps = int(next(iter(sizes)))
    inits = [n.t(k) for k in range(states)]
    carried = [n.imp.names.fresh(n.node.output[k] or f"{n.name}_state{k}") for k in range(states)]
    for name, t in zip(carried, inits, strict=True):
        n.imp.src.let([name], _tensor(n, t), n.comment())
    step = n.imp.names.fresh("step")
    buffers = [n.imp.names.fresh(f"{n.node.output[states + j] or n.name}_stacked") for j in range(outs)]

    def emit() -> list[Operand]:
        back = None
        if any(in_dirs) or any(out_dirs):
            back = n.tmp(f"{steps - 1} - {step}", "reversed_step")
        for j, (x, a, d) in enumerate(zip(xs, in_axes, in_dirs, strict=True)):
            shape = tuple(s for i, s in enumerate(x.shape or ()) if i != a)
            name = body.input[states + j].name
            expr = n.tmp(f"take({n.imp.expr(x)}, {back if d else step}, axis={a})", "slice")
            _bind(n, name, x, expr, shape)
        for k, t in enumerate(inits):
            _bind(n, body.input[k].name, t, carried[k])
        n.imp.import_nodes(body)
        results = [n.imp.value(o.name) for o in body.output]
        for j, y in enumerate(results[states:]):
            index = back if out_dirs[j] else step
            n.imp.src.let([buffers[j]], f"scatter({buffers[j]}, {index}, {n.imp.expr(y)})", n.comment())
        for k, (t, r) in enumerate(zip(inits, results[:states], strict=True)):
            _same_type(n, t, r, f"state {k} ('{body.input[k].name}')")
        _assign(n, carried, results[:states])
        return results

    lines, results = n.imp.block(emit)
    ys = results[states:]
    for j, y in enumerate(ys):
        n.imp.src.let([buffers[j]], _zeros(n, y, f"scan output {j}", [steps]), n.comment())
    n.imp.src.line(f"for {step} in range({steps}) {{  # {n.comment()}")
    n.imp.src.lines += lines
    n.imp.src.line("}")
    for k, t in enumerate(inits):
        if n.wants(k):
            _bind(n, n.node.output[k], t, carried[k])
    out_axes = _axes(n, "scan_output_axes", outs, [(y.rank or 0) + 1 for y in ys])
    for j, (y, a) in enumerate(zip(ys, out_axes, strict=True)):
        if not n.wants(states + j):
            continue
        shape = list(y.shape or ())
        stacked = [steps, *shape]
        if a:
            rank = len(stacked)
            perm = [*range(1, a + 1), 0, *range(a + 1, rank)]
            shape.insert(a, steps)
            n.imp.src.let([n.imp.names.of(n.node.output[states + j])], f"transpose({buffers[j]}, perm={perm})",
                          n.comment())
            _bind(n, n.node.output[states + j], y, n.imp.names.of(n.node.output[states + j]), tuple(shape))
        else:
            _bind(n, n.node.output[states + j], y, buffers[j], tuple(stacked))


__all__ = ["CONTROL"]
