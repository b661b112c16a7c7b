"""The random program generator: `generate(seed)` is a well-typed `.tf`
program, its inputs and its expected results (see gen_core.py for how the
references are computed and kept well-conditioned, and the constructs_*.py
modules for what programs contain).

```python
from tfir.testing import generate
prog = generate(7)
print(prog.source)            # fn main(x: f32[N, 3], ...) -> ... { ... }
prog.inputs, prog.expected    # NumPy arrays
```
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tfir.testing import constructs_elementwise as _elementwise  # noqa: F401  (registers constructs)
from tfir.testing import constructs_flow as _flow  # noqa: F401
from tfir.testing import constructs_functions as _functions  # noqa: F401
from tfir.testing import constructs_shapes as _shapes  # noqa: F401
from tfir.testing import constructs_v2 as _v2  # noqa: F401
from tfir.testing.gen_core import (
    ATOM,
    CONSTRUCTS,
    FLOATS,
    INTS,
    NP,
    Construct,
    Dim,
    GenBase,
    Program,
    Reject,
    Settings,
    State,
    Val,
)

# Parameter names include Python keywords and names that generated code uses
# itself: valid `.tf` identifiers that code generators must rename.
PARAM_NAMES = ["x", "y", "z", "w", "u", "v", "self", "lambda", "class", "np", "tl", "out", "pid",
               "BLOCK", "result", "args", "kwargs", "def", "pass", "math", "torch", "_", "buf0", "x_1"]
ENTRY_NAMES = ["main", "main", "main", "f", "lambda", "np", "kernel", "run"]
DIM_NAMES = ["N", "M", "B", "T", "D"]
DTYPE_WEIGHTS = {"f32": 6, "f64": 2, "f16": 1, "i32": 2, "i64": 1, "bool": 1}


def make_input(rng: np.random.Generator, dtype: str, shape: tuple[int, ...], special: bool) -> np.ndarray:
    """Random input values; with `special`, NaN, inf, -inf, 0.0 and -0.0 among them."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in INTS:
        return rng.integers(-5, 6, shape).astype(NP[dtype])
    x = np.asarray(rng.standard_normal(shape) * rng.choice([0.5, 1.0, 2.0]))
    if special:
        mask = rng.random(shape) < 0.3
        x[mask] = rng.choice([np.nan, np.inf, -np.inf, -0.0, 0.0], size=int(mask.sum()))
    return np.asarray(x).astype(NP[dtype])


class Gen(GenBase):
    """A function being generated: the entry (depth 0) or a helper."""

    def __init__(self, state: State, depth: int = 0):
        super().__init__(state, depth)
        self.inputs: dict[str, np.ndarray] = {}
        self.param_texts: list[str] = []
        self._param_pool = list(PARAM_NAMES)
        self.rng.shuffle(self._param_pool)

    # -- the entry's signature ---------------------------------------------------------

    def setup(self) -> None:
        s = self.settings
        sizes = [self.rng.randint(1, s.max_dim) for _ in range(self.rng.randint(1, 3))]
        named = self.rng.randrange(len(sizes)) if self.chance(s.symbolic) else None
        self.base = [Dim(n, DIM_NAMES[i] if i == named else None) for i, n in enumerate(sizes)]
        master = [self.choice(self.base) for _ in range(s.max_rank)]
        for _ in range(self.rng.randint(1, 3)):
            rank = self.rng.randint(0, s.max_rank)
            dims = tuple(Dim(1) if self.chance(0.2) else d for d in master[s.max_rank - rank:])
            self.new_input(self.dtype(), dims)
        if self.chance(0.1):
            self.static = self.rng.randint(0, 2)

    def dtype(self) -> str:
        allowed = [d for d in DTYPE_WEIGHTS if d in self.settings.dtypes]
        return self.rng.choices(allowed, [DTYPE_WEIGHTS[d] for d in allowed])[0]

    def new_input(self, dtype: str, dims: tuple[Dim, ...]) -> Val:
        if self.depth:
            raise Reject("a helper has no new inputs")
        name = next((n for n in self._param_pool if n not in self.inputs), None) or self.fresh("x")
        self._param_pool = [n for n in self._param_pool if n != name]
        arr = make_input(self.np_rng, dtype, tuple(d.size for d in dims), self.special)
        self.visible.update(d.name for d in dims if d.name)
        self.inputs[name] = arr
        spelled = self.type_text_of(dtype, dims)
        self.param_texts.append(f"{name}: {spelled}")
        v = Val(name, dtype, dims, arr, arr.astype(np.float64 if dtype in FLOATS else
                                                     (np.int64 if dtype in INTS else np.bool_)), exact=True)
        self._check(v)
        self.env.append(v)
        return v

    def type_text_of(self, dtype: str, dims: tuple[Dim, ...]) -> str:
        if not dims and dtype != "bool" and self.chance(0.5):
            return dtype  # `bool` alone is a static parameter, `bool[]` a tensor
        return f"{dtype}[{', '.join(self.dim_text(d) for d in dims)}]"

    # -- helpers -------------------------------------------------------------------------

    def child(self, params: list[tuple[str, Val]], typed: bool, static: int | None) -> Gen:
        c = Gen(self.state, self.depth + 1)
        c.base = list(self.base)
        for name, v in params:
            c.env.append(replace(v, text=name, prec=ATOM))
        c.visible = {d.name for _, v in params for d in v.dims if d.name} if typed else set()
        c.static = static
        return c

    # -- statements ----------------------------------------------------------------------

    def active(self) -> list[Construct]:
        s = self.settings
        return [c for c in CONSTRUCTS.values() if c.name not in s.exclude
                and (s.only is None or c.name in s.only or c.tags & s.only)
                and (s.target is None or c.targets is None or s.target in c.targets)]

    def body(self, statements: int, results: int) -> list[Val]:
        constructs = self.active()
        weights = [c.weight for c in constructs]
        start, tries = len(self.lines), 0
        while len(self.lines) - start < statements and tries < 40 * statements:
            tries += 1
            c = self.rng.choices(constructs, weights)[0]
            try:
                with np.errstate(all="ignore"):
                    v = c.build(self)
            except Reject as why:
                self.state.rejects[str(why)] = self.state.rejects.get(str(why), 0) + 1
                continue
            except (ValueError, IndexError, ZeroDivisionError, OverflowError) as err:  # NumPy refused: not valid here
                self.state.rejects[type(err).__name__] = self.state.rejects.get(type(err).__name__, 0) + 1
                continue
            self.used.append(c.name)
            if v is None:
                continue
            if len(v.text) < 100 and not v.text.isidentifier() and self.chance(0.3):
                self.env.append(v)  # used inline, as an operand of a later construct
            else:
                self.bind(v)
        return self._results(results)

    def _results(self, n: int) -> list[Val]:
        """The values no statement used (so that the program has no dead code),
        the latest first, at most `n`; else the latest value."""
        params = set(self.inputs) | {f"p{i}" for i in range(4)}
        computed = [v for v in self.env if v.text not in params]
        unused = [v for v in reversed(computed) if v.uses == 0]
        out = unused[:n] or computed[-1:] or self.env[-1:]
        self.rng.shuffle(out)
        return out


def generate(seed: int, settings: Settings | None = None) -> Program:
    """A random well-typed program, its inputs and expected results; the same seed
    and settings give the same program."""
    settings = settings or Settings()
    for attempt in range(20):
        state = State(seed * 1000 + attempt, settings)
        g = Gen(state)
        g.setup()
        results = g.body(state.rng.randint(3, settings.max_statements), state.rng.randint(1, 4))
        if any(v.text in g.inputs for v in results) and len(g.lines) == 0:
            continue
        try:
            return _assemble(g, results, seed)
        except Reject:
            continue
    raise RuntimeError(f"no program for seed {seed}")


def _assemble(g: Gen, results: list[Val], seed: int) -> Program:
    entry = g.choice(ENTRY_NAMES)
    if entry in g.inputs:
        entry = "main" if "main" not in g.inputs else "entry"
    params = list(g.param_texts)
    if g.static is not None:
        params.append(f"k: int = {g.static}")
    types = [g.type_text(v) for v in results]
    ret = ""
    if g.chance(0.85):
        ret = f" -> {types[0]}" if len(types) == 1 else f" -> ({', '.join(types)})"
    lines = [f"fn {entry}({', '.join(params)}){ret} {{", *g.lines,
             f"    return {', '.join(v.text for v in results)};", "}"]
    helpers = list(g.helpers)
    g.rng.shuffle(helpers)
    source = "\n\n".join([*helpers, "\n".join(lines)]) + "\n"
    return Program(source, entry, dict(g.inputs), results, list(g.used), seed, g.special, params, types)


__all__ = ["CONSTRUCTS", "Dim", "Program", "Settings", "generate", "make_input"]
