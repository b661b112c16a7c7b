"""ONNX's recurrent layers `RNN`, `GRU` and `LSTM` as `.tf` `for` loops over the
time axis, one per direction (forward, reverse, or both), each carrying the
hidden state (and the LSTM's cell state) and stacking it with `scatter`:

    for t in range(T) {
        let gates = X[t] @ transpose(W) + h @ transpose(R) + b;
        ...
        let h = ...;
        let ys = scatter(ys, t, h);
    }

as ONNX defines them (gate orders z r h and i o f c, `linear_before_reset`,
peepholes, `input_forget`, `clip`, `layout`, the activations Tanh, Sigmoid and
Relu). With `sequence_lens` (forward only), a batch entry's state stops at its
length and its later outputs are zeros, as ONNX says.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfir.onnx.model import FLOATS
from tfir.onnx.node import NodeCtx, Rule, rule

RNN: dict[str, Rule] = {}

_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
_DEFAULT_ACTIVATIONS = {"RNN": ["Tanh"], "GRU": ["Sigmoid", "Tanh"], "LSTM": ["Sigmoid", "Tanh", "Tanh"]}
_ACTIVATIONS = {"tanh": "tanh({})", "sigmoid": "sigmoid({})", "relu": "relu({})"}
_ATTRS = "activation_alpha activation_beta activations clip direction hidden_size layout"


def _activations(n: NodeCtx, directions: int) -> list[list[str]]:
    """Per direction, the activation templates (`tanh({})`) in ONNX's order."""
    per = len(_DEFAULT_ACTIVATIONS[n.op])
    names = [str(a) for a in n.attr("activations", _DEFAULT_ACTIVATIONS[n.op] * directions)]
    if len(names) != per * directions:
        raise n.error(f"{len(names)} activations for {directions} direction(s) of {per}")
    if n.has_attr("activation_alpha") or n.has_attr("activation_beta"):
        raise n.error("activation_alpha and activation_beta are not supported (Tanh, Sigmoid, Relu only)")
    out = []
    for name in names:
        if name.lower() not in _ACTIVATIONS:
            raise n.error(f"activation '{name}' is not supported (Tanh, Sigmoid, Relu)")
        out.append(_ACTIVATIONS[name.lower()])
    return [out[d * per:(d + 1) * per] for d in range(directions)]


@rule(RNN, "RNN", "GRU", "LSTM", attrs=_ATTRS + " linear_before_reset input_forget")
def _recurrent(n: NodeCtx) -> None:
    if n.dtype(0) not in FLOATS:
        raise n.error(f"needs a float input, got {n.dtype(0)}")
    direction = n.attr("direction", "forward")
    if direction not in ("forward", "reverse", "bidirectional"):
        raise n.error(f"direction '{direction}' is not supported")
    layout = int(n.attr("layout", 0))
    shape = n.shape(0)
    steps, batch = (shape[0], shape[1]) if layout == 0 else (shape[1], shape[0])
    if not isinstance(steps, int):
        raise n.error(f"needs a static sequence length, got {steps}")
    hidden = int(n.attr("hidden_size", n.shape(2)[-1]))
    dirs = 2 if direction == "bidirectional" else 1
    acts = _activations(n, dirs)
    lens = _lengths(n, steps, direction)
    x = n.x(0) if layout == 0 else n.tmp(f"transpose({n.x(0)}, perm=[1, 0, 2])", "time_major")
    results = []
    for d in range(dirs):
        reverse = direction == "reverse" or d == 1
        results.append(_direction(n, x, d, reverse, steps, batch, hidden, acts[d], lens))
    _outputs(n, results, layout)


def _lengths(n: NodeCtx, steps: int, direction: str) -> str | None:
    """`sequence_lens` as an i64 `[batch, 1]` column, checked to lie in [0, steps]."""
    if not n.has(4):
        return None
    if direction != "forward":
        raise n.error("sequence_lens with a reverse direction is not supported")
    from tfir.onnx.ops_index import nonnegative
    lens = nonnegative(n, n.x(4), steps + 1, "lengths")
    return n.tmp(f"expand_dims({lens}, 1)", "lengths_col")


def _weights(n: NodeCtx, d: int, hidden: int) -> tuple[str, str, str | None, str | None]:
    """W[d] and R[d] transposed ([input, G * hidden], [hidden, G * hidden]) and their biases."""
    w = n.tmp(f"transpose({n.x(1)}[{d}])", f"w{d}")
    r = n.tmp(f"transpose({n.x(2)}[{d}])", f"r{d}")
    if not n.has(3):
        return w, r, None, None
    size = _GATES[n.op] * hidden
    return w, r, n.tmp(f"{n.x(3)}[{d}, 0:{size}]", f"wb{d}"), n.tmp(f"{n.x(3)}[{d}, {size}:{2 * size}]", f"rb{d}")


def _initial(n: NodeCtx, i: int, d: int, batch: object, hidden: int, hint: str) -> str:
    if n.has(i):
        return n.tmp(f"{n.x(i)}[{d}]", hint)
    return n.tmp(f"zeros({n.dims_text([batch, hidden])}, {n.dtype(0)})", hint)  # type: ignore[list-item]


@dataclass
class _Step:
    """What one step of a cell reads: the input and recurrent terms of every gate."""

    gx: str  # x_t @ W^T + Wb: [batch, G * hidden]
    gh: str  # h @ R^T + Rb
    r: str  # R^T: [hidden, G * hidden]
    rb: str | None  # Rb: [G * hidden]
    h: str
    c: str | None
    hidden: int
    acts: list[str]
    clip: float | None

    def part(self, terms: str, k: int) -> str:
        return f"{terms}[:, {k * self.hidden}:{(k + 1) * self.hidden}]"

    def act(self, k: int, expr: str) -> str:
        if self.clip is not None:  # ONNX clips the input of the activations
            expr = f"clip({expr}, {-self.clip}, {self.clip})"
        return self.acts[k].format(expr)


def _direction(n: NodeCtx, x: str, d: int, reverse: bool, steps: int, batch: object, hidden: int,
               acts: list[str], lens: str | None) -> tuple[str, str, str | None]:
    """One direction's loop; its stacked states `[steps, batch, hidden]`, last state, last cell."""
    w, r, wb, rb = _weights(n, d, hidden)
    peep = n.tmp(f"{n.x(7)}[{d}]", f"p{d}") if n.op == "LSTM" and n.has(7) else None
    h = _initial(n, 5, d, batch, hidden, f"h{d}")
    c = _initial(n, 6, d, batch, hidden, f"c{d}") if n.op == "LSTM" else None
    ys = n.tmp(f"zeros({n.dims_text([steps, batch, hidden])}, {n.dtype(0)})", f"states{d}")  # type: ignore[list-item]
    clip = n.attr("clip", None)
    src = n.imp.src
    t = n.imp.names.fresh("t")
    src.line(f"for {t} in range({steps}) {{  # {n.comment()}: {'reverse' if reverse else 'forward'}")
    indent, src.indent = src.indent, src.indent + "    "
    try:
        step = n.tmp(f"{steps - 1} - {t}", "step") if reverse else t
        gx = n.tmp(f"{x}[{step}] @ {w}" + (f" + {wb}" if wb else ""), "gx")
        gh = n.tmp(f"{h} @ {r}" + (f" + {rb}" if rb else ""), "gh")
        cell = _Step(gx, gh, r, rb, h, c, hidden, acts, None if clip is None else float(clip))
        new_h, new_c = (_rnn(n, cell) if n.op == "RNN" else _gru(n, cell) if n.op == "GRU"
                        else _lstm(n, cell, peep))
        out = new_h
        if lens is not None:  # past its length an entry keeps its state, and outputs zeros
            live = n.tmp(f"cast({step}, i64) < {lens}", "live")
            out = n.tmp(f"where({live}, {new_h}, 0.0)", "out")
            new_h = f"where({live}, {new_h}, {h})"
            new_c = f"where({live}, {new_c}, {c})" if new_c else None
        src.let([ys], f"scatter({ys}, {step}, {out})", n.comment())
        if new_c is not None and c is not None:
            src.let([c], new_c, n.comment())
        src.let([h], new_h, n.comment())
    finally:
        src.indent = indent
    src.line("}")
    return ys, h, c


def _rnn(n: NodeCtx, s: _Step) -> tuple[str, None]:
    return n.tmp(s.act(0, f"{s.gx} + {s.gh}"), "h_next"), None


def _gru(n: NodeCtx, s: _Step) -> tuple[str, None]:
    """Gates z, r, h; the reset gate applies to the candidate's recurrent term, before
    (`linear_before_reset`) or after its product with R."""
    z = n.tmp(s.act(0, f"{s.part(s.gx, 0)} + {s.part(s.gh, 0)}"), "z")
    r = n.tmp(s.act(0, f"{s.part(s.gx, 1)} + {s.part(s.gh, 1)}"), "r")
    if n.attr("linear_before_reset", 0):
        recurrent = f"{r} * {s.part(s.gh, 2)}"
    else:  # (r * h) @ Rh^T + Rbh
        hidden = s.hidden
        recurrent = f"({r} * {s.h}) @ {s.r}[:, {2 * hidden}:{3 * hidden}]"
        if s.rb is not None:
            recurrent += f" + {s.rb}[{2 * hidden}:{3 * hidden}]"
    cand = n.tmp(s.act(1, f"{s.part(s.gx, 2)} + {recurrent}"), "h_cand")
    return n.tmp(f"(1.0 - {z}) * {cand} + {z} * {s.h}", "h_next"), None


def _lstm(n: NodeCtx, s: _Step, peep: str | None) -> tuple[str, str]:
    """Gates i, o, f, c (in ONNX's order), peepholes p = (pi, po, pf) on the cell."""
    assert s.c is not None

    def gate(k: int) -> str:
        return f"{s.part(s.gx, k)} + {s.part(s.gh, k)}"

    def peephole(k: int, cell: str) -> str:
        return f" + {peep}[{k * s.hidden}:{(k + 1) * s.hidden}] * {cell}" if peep else ""

    i = n.tmp(s.act(0, gate(0) + peephole(0, s.c)), "i")
    f = n.tmp(f"1.0 - {i}" if n.attr("input_forget", 0) else s.act(0, gate(2) + peephole(2, s.c)), "f")
    new_c = n.tmp(f"{f} * {s.c} + {i} * {s.act(1, gate(3))}", "c_next")
    o = n.tmp(s.act(0, gate(1) + peephole(1, new_c)), "o")
    return n.tmp(f"{o} * {s.acts[2].format(new_c)}", "h_next"), new_c


def _outputs(n: NodeCtx, results: list[tuple[str, str, str | None]], layout: int) -> None:
    def stacked(values: list[str], axis: int) -> str:
        if len(values) == 1:
            return f"expand_dims({values[0]}, {axis})"
        return f"stack([{', '.join(values)}], axis={axis})"

    if n.wants(0):
        y = stacked([ys for ys, _, _ in results], 1)  # [steps, dirs, batch, hidden]
        n.out(y if layout == 0 else f"transpose({y}, perm=[2, 0, 1, 3])", 0)
    for i, k in ((1, 1), (2, 2)):
        if n.wants(i):
            last = stacked([res[k] for res in results], 0)  # type: ignore[misc]
            n.out(last if layout == 0 else f"transpose({last}, perm=[1, 0, 2])", i)
