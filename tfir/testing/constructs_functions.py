"""Constructs of the generator: the prelude's composites, user functions
(generic, typed with symbolic dims, with static parameters, with several
results) and rebinding a name."""

from __future__ import annotations

import numpy as np

from tfir.testing.gen_core import (
    ATOM,
    FLOATS,
    INTS,
    NUMERIC,
    Reject,
    Val,
    broadcast_dims,
    construct,
)
from tfir.testing.gen_core import (
    GenBase as Gen,
)


def _max_keep(x: np.ndarray, axis: int) -> np.ndarray:
    return np.max(x, axis=axis, keepdims=True)


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - _max_keep(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True, dtype=x.dtype)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    s = x - _max_keep(x, axis)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True, dtype=x.dtype))


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    m = _max_keep(x, axis)
    return np.squeeze(m, axis) + np.log(np.sum(np.exp(x - m), axis=axis, dtype=x.dtype))


@construct(weight=2, tags=["v1", "composite"])
def composite_axis(g: Gen) -> Val:
    name = g.choice(["softmax", "log_softmax", "logsumexp"])
    a = g.pick(dtypes=FLOATS, min_rank=1)
    if not np.isfinite(a.ref64).all():
        raise Reject("a softmax of non-finite values")
    axis = g.rng.randrange(a.rank)
    shown = axis - a.rank if g.chance(0.5) else axis
    fn = {"softmax": _softmax, "log_softmax": _log_softmax, "logsumexp": _logsumexp}[name]
    with np.errstate(all="ignore"):
        ref, ref64 = fn(a.ref, axis), fn(a.ref64, axis)
    dims = a.dims[:axis] + a.dims[axis + 1:] if name == "logsumexp" else a.dims
    if name != "logsumexp" and shown == -1 and g.chance(0.4):
        text = f"{name}({a.text})"
    else:
        text = f"{name}({a.text}, axis={g.int_text(shown)})" if g.chance(0.7) else f"{name}({a.text}, {g.int_text(shown)})"
    return g.value(text, a.dtype, dims, ref, ref64)


@construct(weight=1, tags=["v1", "composite"])
def layernorm(g: Gen) -> Val:
    a = g.pick(dtypes=FLOATS, min_rank=1)
    if not np.isfinite(a.ref64).all() or a.dims[-1].size < 2:
        raise Reject("layernorm of a short or non-finite axis")
    gamma = g.pick_like(a)
    beta = g.pick_like(a)
    dims = broadcast_dims(a.dims, gamma.dims, beta.dims)
    if dims is None:
        raise Reject("shapes")

    def ln(x: np.ndarray, ga: np.ndarray, be: np.ndarray) -> np.ndarray:
        d = x - np.mean(x, axis=-1, keepdims=True, dtype=x.dtype)
        var = np.mean(d * d, axis=-1, keepdims=True, dtype=x.dtype)
        eps = x.dtype.type(1e-5)
        return d / np.sqrt(var + eps) * ga + be

    x64 = a.ref64
    if float(np.var(x64, axis=-1).min()) < 1e-2:
        raise Reject("layernorm of a near-constant row")
    with np.errstate(all="ignore"):
        ref, ref64 = ln(a.ref, gamma.ref, beta.ref), ln(x64, gamma.ref64, beta.ref64)
    return g.value(f"layernorm({a.text}, {gamma.text}, {beta.text})", a.dtype, dims, ref, ref64)


@construct(weight=1, tags=["v1", "composite"])
def activation(g: Gen) -> Val:
    name = g.choice(["gelu", "silu"])
    a = g.pick(dtypes=FLOATS)

    def gelu(x: np.ndarray) -> np.ndarray:
        t = x.dtype.type
        return t(0.5) * x * (t(1.0) + np.tanh(t(0.7978845608028654) * (x + t(0.044715) * x * x * x)))

    def silu(x: np.ndarray) -> np.ndarray:
        return x * (x.dtype.type(1) / (x.dtype.type(1) + np.exp(-x)))

    fn = gelu if name == "gelu" else silu
    with np.errstate(all="ignore"):
        return g.value(f"{name}({a.text})", a.dtype, a.dims, fn(a.ref), fn(a.ref64))


@construct(weight=0.5, tags=["v1", "composite"])
def mse(g: Gen) -> Val:
    a = g.pick(dtypes=FLOATS)
    b = g.pick_like(a)
    if broadcast_dims(a.dims, b.dims) is None:
        raise Reject("shapes")

    def f(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        d = x - y
        return np.mean(d * d, dtype=d.dtype)

    with np.errstate(all="ignore"):
        return g.value(f"mse({a.text}, {b.text})", a.dtype, (), f(a.ref, b.ref), f(a.ref64, b.ref64))


@construct(weight=1, tags=["v1", "let"])
def rebind(g: Gen) -> Val | None:
    """`let x = x * 2.0;`: a later `let` of the same name shadows the earlier one."""
    a = g.pick(lambda v: v.text.isidentifier() and v.text not in g.params_static, NUMERIC)
    lit = g.literal(a.dtype, 2 if a.dtype in INTS else 0.5)
    with np.errstate(all="ignore"):
        ref, ref64 = a.ref * lit.ref, a.ref64 * lit.ref64
    new = g.value(f"{a.text} * {lit.text}", a.dtype, a.dims, ref, ref64, exact=a.exact and a.dtype in INTS)
    g.shadow(a, new)
    return None  # the statement is written


@construct(weight=2, tags=["v1", "function"])
def helper(g: Gen) -> Val | None:
    """A call of a new function of 1 to 3 statements over 1 or 2 of the values:
    generic (specialized per call), or typed with the caller's symbolic dims;
    sometimes with a static `int` parameter, sometimes with two results."""
    if g.depth >= 2:
        raise Reject("helpers nest two deep at most")
    args = [g.pick(lambda v: v.text.isidentifier())]
    if g.chance(0.5):
        args.append(g.pick(lambda v: v.text.isidentifier() and v is not args[0]))
    typed = g.chance(0.5)
    static = g.rng.randint(-1, 2) if g.chance(0.4) else None
    sub = g.child([(f"p{i}", a) for i, a in enumerate(args)], typed, static)
    results = sub.body(g.rng.randint(1, 3), g.rng.randint(1, 2))
    name = g.fresh("h")
    params = [f"p{i}{': ' + sub.type_text(a) if typed else ''}" for i, a in enumerate(args)]
    call_args = [a.text for a in args]
    if static is not None:
        params.append(f"k: int = {static}" if g.chance(0.5) else "k: int")
        if not params[-1].endswith(str(static)) or g.chance(0.5):
            call_args.append(f"k={static}" if g.chance(0.5) else str(static))
    ret = ""
    if typed and g.chance(0.6):
        types = [sub.type_text(r) for r in results]
        ret = f" -> {types[0]}" if len(types) == 1 else f" -> ({', '.join(types)})"
    body = "\n".join(sub.lines + [f"    return {', '.join(r.text for r in results)};"])
    call = f"{name}({', '.join(call_args)})"
    outs = [g.value(call, r.dtype, r.dims, r.ref, r.ref64, exact=r.exact) for r in results]
    g.helpers.append(f"fn {name}({', '.join(params)}){ret} {{\n{body}\n}}")
    if len(outs) == 1:
        return outs[0]
    names = [g.fresh() for _ in outs]
    g.lines.append(f"    let {', '.join(names)} = {call};")
    for n, v in zip(names, outs, strict=True):
        v.text, v.prec = n, ATOM
        g.env.append(v)
    return None
