"""Constructs of the generator: reductions, matmul, shape builtins,
constants and indexing (basic NumPy indexing, negative steps included)."""

from __future__ import annotations

import numpy as np

from tfir.testing.gen_core import (
    FLOATS,
    INTS,
    NP,
    NUMERIC,
    Dim,
    Reject,
    Val,
    broadcast_dims,
    construct,
)
from tfir.testing.gen_core import (
    GenBase as Gen,
)

REDUCTIONS = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod}


def axes_text(g: Gen, axes: list[int], rank: int, allow_list: bool = True) -> str:
    """An axis attribute: a (possibly negative) int or a list of them."""
    shown = [a - rank if g.chance(0.3) else a for a in axes]
    if len(shown) == 1 and (not allow_list or g.chance(0.7)):
        return g.int_text(shown[0])
    return "[" + ", ".join(g.int_text(a) for a in shown) + "]"


def reduce_ref(name: str, x: np.ndarray, axes: tuple[int, ...] | None, keep: bool, dtype: str) -> np.ndarray:
    kwargs = {} if name in ("max", "min") else {"dtype": x.dtype if x.dtype != np.float64 else np.float64}
    with np.errstate(all="ignore"):
        out = REDUCTIONS[name](x, axis=axes, keepdims=keep, **kwargs)
    return np.asarray(out)


def reduced_dims(dims: tuple[Dim, ...], axes: tuple[int, ...], keep: bool) -> tuple[Dim, ...]:
    return tuple(Dim(1) if i in axes else d for i, d in enumerate(dims) if keep or i not in axes)


@construct(weight=3, tags=["v1", "reduction"])
def reduction(g: Gen) -> Val:
    name = g.choice(list(REDUCTIONS))
    a = g.pick(dtypes=FLOATS if name == "mean" else NUMERIC)
    if a.size_zero():
        raise Reject("a reduction of an empty tensor")
    if name == "prod" and a.dtype in INTS and a.ref.size > 6:
        raise Reject("a long integer product")
    keep = g.chance(0.5)
    if a.rank == 0 or g.chance(0.25):
        axes, attr = tuple(range(a.rank)), ""
    else:
        k = g.rng.randint(1, a.rank)
        axes = tuple(sorted(g.rng.sample(range(a.rank), k)))
        attr = f", axis={axes_text(g, list(axes), a.rank)}" if g.chance(0.8) else f", {axes_text(g, list(axes), a.rank)}"
    keep_text = f", keepdims={'true' if keep else 'false'}" if keep or g.chance(0.2) else ""
    ref = reduce_ref(name, a.ref, axes, keep, a.dtype)
    ref64 = reduce_ref(name, a.ref64, axes, keep, a.dtype)
    exact = a.exact and (name in ("max", "min") or a.dtype in INTS)
    return g.value(f"{name}({a.text}{attr}{keep_text})", a.dtype, reduced_dims(a.dims, axes, keep),
                   ref, ref64, exact=exact)


@construct(weight=1, tags=["v1", "reduction"])
def arg_reduction(g: Gen) -> Val:
    name = g.choice(["argmax", "argmin"])
    a = g.pick(dtypes=NUMERIC, min_rank=1)
    if a.size_zero():
        raise Reject("an argmax of an empty tensor")
    axis = g.rng.randrange(a.rank)
    if not a.exact and a.dtype in FLOATS:
        x = np.sort(np.moveaxis(a.ref64, axis, -1), axis=-1)
        if x.shape[-1] > 1:
            gaps = x[..., 1:] - x[..., :-1]
            top = gaps[..., -1] if name == "argmax" else gaps[..., 0]
            if not np.isfinite(x).all() or float(top.min()) <= g.margin(a):
                raise Reject("a near tie")
    fn = np.argmax if name == "argmax" else np.argmin
    ref = fn(a.ref, axis=axis)
    ref64 = fn(a.ref64, axis=axis) if not a.exact else ref
    shown = axis - a.rank if g.chance(0.3) else axis
    text = f"{name}({a.text}, axis={g.int_text(shown)})" if g.chance(0.6) else f"{name}({a.text}, {g.int_text(shown)})"
    return g.value(text, "i64", a.dims[:axis] + a.dims[axis + 1:], ref, ref64, exact=True)


@construct(weight=2, tags=["v1", "matmul"])
def matmul(g: Gen) -> Val:
    a = g.pick(dtypes=NUMERIC, min_rank=1)
    k = a.dims[-1]

    def fits(v: Val) -> bool:
        if v.dtype != a.dtype or v.rank == 0:
            return False
        if v.rank == 1:
            return v.dims[0] == k
        return v.dims[-2] == k and broadcast_dims(a.dims[:-2], v.dims[:-2]) is not None

    try:
        b = g.pick(fits)
    except Reject:
        b = g.new_input(a.dtype, (k, g.base_dim()) if g.chance(0.8) else (k,))
    with np.errstate(all="ignore"):
        ref, ref64 = np.matmul(a.ref, b.ref), np.matmul(a.ref64, b.ref64)
    batch = broadcast_dims(a.dims[:-2], b.dims[:-2]) or ()
    dims = batch + (a.dims[-2:-1] if a.rank >= 2 else ()) + (b.dims[-1:] if b.rank >= 2 else ())
    text = f"{a.wrap(3)} @ {b.wrap(4)}" if g.chance(0.7) else f"matmul({a.text}, {b.text})"
    return g.value(text, a.dtype, dims, ref, ref64, exact=a.exact and b.exact and a.dtype in INTS,
                   prec=3 if "@" in text else 6)


@construct(weight=1, tags=["v1", "shape"])
def transpose(g: Gen) -> Val:
    a = g.pick(min_rank=1)
    if g.chance(0.3):
        perm, text = list(range(a.rank))[::-1], f"transpose({a.text})"
    else:
        perm = g.rng.sample(range(a.rank), a.rank)
        text = f"transpose({a.text}, perm=[{', '.join(map(str, perm))}])"
    return g.value(text, a.dtype, tuple(a.dims[p] for p in perm), np.transpose(a.ref, perm),
                   np.transpose(a.ref64, perm), exact=a.exact)


def _factor(g: Gen, n: int) -> list[int]:
    out = []
    while n > 1 and len(out) < 3:
        divisors = [d for d in range(2, n + 1) if n % d == 0]
        d = g.choice(divisors)
        out.append(d)
        n //= d
    if n != 1:
        out.append(n)
    while g.chance(0.2) and len(out) < 4:
        out.insert(g.rng.randrange(len(out) + 1), 1)
    return out


@construct(weight=1, tags=["v1", "shape"])
def reshape(g: Gen) -> Val:
    a = g.pick(lambda v: not v.symbolic)
    shape = _factor(g, int(np.prod(a.shape, dtype=np.int64)))
    shown = [str(d) for d in shape]
    if shape and g.chance(0.4):
        shown[g.rng.randrange(len(shape))] = "-1"
    text = f"reshape({a.text}, [{', '.join(shown)}])"
    dims = tuple(Dim(d) for d in shape)
    return g.value(text, a.dtype, dims, a.ref.reshape(shape), a.ref64.reshape(shape), exact=a.exact)


@construct(weight=1, tags=["v1", "shape"])
def broadcast_to(g: Gen) -> Val:
    a = g.pick()
    dims = [g.base_dim() if d.size == 1 and not d.name and g.chance(0.6) else d for d in a.dims]
    lead = [g.base_dim() for _ in range(g.rng.randint(0, 1 if a.rank >= 2 else 2))]
    out = tuple(lead + dims)
    shape = tuple(d.size for d in out)
    text = f"broadcast_to({a.text}, [{', '.join(g.dim_text(d) for d in out)}])"
    return g.value(text, a.dtype, out, np.broadcast_to(a.ref, shape), np.broadcast_to(a.ref64, shape),
                   exact=a.exact)


@construct(weight=1, tags=["v1", "shape"])
def expand_squeeze(g: Gen) -> Val:
    a = g.pick()
    ones = [i for i, d in enumerate(a.dims) if d.size == 1 and not d.name]
    if ones and g.chance(0.5):
        if not a.symbolic and g.chance(0.3):
            axes, text = ones, f"squeeze({a.text})"
        else:
            axes = [g.choice(ones)]
            shown = axes[0] - a.rank if g.chance(0.3) else axes[0]
            text = f"squeeze({a.text}, {g.int_text(shown)})" if g.chance(0.5) else f"squeeze({a.text}, axis={g.int_text(shown)})"
        dims = tuple(d for i, d in enumerate(a.dims) if i not in axes)
        shape = tuple(d.size for d in dims)
        return g.value(text, a.dtype, dims, a.ref.reshape(shape), a.ref64.reshape(shape), exact=a.exact)
    axis = g.rng.randint(-a.rank - 1, a.rank)
    pos = axis if axis >= 0 else axis + a.rank + 1
    dims = a.dims[:pos] + (Dim(1),) + a.dims[pos:]
    return g.value(f"expand_dims({a.text}, {g.int_text(axis)})", a.dtype, dims,
                   np.expand_dims(a.ref, pos), np.expand_dims(a.ref64, pos), exact=a.exact)


@construct(weight=2, tags=["v1", "shape"])
def concat_stack(g: Gen) -> Val:
    a = g.pick(min_rank=0)
    stack = a.rank == 0 or g.chance(0.35)
    if stack:
        axis = g.rng.randint(0, a.rank)
        same = lambda v: v.dims == a.dims and v.dtype == a.dtype  # noqa: E731
    else:
        free = [i for i, d in enumerate(a.dims) if not d.name]
        if not free:
            raise Reject("no literal axis")
        axis = g.choice(free)
        same = lambda v: (v.dtype == a.dtype and v.rank == a.rank and not v.dims[axis].name  # noqa: E731
                          and all(x == y for i, (x, y) in enumerate(zip(v.dims, a.dims, strict=True)) if i != axis))
    parts = [a] + [g.pick(same) if g.chance(0.8) else a for _ in range(g.rng.randint(1, 2))]
    texts = ", ".join(p.text for p in parts)
    shown = axis - (a.rank + stack) if g.chance(0.3) else axis
    attr = f", axis={g.int_text(shown)}" if shown != 0 or g.chance(0.5) else ""
    if stack:
        ref = np.stack([p.ref for p in parts], axis=axis)
        ref64 = np.stack([p.ref64 for p in parts], axis=axis)
        dims = a.dims[:axis] + (Dim(len(parts)),) + a.dims[axis:]
        return g.value(f"stack([{texts}]{attr})", a.dtype, dims, ref, ref64, exact=all(p.exact for p in parts))
    ref = np.concatenate([p.ref for p in parts], axis=axis)
    ref64 = np.concatenate([p.ref64 for p in parts], axis=axis)
    dims = a.dims[:axis] + (Dim(ref.shape[axis]),) + a.dims[axis + 1:]
    return g.value(f"concat([{texts}]{attr})", a.dtype, dims, ref, ref64, exact=all(p.exact for p in parts))


@construct(weight=1, tags=["v1", "constant"])
def constant(g: Gen) -> Val:
    kind = g.choice(["zeros", "ones", "full", "arange"])
    if kind == "arange":
        n = g.rng.randint(1, g.settings.max_dim)
        dtype = g.choice([d for d in g.settings.dtypes if d != "bool"] or ["i32"])
        shown = "" if dtype == "i32" and g.chance(0.5) else f", {dtype}"
        ref = np.arange(n).astype(NP[dtype])
        return g.value(f"arange({g.int_text(n)}{shown})", dtype, (Dim(n),), ref, np.arange(n), exact=True)
    dims = tuple(g.base_dim() for _ in range(g.rng.randint(0, 2)))
    dtype = g.choice(list(g.settings.dtypes))
    shape_text = "[" + ", ".join(g.dim_text(d) for d in dims) + "]"
    shape = tuple(d.size for d in dims)
    if kind == "full":
        if dtype == "bool":
            raise Reject("full of a bool")
        value = g.choice([0.5, -1.5, 2.0]) if dtype in FLOATS else g.choice([0, 3, -2])
        dtype_text = "" if (dtype == "f32" and isinstance(value, float)) or (dtype == "i32" and isinstance(value, int)) \
            else f", {dtype}"
        text = f"full({shape_text}, {value!r}{dtype_text})"
    else:
        value = 0 if kind == "zeros" else 1
        text = f"{kind}({shape_text}{'' if dtype == 'f32' else ', ' + dtype})"
    ref = np.full(shape, value).astype(NP[dtype])
    return g.value(text, dtype, dims, ref, np.full(shape, value, np.float64), exact=True)


@construct(weight=2, tags=["v1", "indexing"])
def subscript(g: Gen) -> Val:
    a = g.pick(min_rank=1)
    n = g.rng.randint(1, a.rank)
    parts, index, dims = [], [], []
    for d in a.dims[:n]:
        text, ix = _index(g, d)
        parts.append(text)
        index.append(ix)
        if isinstance(ix, slice):
            size = len(range(*ix.indices(d.size)))
            dims.append(d if d.name else Dim(size))
    dims += list(a.dims[n:])
    if not g.settings.zero_size and any(d.size == 0 for d in dims):
        raise Reject("an empty slice")
    key = tuple(index)
    return g.value(f"{a.wrap(6)}[{', '.join(parts)}]", a.dtype, tuple(dims), a.ref[key], a.ref64[key],
                   exact=a.exact)


def _index(g: Gen, d: Dim) -> tuple[str, int | slice]:
    if d.name:
        return ":", slice(None)
    if g.chance(0.35):
        i = g.rng.randint(-d.size, d.size - 1)
        return g.int_text(i), i
    step = g.choice([None, None, 1, 2, -1, -2, 3])
    bound = [None, None, 0, 1, -1, d.size, -d.size - 2, d.size + 3, 2]
    start, stop = g.choice(bound), g.choice(bound)
    text = f"{'' if start is None else start}:{'' if stop is None else stop}"
    if step is not None:
        text += f":{step}"
    return text, slice(start, stop, step)
