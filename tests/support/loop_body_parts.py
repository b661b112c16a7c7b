"""Loop bodies that combine kinds of ops, for differential tests of the
device lowering of loop bodies (tests/integration/test_loop_body_combinations.py,
run on Triton by tests/support/loop_parts_triton_driver.py).

A *part* updates one carried value by a kind of op that the device lowering
treats in its own way: an elementwise update, a reduction into a scalar (a row
group with an epilogue), a reduction per row, a max, a softmax (a row group of
two reductions), a matmul with an elementwise epilogue, a transposed operand,
a scatter into a tape, a scatter_add, a scan, an arg-reduction, a gather of a
loop-carried value. A program is a `for` loop whose body holds two parts, or all of them in a
*ring*: each part also reads the carried value of the part before it (the
first part the last one's, of the previous iteration), so a kernel that keeps
a value only in registers or skips a store shows up.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

T, R, C = 3, 5, 6


@dataclass(frozen=True)
class Part:
    name: str
    init: str  # the carried value's initial expression
    body: str  # its update of `{s}`, the carried value, from `{d}` (f32[R, C]) and `{t}`
    summary: str  # a f32 scalar of `{s}` that the other part reads


PARTS = [
    Part("ew", f"full([{R}, {C}], 0.0)", "{s} * 0.5 + {d}", "mean({s})"),
    Part("total", "full([], 0.0)", "{s} + sum({d})", "{s} * 0.01"),
    Part("rows", f"full([{R}], 0.0)", "{s} + sum({d}, axis=1)", "mean({s})"),
    Part("max", "full([], 0.0)", "maximum({s}, max({d}))", "{s}"),
    Part("softmax", f"full([{R}, {C}], 0.0)", "softmax({s} + {d}, axis=-1)", "max({s})"),
    Part("matmul", f"full([{R}, {C}], 0.0)", "tanh({s} @ u + {d})", "mean({s})"),
    Part("transposed", f"full([{C}, {C}], 0.0)", "{s} * 0.5 + transpose({d}) @ {d} * 0.1", "mean({s})"),
    Part("tape", f"full([{T}, {R}, {C}], 0.0)", "scatter({s}, {t}, {d})", "sum({s}) * 0.01"),
    Part("scatter_add", f"full([2, {R}, {C}], 0.0)", "scatter_add({s}, {t} % 2, {d})", "mean({s})"),
    Part("cumsum", f"full([{R}, {C}], 0.0)", "cumsum({s} * 0.5 + {d}, axis=1) * 0.2", "mean({s})"),
    Part("argmax", f"full([{R}], 0)", "{s} + cast(argmax({d}, axis=1), i32)", "cast(sum({s}), f32) * 0.01"),
    Part("gather", f"full([{R}, {C}], 0.0)", f"tanh({{s}}[{{t}} % {R}] + {{d}})", "mean({s})"),
]


@dataclass(frozen=True)
class Combination:
    name: str
    source: str


def _source(parts: list[Part], crossed: bool) -> str:
    names = [f"s{i}" for i in range(len(parts))]
    types = ", ".join(_type(p) for p in parts)
    lines = [f"fn main(x: f32[{T}, {R}, {C}], u: f32[{C}, {C}]) -> ({types}) {{"]
    lines += [f"    let {n} = {p.init};" for n, p in zip(names, parts, strict=True)]
    lines += [f"    for t in range({T}) {{", "        let d = x[t];"]
    for i, (name, part) in enumerate(zip(names, parts, strict=True)):
        d = "d"
        if crossed:  # the previous part's value: updated already, or (the first) of the last iteration
            other = parts[i - 1].summary.format(s=names[i - 1])
            lines.append(f"        let d{i} = d + {other};")
            d = f"d{i}"
        lines.append(f"        let {name} = {part.body.format(s=name, d=d, t='t')};")
    lines += ["    }", f"    return {', '.join(names)};", "}", ""]
    return "\n".join(lines)


def _type(part: Part) -> str:
    shape = part.init[part.init.index("[") + 1:part.init.index("]")]
    dtype = "i32" if part.name == "argmax" else "f32"
    return f"{dtype}[{shape}]" if shape else dtype


def combinations(rings: int = 4) -> list[Combination]:
    """Every unordered pair of parts; and `rings` bodies of all parts in
    shuffled orders, each reading the one before it (the first the last)."""
    out = [Combination(f"{a.name}+{b.name}", _source([a, b], False))
           for a, b in itertools.combinations(PARTS, 2)]
    rng = np.random.default_rng(0)
    for k in range(rings):
        order = [PARTS[i] for i in rng.permutation(len(PARTS))]
        out.append(Combination(f"ring{k}:" + ">".join(p.name for p in order), _source(order, True)))
    return out


def inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return (rng.standard_normal((T, R, C)).astype(np.float32),
            (rng.standard_normal((C, C)) * 0.4).astype(np.float32))


def differences(combination: Combination, target: str) -> str | None:
    """None when `target` gives the eager target's values, else which differ."""
    import tfir

    args = inputs()
    want = tfir.compile_source(combination.source, "parts.tf", target="eager", cache=False).main(*args)
    got = tfir.compile_source(combination.source, "parts.tf", target=target, cache=False).main(*args)
    bad = [f"result {i}" for i, (g, w) in enumerate(zip(got, want, strict=True))
           if not np.allclose(g, w, rtol=1e-4, atol=1e-5)]
    return ", ".join(bad) or None
