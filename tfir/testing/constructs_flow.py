"""Constructs of the generator for control flow (language v2): `for`,
`while` and `if` blocks that update a carried value; the reference runs the
same loop in NumPy. The carried value keeps its type (the spec requires it),
so the body's operand broadcasts to it without growing it."""

from __future__ import annotations

import numpy as np

from tfir.testing.constructs_elementwise import operator_text
from tfir.testing.gen_core import FLOATS, INTS, NP, Reject, Val, broadcast_dims, construct
from tfir.testing.gen_core import GenBase as Gen


def _carried(g: Gen) -> tuple[Val, Val]:
    """A bound value to carry, and an operand that broadcasts into its shape."""
    acc = g.pick(lambda v: v.text.isidentifier() and v.dtype in FLOATS + INTS)
    x = g.pick_like(acc)
    if x.text == acc.text or not (x.text.isidentifier() or x.lit):
        raise Reject("the operand must not change in the loop")  # it would, were it the carried value
    if broadcast_dims(acc.dims, x.dims) != acc.dims:
        raise Reject("the operand would grow the carried value")
    return acc, x


def _step(acc: np.ndarray, x: np.ndarray, scale: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return (acc * acc.dtype.type(scale) + x).astype(acc.dtype)


def _finish(g: Gen, acc: Val, lines: list[str], ref: np.ndarray, ref64: np.ndarray) -> None:
    new = g.value(acc.text, acc.dtype, acc.dims, ref, ref64)
    g.lines += lines
    g.env = [v for v in g.env if v is not acc and v.text.isidentifier()]  # unbound texts may name acc
    g.env.append(new)


@construct(weight=1, tags=["v2", "control"])
def for_loop(g: Gen) -> None:
    acc, x = _carried(g)
    n, start = g.rng.randint(1, 4), g.choice([0, 0, 1])
    scale = 2 if acc.dtype in INTS else 0.5
    i = g.fresh("i")
    use_i = g.chance(0.5)
    ref, ref64 = acc.ref.copy(), acc.ref64.copy()
    for k in range(start, start + n):
        term, term64 = x.ref, x.ref64
        if use_i:
            term = (term + NP[acc.dtype](k)).astype(acc.ref.dtype)
            term64 = term64 + k
        ref, ref64 = _step(ref, term, scale), ref64 * scale + term64
    extra = f" + cast({i}, {acc.dtype})" if use_i else ""
    rng = f"range({start + n})" if start == 0 and g.chance(0.5) else f"range({start}, {start + n})"
    body, _ = operator_text("*", acc, g.literal(acc.dtype, scale))
    lines = [f"    for {i} in {rng} {{", f"        let {acc.text} = {body} + {x.wrap(3)}{extra};", "    }"]
    _finish(g, acc, lines, ref, ref64)


@construct(weight=1, tags=["v2", "control"])
def while_loop(g: Gen) -> None:
    acc, x = _carried(g)
    n = g.rng.randint(0, 3)
    scale = 2 if acc.dtype in INTS else 0.5
    counter = g.fresh("n")
    ref, ref64 = acc.ref.copy(), acc.ref64.copy()
    for _ in range(n):
        ref, ref64 = _step(ref, x.ref, scale), ref64 * scale + x.ref64
    body, _ = operator_text("*", acc, g.literal(acc.dtype, scale))
    lines = [f"    let {counter} = full([], 0);", f"    while {counter} < {n} {{",
             f"        let {acc.text} = {body} + {x.wrap(3)};", f"        let {counter} = {counter} + 1;", "    }"]
    _finish(g, acc, lines, ref, ref64)


@construct(weight=1, tags=["v2", "control"])
def if_else(g: Gen) -> None:
    acc, x = _carried(g)
    cond = g.pick(lambda v: v.rank == 0, ["bool"]) if g.chance(0.5) else None
    if cond is None:
        b = g.pick(dtypes=["bool"])
        cond_text, taken = f"any({b.text})", bool(np.any(b.ref))
    else:
        cond_text, taken = cond.text, bool(cond.ref)
    scale = 2 if acc.dtype in INTS else 0.5
    then_ref, then64 = _step(acc.ref, x.ref, scale), acc.ref64 * scale + x.ref64
    with np.errstate(all="ignore"):
        else_ref = (acc.ref - x.ref).astype(acc.ref.dtype)
    body, _ = operator_text("*", acc, g.literal(acc.dtype, scale))
    minus, _ = operator_text("-", acc, x)
    lines = [f"    if {cond_text} {{", f"        let {acc.text} = {body} + {x.wrap(3)};"]
    if g.chance(0.7):
        lines += ["    } else {", f"        let {acc.text} = {minus};", "    }"]
        ref, ref64 = (then_ref, then64) if taken else (else_ref, acc.ref64 - x.ref64)
    else:
        lines += ["    }"]
        ref, ref64 = (then_ref, then64) if taken else (acc.ref, acc.ref64)
    _finish(g, acc, lines, np.broadcast_to(ref, acc.shape), np.broadcast_to(ref64, acc.shape))
