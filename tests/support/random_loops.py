"""Random well-typed `.tf` programs with loops and branches, and their NumPy
reference: the expressions of tests/random_programs.py inside `for` and
`while` bodies that update a carried value (bounded each iteration so that
values stay finite), optionally with an `if` on a run-time condition and a
dynamic index of the loop variable."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from tests.support.random_programs import NP, expressions


@dataclass
class LoopProgram:
    source: str
    inputs: dict[str, np.ndarray]
    expected: list[np.ndarray]


def _bounded(text: str, dtype: str) -> tuple[str, object]:
    """The body's new value, kept in range: tanh for floats, mod 7 for ints."""
    if dtype.startswith("f"):
        return f"tanh({text})", np.tanh
    return f"({text}) % 7", lambda v: np.mod(v, NP[dtype](7))


@st.composite
def loop_programs(draw: st.DrawFn) -> LoopProgram:
    dtype = draw(st.sampled_from(["f32", "f64", "i32", "i64"]))
    rank = draw(st.integers(1, 2))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank)))
    trips = draw(st.integers(0, 4))
    env = {"a": (shape, dtype), "b": (shape[-1:], dtype), "acc": (shape, dtype)}
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    inputs = {n: (rng.standard_normal(s).astype(NP[dt]) if dt.startswith("f")
                  else rng.integers(-4, 5, s).astype(NP[dt])) for n, (s, dt) in env.items() if n != "acc"}
    body = draw(expressions(env, dtype, draw(st.integers(1, 3))))
    # `acc - acc + ...`: the carried value's dtype and shape even for a body of literals only
    text, bound = _bounded(f"acc - acc + ({body.text})", dtype)
    kind = draw(st.sampled_from(["for", "for-if", "while", "for-index"]))
    zero = "0.0" if dtype.startswith("f") else "0"
    lines = ["    let acc = a;"]
    if kind == "while":
        lines += ["    let n = full([], 0);", f"    while n < {trips} {{", f"        let acc = {text};",
                  "        let n = n + 1;", "    }"]
    elif kind == "for-if":
        lines += [f"    for i in range({trips}) {{", f"        if sum(acc) > {zero} {{",
                  f"            let acc = {text};", "        } else {", "            let acc = -acc;", "        }",
                  "    }"]
    elif kind == "for-index":
        lines += [f"    for i in range({trips}) {{", f"        let acc = {text} + acc[i % {shape[0]}];", "    }"]
    else:
        lines += [f"    for i in range({trips}) {{", f"        let acc = {text};", "    }"]
    dims = ", ".join(map(str, shape))
    source = (f"fn main(a: {dtype}[{dims}], b: {dtype}[{shape[-1]}]) -> {dtype}[{dims}] {{\n"
              + "\n".join(lines) + "\n    return acc;\n}\n")
    values = dict(inputs)
    values["acc"] = inputs["a"].copy()
    with np.errstate(all="ignore"):
        for i in range(trips):
            acc = values["acc"]
            new = np.asarray(bound((acc - acc + body.ref(values)).astype(NP[dtype]))).astype(NP[dtype])
            if kind == "for-if" and not values["acc"].sum() > 0:
                new = -values["acc"]
            if kind == "for-index":
                new = (new + values["acc"][i % shape[0]]).astype(NP[dtype])
            values["acc"] = new
    return LoopProgram(source, inputs, [values["acc"]])
