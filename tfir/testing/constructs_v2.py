"""Constructs of the generator for language version 2: the new elementwise
math and activations, any/all, var/std, scans, tril/triu, flip, tile,
repeat, pad, einsum, convolutions and pooling, tensor indexing, take /
take_along_axis / scatter / scatter_add / one_hot, cross_entropy, random
numbers, `dim`, the `//` and `%` operators, and control flow (`for`, `while`,
`if` with carried values)."""

from __future__ import annotations

import numpy as np

from tfir import api  # random numbers: the reference is tfir's eager result (Philox)
from tfir.testing.constructs_elementwise import operator_text
from tfir.testing.gen_core import (
    FLOATS,
    INTS,
    NP,
    NUMERIC,
    TERM,
    Dim,
    Reject,
    Val,
    broadcast_dims,
    construct,
)
from tfir.testing.gen_core import (
    GenBase as Gen,
)

UNARY_V2 = {
    "log1p": (np.log1p, None), "expm1": (np.expm1, None), "tan": (np.tan, None), "atan": (np.arctan, None),
    "square": (lambda x: x * x, None), "reciprocal": (lambda x: x.dtype.type(1) / x, None),
    "softplus": (lambda x: np.logaddexp(x.dtype.type(0), x), None),
}


@construct(weight=2, tags=["v2", "elementwise"])
def unary_v2(g: Gen) -> Val:
    name = g.choice(list(UNARY_V2))
    fn, _ = UNARY_V2[name]
    a = g.pick(dtypes=FLOATS)
    if name == "tan":  # the poles of tan are discontinuities
        g.away_from(a, lambda x: (np.round(x / np.pi - 0.5) + 0.5) * np.pi)
    with np.errstate(all="ignore"):
        return g.value(f"{name}({a.text})", a.dtype, a.dims, fn(a.ref), fn(a.ref64))


@construct(weight=1, tags=["v2", "elementwise"])
def predicate(g: Gen) -> Val:
    name = g.choice(["isnan", "isinf"])
    a = g.pick(dtypes=FLOATS)
    fn = np.isnan if name == "isnan" else np.isinf
    return g.value(f"{name}({a.text})", "bool", a.dims, fn(a.ref), fn(a.ref64), exact=True)


@construct(weight=2, tags=["v2", "elementwise"])
def clip_and_activations(g: Gen) -> Val:
    kind = g.choice(["clip", "leaky_relu", "elu", "atan2"])
    a = g.pick(dtypes=FLOATS if kind != "clip" else NUMERIC)
    if kind == "clip":
        lo, hi = g.pick_like(a), g.pick_like(a)
        dims = broadcast_dims(a.dims, lo.dims, hi.dims)
        if dims is None:
            raise Reject("shapes")
        fn = lambda x, lo_, hi_: np.minimum(np.maximum(x, lo_), hi_)  # noqa: E731
        return g.value(f"clip({a.text}, {lo.text}, {hi.text})", a.dtype, dims, fn(a.ref, lo.ref, hi.ref),
                       fn(a.ref64, lo.ref64, hi.ref64), exact=a.exact and lo.exact and hi.exact)
    if kind == "atan2":
        b = g.pick_like(a)
        dims = broadcast_dims(a.dims, b.dims)
        if dims is None:
            raise Reject("shapes")
        g.apart(b, g.literal(b.dtype, 0.0))  # the branch cut on the negative x axis
        with np.errstate(all="ignore"):
            return g.value(f"atan2({a.text}, {b.text})", a.dtype, dims, np.arctan2(a.ref, b.ref),
                           np.arctan2(a.ref64, b.ref64))
    alpha = g.choice([0.01, 0.2, 1.0, 1.5])
    shown = "" if g.chance(0.3) else (f", alpha={alpha!r}" if g.chance(0.5) else f", {alpha!r}")
    if shown == "":
        alpha = 0.01 if kind == "leaky_relu" else 1.0

    def act(x: np.ndarray) -> np.ndarray:
        t = x.dtype.type
        return np.where(x >= 0, x, x * t(alpha)) if kind == "leaky_relu" else np.where(x > 0, x, t(alpha) * np.expm1(x))

    with np.errstate(all="ignore"):
        return g.value(f"{kind}({a.text}{shown})", a.dtype, a.dims, act(a.ref), act(a.ref64))


@construct(weight=1, tags=["v2", "reduction"])
def any_all(g: Gen) -> Val:
    name = g.choice(["any", "all"])
    a = g.pick(dtypes=["bool"])
    keep = g.chance(0.4)
    axes = tuple(range(a.rank)) if a.rank == 0 or g.chance(0.3) else (g.rng.randrange(a.rank),)
    attr = "" if len(axes) == a.rank and g.chance(0.5) else f", axis={list(axes) if len(axes) > 1 else axes[0]}"
    if attr.startswith(", axis=[") and not axes:
        attr = ""
    fn = np.any if name == "any" else np.all
    ref = fn(a.ref, axis=axes, keepdims=keep)
    dims = tuple(Dim(1) if i in axes else d for i, d in enumerate(a.dims) if keep or i not in axes)
    return g.value(f"{name}({a.text}{attr}{', keepdims=true' if keep else ''})", "bool", dims, ref, exact=True)


@construct(weight=1, tags=["v2", "reduction"])
def moments(g: Gen) -> Val:
    name = g.choice(["var", "std"])
    a = g.pick(dtypes=FLOATS, min_rank=1)
    axis = g.rng.randrange(a.rank)
    ddof = g.choice([0, 0, 1])
    if a.dims[axis].size <= ddof:
        raise Reject("ddof >= the axis")
    keep = g.chance(0.3)
    fn = np.var if name == "var" else np.std
    ref = fn(a.ref, axis=axis, ddof=ddof, keepdims=keep, dtype=a.ref.dtype)
    ref64 = fn(a.ref64, axis=axis, ddof=ddof, keepdims=keep)
    if name == "std" and not a.exact:
        g.away_from(Val("v", a.dtype, (), np.asarray(ref64), np.asarray(ref64), scale=a.scale), np.zeros_like)
    dims = tuple(Dim(1) if i == axis else d for i, d in enumerate(a.dims) if keep or i != axis)
    text = f"{name}({a.text}, axis={axis}{', ddof=1' if ddof else ''}{', keepdims=true' if keep else ''})"
    return g.value(text, a.dtype, dims, ref, ref64)


@construct(weight=1, tags=["v2", "scan"])
def scans(g: Gen) -> Val:
    name = g.choice(["cumsum", "cumprod"])
    a = g.pick(dtypes=NUMERIC, min_rank=1)
    axis = g.rng.randrange(a.rank)
    fn = np.cumsum if name == "cumsum" else np.cumprod
    ref = fn(a.ref, axis=axis, dtype=a.ref.dtype)
    ref64 = fn(a.ref64, axis=axis)
    shown = axis - a.rank if g.chance(0.3) else axis
    return g.value(f"{name}({a.text}, {shown})", a.dtype, a.dims, ref, ref64, exact=a.exact and a.dtype in INTS)


@construct(weight=2, tags=["v2", "shape"])
def arrays(g: Gen) -> Val:
    kind = g.choice(["tril", "triu", "flip", "tile", "repeat", "pad"])
    a = g.pick(lambda v: not v.symbolic, min_rank=2 if kind in ("tril", "triu") else 1)
    if kind in ("tril", "triu"):
        k = g.choice([0, 0, 1, -1])
        fn = np.tril if kind == "tril" else np.triu
        text = f"{kind}({a.text}{'' if k == 0 and g.chance(0.5) else f', {k}' if g.chance(0.5) else f', k={k}'})"
        return g.value(text, a.dtype, a.dims, fn(a.ref, k), fn(a.ref64, k), exact=a.exact)
    if kind == "flip":
        axis = g.rng.randrange(a.rank)
        return g.value(f"flip({a.text}, {axis})", a.dtype, a.dims, np.flip(a.ref, axis), np.flip(a.ref64, axis),
                       exact=a.exact)
    if kind == "tile":
        reps = [g.choice([1, 1, 2]) for _ in range(g.rng.randint(1, a.rank))]
        ref, ref64 = np.tile(a.ref, reps), np.tile(a.ref64, reps)
        return g.value(f"tile({a.text}, {reps})", a.dtype, tuple(Dim(n) for n in ref.shape), ref, ref64,
                       exact=a.exact)
    if kind == "repeat":
        n, axis = g.choice([1, 2, 3]), g.rng.randrange(a.rank)
        ref, ref64 = np.repeat(a.ref, n, axis), np.repeat(a.ref64, n, axis)
        return g.value(f"repeat({a.text}, {n}, {axis})", a.dtype, tuple(Dim(s) for s in ref.shape), ref, ref64,
                       exact=a.exact)
    pads = [[g.choice([0, 1, 2]), g.choice([0, 1])] for _ in range(a.rank)]
    value = g.choice([0, 0, 1, -2]) if a.dtype != "bool" else 0
    ref = np.pad(a.ref, pads, constant_values=np.asarray(value).astype(a.ref.dtype))
    ref64 = np.pad(a.ref64, pads, constant_values=value)
    shown = "" if value == 0 and g.chance(0.5) else f", value={value}"
    return g.value(f"pad({a.text}, {pads}{shown})", a.dtype, tuple(Dim(s) for s in ref.shape), ref, ref64,
                   exact=a.exact)


EINSUM = ["ij,jk->ik", "ij->ji", "ij->j", "ij->i", "ij,ij->ij", "i,i->", "ij,j->i", "bij,bjk->bik", "ij,ij->"]


@construct(weight=1, tags=["v2", "einsum"])
def einsum(g: Gen) -> Val:
    eq = g.choice(EINSUM)
    ins, out = eq.split("->")
    specs = ins.split(",")
    a = g.pick(lambda v: v.rank == len(specs[0]) and not v.symbolic, NUMERIC)
    sizes = dict(zip(specs[0], a.shape, strict=True))
    operands = [a]
    for spec in specs[1:]:
        want = tuple(sizes.setdefault(c, g.rng.randint(1, g.settings.max_dim)) for c in spec)
        try:
            b = g.pick(lambda v, want=want: v.shape == want and not v.symbolic, [a.dtype])
        except Reject:
            b = g.new_input(a.dtype, tuple(Dim(n) for n in want))
        operands.append(b)
    with np.errstate(all="ignore"):
        ref = np.einsum(eq, *[o.ref for o in operands]).astype(a.ref.dtype)
        ref64 = np.einsum(eq, *[o.ref64 for o in operands])
    args = ", ".join(o.text for o in operands)
    return g.value(f'einsum("{eq}", {args})', a.dtype, tuple(Dim(sizes[c]) for c in out), ref, ref64,
                   exact=a.dtype in INTS and all(o.exact for o in operands))


def _conv2d(x: np.ndarray, w: np.ndarray, stride: int, pad: int, dil: int) -> np.ndarray:
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    oh = (h + 2 * pad - dil * (kh - 1) - 1) // stride + 1
    ow = (wd + 2 * pad - dil * (kw - 1) - 1) // stride + 1
    out = np.zeros((n, o, oh, ow), dtype=np.result_type(x, w))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride:i * stride + dil * (kh - 1) + 1:dil, j * stride:j * stride + dil * (kw - 1) + 1:dil]
            out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w)
    return out


def _pool2d(x: np.ndarray, k: int, stride: int, pad: int, kind: str) -> np.ndarray:
    fill = -np.inf if kind == "max" else 0
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], constant_values=fill)
    oh = (x.shape[2] + 2 * pad - k) // stride + 1
    ow = (x.shape[3] + 2 * pad - k) // stride + 1
    out = np.zeros(x.shape[:2] + (oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            out[:, :, i, j] = win.max(axis=(2, 3)) if kind == "max" else win.mean(axis=(2, 3), dtype=x.dtype)
    return out


@construct(weight=1, tags=["v2", "nn"])
def conv_pool(g: Gen) -> Val:
    a = g.pick(lambda v: v.rank == 4 and not v.symbolic and min(v.shape[2:]) >= 2, FLOATS)
    kind = g.choice(["conv2d", "max_pool2d", "avg_pool2d"])
    stride, pad = g.choice([1, 1, 2]), g.choice([0, 0, 1])
    if kind == "conv2d":
        dil, k = g.choice([1, 1, 2]), g.choice([1, 2])
        if (min(a.shape[2:]) + 2 * pad - dil * (k - 1) - 1) < 0:
            raise Reject("a kernel larger than the input")
        w = g.new_input(a.dtype, (Dim(g.rng.randint(1, 3)), a.dims[1], Dim(k), Dim(k)))
        with np.errstate(all="ignore"):
            ref = _conv2d(a.ref, w.ref, stride, pad, dil).astype(a.ref.dtype)
            ref64 = _conv2d(a.ref64, w.ref64, stride, pad, dil)
        text = f"conv2d({a.text}, {w.text}, stride={stride}, padding={pad}, dilation={dil})"
        return g.value(text, a.dtype, tuple(Dim(s) for s in ref.shape), ref, ref64)
    k = g.choice([1, 2])
    if pad * 2 > k or min(a.shape[2:]) + 2 * pad < k:
        raise Reject("padding larger than half the window")
    name = kind.removesuffix("_pool2d")
    with np.errstate(all="ignore"):
        ref, ref64 = _pool2d(a.ref, k, stride, pad, name), _pool2d(a.ref64, k, stride, pad, name)
    return g.value(f"{kind}({a.text}, {k}, stride={stride}, padding={pad})", a.dtype,
                   tuple(Dim(s) for s in ref.shape), ref, ref64, exact=a.exact and name == "max")


def _index_input(g: Gen, size: int, shape: tuple[int, ...], negative: bool = True) -> Val:
    """A new integer parameter of indices in range for an axis of `size`."""
    v = g.new_input(g.choice(["i32", "i64"]), tuple(Dim(n) for n in shape))
    values = g.np_rng.integers(-size if negative else 0, size, shape)
    v.ref[...] = values
    v.ref64[...] = values
    g.inputs[v.text][...] = values
    return v


@construct(weight=2, tags=["v2", "indexing"])
def gather_scatter(g: Gen) -> Val:
    kind = g.choice(["take", "take_along_axis", "index", "scatter", "scatter_add", "newaxis"])
    a = g.pick(lambda v: not v.symbolic and v.size_zero() is False, min_rank=1)
    axis = g.rng.randrange(a.rank)
    size = a.shape[axis]
    if kind == "newaxis":
        pos = g.rng.randint(0, a.rank)
        index = ", ".join([":"] * pos + ["None"])
        ref, ref64 = np.expand_dims(a.ref, pos), np.expand_dims(a.ref64, pos)
        return g.value(f"{a.wrap(6)}[{index}]", a.dtype, a.dims[:pos] + (Dim(1),) + a.dims[pos:], ref, ref64,
                       exact=a.exact)
    if kind == "take_along_axis":
        shape = tuple(g.rng.randint(1, 3) if i == axis else n for i, n in enumerate(a.shape))
        idx = _index_input(g, size, shape)
        ref, ref64 = np.take_along_axis(a.ref, idx.ref % size, axis), np.take_along_axis(a.ref64, idx.ref % size, axis)
        return g.value(f"take_along_axis({a.text}, {idx.text}, {axis})", a.dtype, tuple(Dim(n) for n in shape),
                       ref, ref64, exact=a.exact)
    idx = _index_input(g, size, (g.rng.randint(1, 3),) if g.chance(0.8) else ())
    taken, taken64 = np.take(a.ref, idx.ref, axis), np.take(a.ref64, idx.ref, axis)
    tdims = tuple(Dim(n) for n in taken.shape)
    if kind == "take":
        return g.value(f"take({a.text}, {idx.text}, axis={axis})", a.dtype, tdims, taken, taken64, exact=a.exact)
    if kind == "index":
        parts = ", ".join([":"] * axis + [idx.text])
        return g.value(f"{a.wrap(6)}[{parts}]", a.dtype, tdims, taken, taken64, exact=a.exact)
    if a.dtype == "bool" or (kind == "scatter" and idx.ref.size != len(set((idx.ref % size).ravel().tolist()))):
        raise Reject("duplicate indices in a scatter")
    upd = g.pick(lambda v: v.shape == taken.shape and not v.symbolic, [a.dtype])
    ref, ref64 = a.ref.copy(), a.ref64.copy()
    moved, moved64 = np.moveaxis(ref, axis, 0), np.moveaxis(ref64, axis, 0)
    u, u64 = np.moveaxis(upd.ref, axis, 0), np.moveaxis(upd.ref64, axis, 0)
    flat = np.asarray(idx.ref % size).ravel()
    u, u64 = u.reshape((flat.size,) + moved.shape[1:]), u64.reshape((flat.size,) + moved.shape[1:])
    if kind == "scatter":
        moved[flat], moved64[flat] = u, u64
    else:
        np.add.at(moved, flat, u)
        np.add.at(moved64, flat, u64)
    return g.value(f"{kind}({a.text}, {idx.text}, {upd.text}, axis={axis})", a.dtype, a.dims, ref, ref64,
                   exact=a.exact and upd.exact and (kind == "scatter" or a.dtype in INTS))


@construct(weight=1, tags=["v2", "indexing"])
def one_hot_and_xent(g: Gen) -> Val:
    n = g.rng.randint(2, 4)
    batch = g.rng.randint(1, 3)
    if g.chance(0.5):
        idx = _index_input(g, n + 1, (batch,), negative=False)  # n itself: a row of zeros
        dtype = g.choice(["f32", "i32", "f64"])
        ref = (idx.ref[:, None] == np.arange(n)[None, :]).astype(NP[dtype])
        return g.value(f"one_hot({idx.text}, {n}{'' if dtype == 'f32' else ', ' + dtype})", dtype,
                       (Dim(batch), Dim(n)), ref, exact=True)
    logits = g.pick(lambda v: v.rank == 2 and not v.symbolic and v.shape[1] >= 2, FLOATS)
    labels = _index_input(g, logits.shape[1], (logits.shape[0],), negative=False)

    def xent(x: np.ndarray) -> np.ndarray:
        m = x.max(axis=1, keepdims=True)
        lse = np.log(np.exp(x - m).sum(axis=1, dtype=x.dtype)) + m[:, 0]
        return np.mean(lse - x[np.arange(x.shape[0]), labels.ref], dtype=x.dtype)

    with np.errstate(all="ignore"):
        return g.value(f"cross_entropy({logits.text}, {labels.text})", logits.dtype, (), xent(logits.ref),
                       xent(logits.ref64))


@construct(weight=1, tags=["v2", "dims"])
def dims_and_operators(g: Gen) -> Val:
    a = g.pick(dtypes=NUMERIC, min_rank=1)
    kind = g.choice(["dim", "//", "%"])
    if kind == "dim":
        axis = g.rng.randrange(a.rank)
        lit = Val(f"dim({a.text}, {axis})", a.dtype, (), np.asarray(a.shape[axis]).astype(NP[a.dtype]),
                  np.asarray(a.shape[axis], np.float64), exact=True, lit="int")
        text, prec = operator_text("*", a, lit)
        with np.errstate(all="ignore"):
            return g.value(text, a.dtype, a.dims, a.ref * lit.ref, a.ref64 * lit.ref64, exact=a.dtype in INTS, prec=prec)
    b = g.pick_like(a)
    dims = broadcast_dims(a.dims, b.dims)
    if dims is None:
        raise Reject("shapes")
    if b.dtype in INTS and (b.ref64 == 0).any():
        raise Reject("division by zero")
    if b.dtype in FLOATS:
        if (np.abs(b.ref64) < 0.1).any():
            raise Reject("division by a small value")
        with np.errstate(all="ignore"):
            q = np.broadcast_arrays(a.ref64 / b.ref64)[0]
        g.away_from(Val("q", a.dtype, (), q, q, scale=max(a.scale, 1.0)), np.round)
    fn = np.floor_divide if kind == "//" else np.mod
    with np.errstate(all="ignore"):
        return g.value(f"{a.wrap(TERM)} {kind} {b.wrap(TERM + 1)}", a.dtype, dims, fn(a.ref, b.ref),
                       fn(a.ref64, b.ref64), exact=a.exact and b.exact and a.dtype in INTS, prec=TERM)


@construct(weight=1, tags=["v2", "random"])
def random_numbers(g: Gen) -> Val:
    """Values only tfir's generator knows (Philox): its eager result is the reference."""
    kind = g.choice(["random_uniform", "random_normal"])
    dims = tuple(g.base_dim() for _ in range(g.rng.randint(1, 2)))
    if any(d.name for d in dims):
        dims = tuple(Dim(d.size) for d in dims)
    seed = g.rng.randint(0, 1000)
    dtype = g.choice(["f32", "f64"])
    shape = "[" + ", ".join(str(d.size) for d in dims) + "]"
    text = f"{kind}({seed}, {shape}{'' if dtype == 'f32' else ', ' + dtype})"
    ref = api.compile_source(f"fn r() {{\n    return {text};\n}}\n", "random.tf", target="eager").r()
    return g.value(text, dtype, dims, ref, np.asarray(ref, np.float64), exact=True)
