"""The machinery of the random program generator: values with their own
NumPy reference, the table of constructs, and the assembly of a program.

A program is built statement by statement. Each statement is one
*construct* (an entry of `CONSTRUCTS`: an operator, a builtin, an indexing
form, a helper function...) applied to values bound before it. A construct
computes the `.tf` text of its expression, its dtype and shape, and its
value on the program's inputs twice, with NumPy and independently of tfir:
in the program's dtype (`ref`, what every target must give, within rounding)
and in float64 (`ref64`, the exact math). A construct is kept only when its
value is *well-conditioned*: both agree within the dtype's tolerance, no
integer overflows, and every discontinuous operation (a comparison, floor,
a cast to an integer, argmax...) has a margin around its operand, unless
that operand is *exact* (computed bit-identically on every target). So a
program's expected results are stable under the rounding differences that
targets legitimately have, and any difference larger than the tolerance is
a bug.

Adding a construct is one function decorated with `@construct`: it picks
operands with `g.pick`, returns `g.value(...)` or None when it does not
apply (`g.reject` says why, for statistics). See tfir/testing/constructs.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

FLOATS = ("f16", "f32", "f64")
INTS = ("i32", "i64")
NUMERIC = FLOATS + INTS
DTYPES = ("bool",) + NUMERIC
NP = {"bool": np.bool_, "i32": np.int32, "i64": np.int64, "f16": np.float16, "f32": np.float32,
      "f64": np.float64}
# Rounding tolerance of a well-conditioned value relative to its scale, by dtype: a
# construct whose value in the dtype and in float64 differ by more is dropped.
TOL = {"f16": 1e-2, "f32": 1e-4, "f64": 1e-10}
# Values beyond these magnitudes are dropped (f16 overflows at 65504).
LIMIT = {"f16": 200.0, "f32": 1e5, "f64": 1e8, "i32": 1 << 20, "i64": 1 << 40}
INT_LIMIT = 1 << 20

# Precedence of an expression's outermost form (the table of language.md).
COMPARE, SUM, TERM, UNARY, POWER, ATOM = 1, 2, 3, 4, 5, 6


@dataclass(frozen=True)
class Dim:
    """A dimension: its size and, when it is a symbolic dimension of the
    entry's signature, its name (two dims broadcast only when both agree)."""

    size: int
    name: str | None = None

    def text(self) -> str:
        return self.name or str(self.size)


@dataclass
class Val:
    """A value of the program: `.tf` text, type and its references."""

    text: str
    dtype: str
    dims: tuple[Dim, ...]
    ref: np.ndarray
    ref64: np.ndarray
    exact: bool = False
    prec: int = ATOM
    scale: float = 1.0  # the magnitude its rounding error is relative to
    lit: str | None = None  # a literal's kind (int, float, bool): it takes the other operand's dtype
    uses: int = 0  # how often constructs took it as an operand

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(d.size for d in self.dims)

    @property
    def rank(self) -> int:
        return len(self.dims)

    def size_zero(self) -> bool:
        return any(d.size == 0 for d in self.dims)

    @property
    def is_float(self) -> bool:
        return self.dtype in FLOATS

    @property
    def symbolic(self) -> bool:
        return any(d.name for d in self.dims)

    def type_text(self) -> str:
        return f"{self.dtype}[{', '.join(d.text() for d in self.dims)}]"

    def wrap(self, level: int) -> str:
        """The text as an operand of an operator of precedence `level`."""
        return self.text if self.prec >= level else f"({self.text})"


Builder = Callable[["GenBase"], "Val | None"]


class Reject(Exception):
    """A construct does not apply here (no operand fits, a value is ill-conditioned)."""


@dataclass(frozen=True)
class Construct:
    name: str
    build: Builder
    weight: float = 1.0
    # Tags: "v1", "v2", "float-only"...; campaigns can select by tag.
    tags: frozenset[str] = frozenset()
    # The targets a program containing it may run on (None: all).
    targets: frozenset[str] | None = None


CONSTRUCTS: dict[str, Construct] = {}



def construct(weight: float = 1.0, tags: Sequence[str] = (), name: str | None = None,
              targets: Sequence[str] | None = None) -> Callable[[Builder], Builder]:
    """Registers a construct: `@construct(weight=2)` above `def binary_op(g): ...`.
    The function returns the value of its expression (bound by the generator),
    or None when it wrote its statements itself (`g.lines`, `g.env`)."""
    def register(fn: Builder) -> Builder:
        key = name or fn.__name__
        CONSTRUCTS[key] = Construct(key, fn, weight, frozenset(tags),
                                    frozenset(targets) if targets is not None else None)
        return fn
    return register


# -- broadcasting of named dims ----------------------------------------------------------


def broadcast_dims(*shapes: tuple[Dim, ...]) -> tuple[Dim, ...] | None:
    """NumPy broadcasting of dims, where a symbolic dim only meets itself or a literal 1."""
    rank = max((len(s) for s in shapes), default=0)
    out: list[Dim] = []
    for i in range(rank):
        col = [s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0]
        big = [d for d in col if not (d.size == 1 and d.name is None)]
        if not big:
            out.append(Dim(1))
        elif all(d == big[0] for d in big):
            out.append(big[0])
        else:
            return None
    return tuple(out)


# -- the generator's state ---------------------------------------------------------------


@dataclass
class Settings:
    """What a campaign asks of its programs."""

    max_statements: int = 10
    max_rank: int = 3
    max_dim: int = 5
    dtypes: tuple[str, ...] = DTYPES
    special_values: float = 0.15  # the share of programs with NaN, inf and -0.0 inputs
    symbolic: float = 0.3  # the share of programs with a symbolic dim in the signature
    helpers: float = 0.3  # the chance that a construct is outlined into a helper function
    zero_size: bool = False  # slices may be empty
    exclude: frozenset[str] = frozenset()
    only: frozenset[str] | None = None
    target: str | None = None  # keeps constructs that do not run on it out


@dataclass
class Program:
    """A generated program: source, inputs, and the expected results."""

    source: str
    entry: str
    inputs: dict[str, np.ndarray]
    results: list[Val]
    constructs: list[str] = field(default_factory=list)
    seed: int = 0
    special: bool = False
    params: list[str] = field(default_factory=list)  # the entry's parameters, as spelled
    result_types: list[str] = field(default_factory=list)  # its results' types, as spelled

    @property
    def expected(self) -> list[np.ndarray]:
        return [v.ref for v in self.results]


class State:
    """What a program and its helper functions share while it is generated."""

    def __init__(self, seed: int, settings: Settings):
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.settings = settings
        self.special = self.rng.random() < settings.special_values
        self.names = 0
        self.helpers: list[str] = []
        self.used: list[str] = []
        self.rejects: dict[str, int] = {}


class GenBase:
    """One function being generated (the entry, or a helper): its statements and
    values. Constructs call its methods; see `Gen` (generator.py) for the rest."""

    def __init__(self, state: State, depth: int = 0):
        self.state = state
        self.rng = state.rng
        self.np_rng = state.np_rng
        self.settings = state.settings
        self.special = state.special
        self.helpers = state.helpers
        self.used = state.used
        self.depth = depth
        self.env: list[Val] = []
        self.lines: list[str] = []
        self.base: list[Dim] = []
        self.visible: set[str] = set()  # symbolic dims bound by this function's signature
        self.static: int | None = None  # the value of this function's static parameter `k`
        self.params_static: set[str] = set()

    # -- randomness --------------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def choice(self, items: Sequence[Any]) -> Any:
        if not items:
            raise Reject("nothing to choose from")
        return items[self.rng.randrange(len(items))]

    def fresh(self, prefix: str = "t") -> str:
        self.state.names += 1
        return f"{prefix}{self.state.names}"

    def int_text(self, value: int) -> str:
        """An int attribute; in a helper with a static `k` of that value, sometimes `k`."""
        if self.static is not None and value == self.static and self.chance(0.7):
            return "k"
        return str(value)

    def dim_text(self, d: Dim) -> str:
        """A dim as written here: a symbolic one by name, where this signature binds it."""
        if d.name is None:
            return str(d.size)
        if d.name not in self.visible:
            raise Reject("a symbolic dim this function cannot name")
        return d.name

    def type_text(self, v: Val) -> str:
        return f"{v.dtype}[{', '.join(self.dim_text(d) for d in v.dims)}]"

    def new_input(self, dtype: str, dims: tuple[Dim, ...]) -> Val:
        raise Reject("no new inputs here")

    def child(self, params: list[tuple[str, Val]], typed: bool, static: int | None) -> GenBase:
        raise Reject("no helpers here")

    def body(self, statements: int, results: int) -> list[Val]:
        raise NotImplementedError

    def base_dim(self) -> Dim:
        """A dim of the program's dims (a symbolic one only where the signature binds it)."""
        d = self.choice(self.base)
        return d if d.name is None or d.name in self.visible else Dim(d.size)

    # -- operands ----------------------------------------------------------------------

    def pick(self, pred: Callable[[Val], bool] | None = None, dtypes: Sequence[str] | None = None,
             min_rank: int = 0, max_rank: int | None = None) -> Val:
        """A value that satisfies the filters (the later ones more often)."""
        found = [v for v in self.env if (dtypes is None or v.dtype in dtypes) and v.rank >= min_rank
                 and (max_rank is None or v.rank <= max_rank) and (pred is None or pred(v))]
        if not found:
            raise Reject("no operand")
        weights = [1.0 + i for i in range(len(found))]
        v = self.rng.choices(found, weights)[0]
        v.uses += 1
        return v

    def pick_like(self, a: Val, dtype: str | None = None) -> Val:
        """An operand that broadcasts with `a` (of `a`'s dtype unless given), or a literal."""
        dtype = dtype or a.dtype
        if self.chance(0.25):
            return self.literal(dtype)
        try:
            return self.pick(lambda v: broadcast_dims(a.dims, v.dims) is not None, [dtype])
        except Reject:
            return self.literal(dtype)

    # -- values ------------------------------------------------------------------------

    def literal(self, dtype: str, value: float | int | None = None) -> Val:
        """A scalar literal: it takes the dtype of the other operand."""
        if dtype == "bool":
            v = self.chance(0.5) if value is None else bool(value)
            out = self.value("true" if v else "false", "bool", (), np.array(v), exact=True)
            out.lit = "bool"
            return out
        if value is None and self.static is not None and self.chance(0.2):
            out = self.value("k", dtype, (), np.array(self.static).astype(NP[dtype]),
                             np.array(self.static, np.float64), exact=True)
            out.lit = "int"
            return out
        if value is None:
            value = self.choice([0.5, 1.5, 2.0, 3.0, -1.0, 0.25, 4.0, -2.5, 2, 3]) if dtype in FLOATS \
                else self.choice([0, 1, 2, 3, -1, -4, 5, 7])
        text = repr(value) if isinstance(value, float) and dtype in FLOATS else str(int(value))
        prec = UNARY if text.startswith("-") else ATOM
        arr = np.array(value).astype(NP[dtype])
        out = self.value(text, dtype, (), arr, np.array(value, np.float64 if dtype in FLOATS else np.int64),
                         exact=True, prec=prec)
        out.lit = "float" if isinstance(value, float) and dtype in FLOATS else "int"
        return out

    def value(self, text: str, dtype: str, dims: Sequence[Dim], ref: Any, ref64: Any = None,
              exact: bool = False, prec: int = ATOM) -> Val:
        """A checked value: `ref` in the dtype, `ref64` the exact math (default `ref`)."""
        ref = np.asarray(ref)
        ref = ref.astype(NP[dtype], copy=False) if ref.dtype != NP[dtype] else ref
        wide = np.float64 if dtype in FLOATS else (np.int64 if dtype in INTS else np.bool_)
        with np.errstate(all="ignore"):
            ref64 = np.asarray(ref if ref64 is None else ref64).astype(wide, copy=False)
        dims = tuple(dims)
        if ref.shape != tuple(d.size for d in dims) or ref64.shape != ref.shape:
            raise AssertionError(f"generator bug: {text}: reference shape {ref.shape} for dims {dims}")
        val = Val(text, dtype, dims, ref, ref64, exact, prec)
        self._check(val)
        return val

    def _check(self, v: Val) -> None:
        if v.dtype in INTS:
            if v.ref64.size and (np.abs(v.ref64).max() > LIMIT[v.dtype] or not np.array_equal(v.ref, v.ref64)):
                raise Reject("integer overflow")
            return
        if v.dtype not in FLOATS:
            return
        finite = np.isfinite(v.ref64)
        if not self.special and not finite.all():
            raise Reject("not finite")
        if not (np.array_equal(np.isnan(v.ref), np.isnan(v.ref64))
                and np.array_equal(np.isposinf(v.ref), np.isposinf(v.ref64))
                and np.array_equal(np.isneginf(v.ref), np.isneginf(v.ref64))):
            raise Reject("non-finite values differ from the exact math")
        f = v.ref64[finite]
        if f.size == 0:
            return
        top = float(np.abs(f).max())
        if top > LIMIT[v.dtype]:
            raise Reject("too large")
        v.scale = max(1.0, top)
        err = float(np.abs(v.ref.astype(np.float64)[finite] - f).max())
        if err > TOL[v.dtype] * v.scale:
            raise Reject("ill-conditioned")

    # -- guards of discontinuous operations --------------------------------------------

    def margin(self, v: Val) -> float:
        return 20 * TOL.get(v.dtype, 0.0) * v.scale

    def away_from(self, v: Val, points: Callable[[np.ndarray], np.ndarray]) -> None:
        """Rejects unless `v` is exact or each value is farther than the margin from
        the discontinuity `points(x)` nearest to it (NaN and inf are deterministic)."""
        if v.exact or v.dtype not in FLOATS:
            return
        x = v.ref64[np.isfinite(v.ref64)]
        if x.size and float(np.abs(x - points(x)).min()) <= self.margin(v):
            raise Reject("too close to a discontinuity")

    def apart(self, a: Val, b: Val) -> None:
        """Rejects a comparison of `a` and `b` unless both are exact or they differ by a margin."""
        if (a.exact and b.exact) or a.dtype not in FLOATS:
            return
        x, y = np.broadcast_arrays(a.ref64, b.ref64)
        ok = np.isfinite(x) & np.isfinite(y)
        m = max(self.margin(a), self.margin(b))
        if ok.any() and float(np.abs(x[ok] - y[ok]).min()) <= m:
            raise Reject("comparison too close")

    # -- statements --------------------------------------------------------------------

    def bind(self, v: Val, name: str | None = None) -> Val:
        name = name or self.fresh()
        self.lines.append(f"    let {name} = {v.text};")
        bound = replace(v, text=name, prec=ATOM)
        self.env.append(bound)
        return bound

    def shadow(self, old: Val, new: Val) -> None:
        """`let NAME = ...;` of a bound name: the old value and every unbound
        expression (which may mention it) are gone."""
        self.lines.append(f"    let {old.text} = {new.text};")
        self.env = [v for v in self.env if v is not old and v.text.isidentifier()]
        self.env.append(replace(new, text=old.text, prec=ATOM))


def np_dtype(dtype: str) -> Any:
    return NP[dtype]
