"""Constructs of the generator: elementwise operators and builtins, `where`,
`cast` and literals. Each computes its value with NumPy on its own, in the
program's dtype and in float64 (see gen_core.py)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from tfir.testing.gen_core import (
    ATOM,
    COMPARE,
    FLOATS,
    INTS,
    NP,
    NUMERIC,
    POWER,
    SUM,
    TERM,
    TOL,
    UNARY,
    Reject,
    Val,
    broadcast_dims,
    construct,
)
from tfir.testing.gen_core import (
    GenBase as Gen,
)

_erf = np.vectorize(math.erf, otypes=[np.float64])

# name -> (operator text or None, NumPy function, operand dtypes, exact on exact operands)
BINARY: dict[str, tuple[str | None, Callable[..., np.ndarray], tuple[str, ...], bool]] = {
    "add": ("+", np.add, NUMERIC, False),
    "sub": ("-", np.subtract, NUMERIC, False),
    "mul": ("*", np.multiply, NUMERIC, False),
    "div": ("/", np.true_divide, FLOATS, False),
    "pow": ("**", np.power, NUMERIC, False),
    "maximum": (None, np.maximum, NUMERIC, True),
    "minimum": (None, np.minimum, NUMERIC, True),
    "floordiv": (None, np.floor_divide, NUMERIC, False),
    "mod": (None, np.mod, NUMERIC, False),
}
COMPARISONS = {"==": ("equal", np.equal), "!=": ("not_equal", np.not_equal), "<": ("less", np.less),
               "<=": ("less_equal", np.less_equal), ">": ("greater", np.greater),
               ">=": ("greater_equal", np.greater_equal)}
OPERATOR_LEVEL = {"+": SUM, "-": SUM, "*": TERM, "/": TERM, "@": TERM, "**": POWER}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    one = x.dtype.type(1)
    return one / (one + np.exp(-x))


# name -> (NumPy function, operand dtypes, discontinuities of the function or None)
UNARY_FNS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], tuple[str, ...], Callable | None]] = {
    "neg": (np.negative, NUMERIC, None),
    "abs": (np.abs, NUMERIC, None),
    "exp": (np.exp, FLOATS, None),
    "log": (np.log, FLOATS, None),
    "sqrt": (np.sqrt, FLOATS, None),
    "rsqrt": (lambda x: x.dtype.type(1) / np.sqrt(x), FLOATS, None),
    "tanh": (np.tanh, FLOATS, None),
    "sin": (np.sin, FLOATS, None),
    "cos": (np.cos, FLOATS, None),
    "floor": (np.floor, FLOATS, np.round),
    "ceil": (np.ceil, FLOATS, np.round),
    "sign": (np.sign, NUMERIC, np.zeros_like),
    "erf": (lambda x: _erf(x).astype(x.dtype), FLOATS, None),
    "sigmoid": (_sigmoid, FLOATS, None),
    "relu": (lambda x: np.maximum(x, x.dtype.type(0)), NUMERIC, None),
}
EXACT_UNARY = {"neg", "abs", "floor", "ceil", "sign", "relu"}


def operator_text(op: str, a: Val, b: Val) -> tuple[str, int]:
    """`a OP b` with the parentheses the precedence needs (left-associative, `**` right)."""
    level = OPERATOR_LEVEL.get(op, COMPARE)
    if op == "**":
        return f"{a.wrap(POWER + 1)} ** {b.wrap(UNARY)}", POWER
    if level == COMPARE:
        return f"{a.wrap(SUM)} {op} {b.wrap(SUM)}", COMPARE
    return f"{a.wrap(level)} {op} {b.wrap(level + 1)}", level


def _operands(g: Gen, dtypes: tuple[str, ...]) -> tuple[Val, Val]:
    a = g.pick(dtypes=dtypes)
    b = g.pick_like(a)
    if g.chance(0.3):
        a, b = b, a
    return a, b


def _apply2(g: Gen, fn: Callable[..., np.ndarray], a: Val, b: Val, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):
        ref = fn(a.ref, b.ref)
        ref64 = fn(a.ref64, b.ref64)
    return np.asarray(ref).astype(NP[dtype]), ref64


@construct(weight=6, tags=["v1", "elementwise"])
def binary(g: Gen) -> Val:
    name = g.choice(list(BINARY))
    op, fn, dtypes, exact = BINARY[name]
    a, b = _operands(g, dtypes)
    dims = broadcast_dims(a.dims, b.dims)
    if dims is None:
        raise Reject("shapes")
    if name == "pow":
        _pow_guard(g, a, b)
    if name in ("floordiv", "mod", "div"):
        _divisor_guard(g, name, a, b)
    ref, ref64 = _apply2(g, fn, a, b, a.dtype)
    if op is not None and g.chance(0.7):
        text, prec = operator_text(op, a, b)
    else:
        text, prec = f"{name}({a.text}, {b.text})", ATOM
    return g.value(text, a.dtype, dims, ref, ref64, exact=exact and a.exact and b.exact, prec=prec)


def _pow_guard(g: Gen, a: Val, b: Val) -> None:
    if a.dtype in INTS and (b.ref64 < 0).any():
        raise Reject("negative integer power")
    if a.dtype in INTS and (b.ref64 > 4).any():
        raise Reject("large integer power")
    if a.dtype in FLOATS and not g.special and (a.ref64 <= 0).any():
        raise Reject("power of a non-positive base")


def _divisor_guard(g: Gen, name: str, a: Val, b: Val) -> None:
    if b.dtype in INTS:
        if (b.ref64 == 0).any():
            raise Reject("integer division by zero")
        return
    if not g.special and (np.abs(b.ref64) < 0.1).any():
        raise Reject("division by a small value")
    if name != "div":
        with np.errstate(all="ignore"):
            q = np.broadcast_arrays(a.ref64 / b.ref64)[0]
        probe = Val("q", a.dtype, (), q, q, exact=False, scale=max(a.scale, 1.0))
        g.away_from(probe, np.round)


@construct(weight=2, tags=["v1", "elementwise"])
def comparison(g: Gen) -> Val:
    op = g.choice(list(COMPARISONS))
    name, fn = COMPARISONS[op]
    a, b = _operands(g, ("bool",) + NUMERIC if op in ("==", "!=") else NUMERIC)
    dims = broadcast_dims(a.dims, b.dims)
    if dims is None:
        raise Reject("shapes")
    g.apart(a, b)
    ref, ref64 = _apply2(g, fn, a, b, "bool")
    if g.chance(0.7):
        text, prec = operator_text(op, a, b)
    else:
        text, prec = f"{name}({a.text}, {b.text})", ATOM
    return g.value(text, "bool", dims, ref, ref64, exact=True, prec=prec)


@construct(weight=1, tags=["v1", "elementwise"])
def logical(g: Gen) -> Val:
    name = g.choice(["logical_and", "logical_or", "logical_not"])
    a = g.pick(dtypes=["bool"])
    if name == "logical_not":
        return g.value(f"logical_not({a.text})", "bool", a.dims, np.logical_not(a.ref), exact=True)
    b = g.pick_like(a)
    dims = broadcast_dims(a.dims, b.dims)
    if dims is None:
        raise Reject("shapes")
    fn = np.logical_and if name == "logical_and" else np.logical_or
    return g.value(f"{name}({a.text}, {b.text})", "bool", dims, fn(a.ref, b.ref), exact=True)


@construct(weight=5, tags=["v1", "elementwise"])
def unary(g: Gen) -> Val:
    name = g.choice(list(UNARY_FNS))
    fn, dtypes, points = UNARY_FNS[name]
    a = g.pick(dtypes=dtypes)
    if points is not None:
        g.away_from(a, points)
    with np.errstate(all="ignore"):
        ref, ref64 = fn(a.ref), fn(a.ref64)
    exact = a.exact and name in EXACT_UNARY
    if name == "neg" and g.chance(0.6):
        return g.value(f"-{a.wrap(UNARY)}", a.dtype, a.dims, ref, ref64, exact=exact, prec=UNARY)
    return g.value(f"{name}({a.text})", a.dtype, a.dims, ref, ref64, exact=exact)


@construct(weight=2, tags=["v1", "elementwise"])
def where(g: Gen) -> Val:
    c = g.pick(dtypes=["bool"])
    a = g.pick_like(c, g.choice(list(NUMERIC) + ["bool"]))
    b = g.pick_like(a)
    if a.lit and b.lit:  # literals only: f32 with a float one, else i32 (or bool)
        kinds = {a.lit, b.lit}
        if "bool" in kinds and len(kinds) > 1:
            raise Reject("a bool and a number literal")
        dtype = "f32" if "float" in kinds else "bool" if kinds == {"bool"} else "i32"
        a, b = (g.literal(dtype, v.ref64.item()) if dtype != "f32" or v.lit == "float"
                else g.literal(dtype, int(v.ref64.item())) for v in (a, b))
    dims = broadcast_dims(c.dims, a.dims, b.dims)
    if dims is None:
        raise Reject("shapes")
    ref = np.where(c.ref, a.ref, b.ref)
    ref64 = np.where(c.ref, a.ref64, b.ref64)
    return g.value(f"where({c.text}, {a.text}, {b.text})", a.dtype, dims, ref, ref64,
                   exact=a.exact and b.exact)


@construct(weight=2, tags=["v1", "elementwise"])
def cast(g: Gen) -> Val:
    a = g.pick()
    to = g.choice([d for d in g.settings.dtypes if d != a.dtype] or [a.dtype])
    if a.dtype in FLOATS and to in INTS:
        if not np.isfinite(a.ref64).all() or (np.abs(a.ref64) > 1e6).any():
            raise Reject("a cast of a value no integer holds")
        g.away_from(a, np.round)
    if a.dtype in FLOATS and to == "bool":
        g.away_from(a, np.zeros_like)
    if a.dtype in FLOATS and to in FLOATS and TOL[to] < TOL[a.dtype] and not a.exact:
        # Targets may round the narrow value differently (an ulp of f32 in tanh):
        # widened, that difference is far beyond the wide dtype's tolerance.
        raise Reject("a widened value keeps its narrow dtype's rounding")
    with np.errstate(all="ignore"):
        ref = a.ref.astype(NP[to])
        ref64 = a.ref64.astype(NP[to]) if to in INTS + ("bool",) else a.ref.astype(np.float64)
    if to in FLOATS:
        ref64 = a.ref64.astype(np.float64)
    # A conversion is correctly rounded: exact operands give exact results.
    return g.value(f"cast({a.text}, {to})", to, a.dims, ref, ref64, exact=a.exact)


@construct(weight=1, tags=["v1", "literal"])
def folded_literal(g: Gen) -> Val:
    """An expression of literals only, evaluated at compile time, beside a tensor."""
    a = g.pick(dtypes=NUMERIC)
    x, y = g.literal(a.dtype), g.literal(a.dtype)
    op = g.choice(["+", "-", "*"])
    fn = {"+": np.add, "-": np.subtract, "*": np.multiply}[op]
    lit_text, _ = operator_text(op, x, y)
    wide = fn(x.ref64, y.ref64)
    lit = Val(f"({lit_text})", a.dtype, (), np.asarray(wide).astype(NP[a.dtype]), wide, exact=True)
    out_op = g.choice(["+", "*", "-"])
    text, prec = operator_text(out_op, a, lit)
    fn2 = {"+": np.add, "-": np.subtract, "*": np.multiply}[out_op]
    ref, ref64 = _apply2(g, fn2, a, lit, a.dtype)
    return g.value(text, a.dtype, a.dims, ref, ref64, prec=prec)


@construct(weight=1, tags=["v1", "literal"])
def tensor_literal(g: Gen) -> Val:
    """A tensor literal `[[1.0, -2.0], [3.0, 4.0]]` beside a tensor of literal trailing dims."""
    a = g.pick(lambda v: v.rank >= 1 and not v.dims[-1].name and v.dims[-1].size <= 4, NUMERIC)
    k = g.rng.randint(1, min(2, a.rank))
    dims = tuple(d if g.chance(0.7) or d.name else type(d)(1) for d in a.dims[-k:])
    if any(d.name for d in dims):
        raise Reject("a literal cannot have a symbolic dim")
    shape = tuple(d.size for d in dims)
    if a.dtype in FLOATS:
        data = g.np_rng.choice([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 3.0], size=shape)
    else:
        data = g.np_rng.integers(-3, 4, size=shape).astype(np.float64)
    text = _literal_text(data, a.dtype in FLOATS)
    lit = Val(text, a.dtype, dims, data.astype(NP[a.dtype]), data, exact=True)
    op = g.choice(["+", "*", "-", "maximum"])
    fn = {"+": np.add, "-": np.subtract, "*": np.multiply, "maximum": np.maximum}[op]
    out = broadcast_dims(a.dims, dims)
    if out is None:
        raise Reject("shapes")
    ref, ref64 = _apply2(g, fn, a, lit, a.dtype)
    if op == "maximum":
        return g.value(f"maximum({a.text}, {text})", a.dtype, out, ref, ref64, exact=a.exact)
    text2, prec = operator_text(op, a, lit)
    return g.value(text2, a.dtype, out, ref, ref64, prec=prec)


def _literal_text(data: np.ndarray, is_float: bool) -> str:
    if data.ndim == 0:
        return repr(float(data)) if is_float else str(int(data))
    return "[" + ", ".join(_literal_text(x, is_float) for x in data) + "]"


@construct(weight=1, tags=["v1", "literal"])
def literal_binding(g: Gen) -> Val:
    """`let c = 1.5;` binds a compile-time literal, used like one later."""
    a = g.pick(dtypes=NUMERIC)
    value = g.choice([0.5, 2.0, 3.0, -1.5]) if a.dtype in FLOATS else g.choice([2, 3, -1])
    name = g.fresh("c")
    g.lines.append(f"    let {name} = {value!r};")
    lit = Val(name, a.dtype, (), np.asarray(value).astype(NP[a.dtype]), np.asarray(value, np.float64),
              exact=True)
    ref, ref64 = _apply2(g, np.multiply, a, lit, a.dtype)
    text, prec = operator_text("*", a, lit)
    return g.value(text, a.dtype, a.dims, ref, ref64, prec=prec)
