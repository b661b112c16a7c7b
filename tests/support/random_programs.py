"""A generator of random, well-typed `.tf` programs with a NumPy reference:
elementwise ops with broadcasting, literals, reductions with every axis
form, matmul, transpose, reshape, slicing, casts and dtypes. Used by
differential tests (eager vs NumPy, compiled targets vs eager)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

NP = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64}


@dataclass
class Expr:
    text: str
    shape: tuple[int, ...]
    dtype: str
    ref: object  # a function of the input dict giving a NumPy array


@dataclass
class RandomProgram:
    source: str
    inputs: dict[str, np.ndarray]
    expected: list[np.ndarray]


def _leaf(draw: st.DrawFn, env: dict[str, tuple[tuple[int, ...], str]], dtype: str) -> Expr:
    names = [n for n, (_, d) in env.items() if d == dtype]
    if names and draw(st.integers(0, 4)):
        name = draw(st.sampled_from(names))
        shape = env[name][0]
        return Expr(name, shape, dtype, lambda i, n=name: i[n])
    if dtype.startswith("f"):
        v = draw(st.sampled_from([0.5, 1.0, 2.0, -1.5, 3.0]))
        return Expr(repr(v), (), dtype, lambda i, v=v: NP[dtype](v))
    v = draw(st.integers(-3, 5))
    return Expr(str(v), (), dtype, lambda i, v=v: NP[dtype](v))


def _sub_shape(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to `shape`."""
    k = draw(st.integers(0, len(shape)))
    tail = shape[len(shape) - k:]
    return tuple(d if draw(st.booleans()) else 1 for d in tail)


@st.composite
def expressions(draw: st.DrawFn, env: dict, dtype: str, depth: int, top: bool = False) -> Expr:
    """Below the top, reductions keep their dims so siblings still broadcast."""
    if depth == 0:
        return _leaf(draw, env, dtype)
    kind = draw(st.sampled_from(["binary", "binary", "unary", "reduce", "where", "leaf", "shape"]))
    is_float = dtype.startswith("f")
    if kind == "binary":
        a = draw(expressions(env, dtype, depth - 1))
        b = draw(expressions(env, dtype, depth - 1))
        ops = ["+", "-", "*"] + (["/"] if is_float else []) + ["maximum", "minimum"]
        op = draw(st.sampled_from(ops))
        if op == "/":
            fn = lambda x, y: x / (np.abs(y) + NP[dtype](1))  # noqa: E731
            text = f"({a.text} / (abs({b.text}) + 1.0))"
        elif op in ("maximum", "minimum"):
            fn = getattr(np, op)
            text = f"{op}({a.text}, {b.text})"
        else:
            fn = {"+": np.add, "-": np.subtract, "*": np.multiply}[op]
            text = f"({a.text} {op} {b.text})"
        shape = np.broadcast_shapes(a.shape, b.shape)
        return Expr(text, shape, dtype, lambda i: _cast(fn(a.ref(i), b.ref(i)), dtype))
    if kind == "unary":
        a = draw(expressions(env, dtype, depth - 1))
        names = ["neg", "abs"] + (["tanh", "exp", "sigmoid", "relu", "sin", "floor"] if is_float else ["relu"])
        name = draw(st.sampled_from(names))
        fns = {"neg": np.negative, "abs": np.abs, "tanh": np.tanh, "sin": np.sin, "floor": np.floor,
               "exp": lambda x: np.exp(np.minimum(x, 10)), "relu": lambda x: np.maximum(x, 0),
               "sigmoid": lambda x: 1 / (1 + np.exp(-x))}
        text = f"exp(minimum({a.text}, 10.0))" if name == "exp" else f"{name}({a.text})"
        return Expr(text, a.shape, dtype, lambda i: _cast(fns[name](a.ref(i)), dtype))
    if kind == "reduce":
        a = draw(expressions(env, dtype, depth - 1))
        if not a.shape:
            return a
        name = draw(st.sampled_from(["sum", "max", "min"] + (["mean"] if is_float else [])))
        axes = draw(st.lists(st.integers(0, len(a.shape) - 1), min_size=1, max_size=len(a.shape), unique=True))
        keep = draw(st.booleans()) if top else True
        neg = draw(st.booleans())
        shown = [ax - len(a.shape) if neg else ax for ax in axes]
        axis_text = str(shown[0]) if len(shown) == 1 else str(shown)
        text = f"{name}({a.text}, axis={axis_text}, keepdims={'true' if keep else 'false'})"
        fn = getattr(np, name)
        shape = tuple(1 if i in axes else d for i, d in enumerate(a.shape) if keep or i not in axes)
        def ref(i, a=a, fn=fn, axes=tuple(axes), keep=keep, name=name):
            x = a.ref(i)
            kw = {"dtype": x.dtype} if name == "sum" else {}
            return _cast(fn(x, axis=axes, keepdims=keep, **kw), dtype)
        return Expr(text, shape, dtype, ref)
    if kind == "where":
        a = draw(expressions(env, dtype, depth - 1))
        b = draw(expressions(env, dtype, depth - 1))
        text = f"where({a.text} > {b.text}, {a.text}, {b.text} * 2)"
        shape = np.broadcast_shapes(a.shape, b.shape)
        return Expr(text, shape, dtype, lambda i: _cast(np.where(a.ref(i) > b.ref(i), a.ref(i), b.ref(i) * NP[dtype](2)), dtype))
    if kind == "shape":
        # Shape ops that keep the shape, so the result still broadcasts with its siblings.
        a = draw(expressions(env, dtype, depth - 1))
        if not a.shape:
            return a
        choice = draw(st.sampled_from(["reshape", "flip", "roll", "transpose"]))
        dims = ", ".join(map(str, a.shape))
        if choice == "reshape":
            return Expr(f"reshape(reshape({a.text}, [-1]), [{dims}])", a.shape, dtype, a.ref)
        if choice == "flip":
            return Expr(f"{a.text}[::-1]", a.shape, dtype, lambda i: a.ref(i)[::-1])
        if choice == "roll":
            return Expr(f"concat([{a.text}[1:], {a.text}[:1]], axis=0)", a.shape, dtype,
                        lambda i: np.concatenate([a.ref(i)[1:], a.ref(i)[:1]], axis=0))
        return Expr(f"transpose(transpose({a.text}) * 1)", a.shape, dtype, a.ref)
    return _leaf(draw, env, dtype)


def _cast(x: object, dtype: str) -> np.ndarray:
    return np.asarray(x).astype(NP[dtype])


@st.composite
def programs(draw: st.DrawFn, max_depth: int = 4) -> RandomProgram:
    dtype = draw(st.sampled_from(["f32", "f32", "f64", "i32", "i64"]))
    rank = draw(st.integers(0, 3))
    full = tuple(draw(st.lists(st.integers(1, 5), min_size=rank, max_size=rank)))
    env = {"a": (full, dtype), "b": (_sub_shape(draw, full), dtype), "c": (_sub_shape(draw, full), dtype)}
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    inputs = {}
    for name, (shape, dt) in env.items():
        if dt.startswith("f"):
            inputs[name] = rng.standard_normal(shape).astype(NP[dt])
        else:
            inputs[name] = rng.integers(-4, 5, shape).astype(NP[dt])
    n_results = draw(st.integers(1, 2))
    exprs = [draw(expressions(env, dtype, draw(st.integers(1, max_depth)), top=True)) for _ in range(n_results)]
    params = ", ".join(f"{n}: {dt}[{', '.join(map(str, s))}]" for n, (s, dt) in env.items())
    results = ", ".join(f"{dtype}[{', '.join(map(str, e.shape))}]" for e in exprs)
    body = "\n".join(f"    let r{i} = {e.text};" for i, e in enumerate(exprs))
    source = (f"fn main({params}) -> ({results}) {{\n{body}\n    return "
              f"{', '.join(f'r{i}' for i in range(len(exprs)))};\n}}\n")
    with np.errstate(all="ignore"):
        expected = [np.asarray(e.ref(inputs)) for e in exprs]
    return RandomProgram(source, inputs, expected)


def assert_same(got: object, expected: list[np.ndarray], source: str) -> None:
    got_list = list(got) if isinstance(got, tuple) else [got]
    assert len(got_list) == len(expected)
    for g, w in zip(got_list, expected, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype, (source, g.shape, w.shape, g.dtype, w.dtype)
        if w.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=2e-4 if w.dtype == np.float32 else 1e-9, atol=1e-5,
                                       equal_nan=True, err_msg=source)
        else:
            np.testing.assert_array_equal(g, w, err_msg=source)
