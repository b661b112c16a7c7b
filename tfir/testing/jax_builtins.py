"""The builtins of `.tf` for the JAX reference (jax_reference.py), written from
the language spec as JAX spells them: `jnp` for NumPy's meaning, `jax.nn`
for the activations, `jax.lax` for convolutions and pooling (PyTorch's
layout, as the spec says).

`ELEMENTWISE[name]` takes its tensors with literals already given their
dtype (and may also fold literals: it runs on NumPy arrays too);
`STRUCTURAL[name]` takes the call's bound arguments by parameter name. Also
the literals' typing (`LitTensor`, `concrete`, `harmonize`) and the lazy
import of JAX (`available`), which the interpreter shares.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfir.dialects.registry import REQUIRED
from tfir.dialects.tf import random as philox

Args = dict[str, Any]

jax: Any = None
jnp: Any = None

DTYPES = {"f16": np.float16, "f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64,
          "bool": np.bool_, "bf16": None}


def available() -> bool:
    """Whether JAX imports (it is an optional dependency)."""
    global jax, jnp
    if jax is None:
        try:
            import jax as jax_module
        except ImportError:
            return False
        jax_module.config.update("jax_enable_x64", True)
        jax, jnp = jax_module, jax_module.numpy
    return True


@dataclass
class LitTensor:
    """A tensor literal (`[[1.0, 2.0]]`): weakly typed like a scalar literal."""

    value: np.ndarray


def is_lit(v: Any) -> bool:
    return isinstance(v, bool | int | float | LitTensor) and not isinstance(v, np.generic)


def concrete(v: Any, like: Any = None) -> Any:
    """A literal as a tensor: of `like`'s dtype, else f32 (a float) or i32 (an int)."""
    if not is_lit(v):
        return v
    raw = v.value if isinstance(v, LitTensor) else np.asarray(v)
    if like is not None:
        return jnp.asarray(raw, dtype=like.dtype)
    kind = raw.dtype.kind
    return jnp.asarray(raw, dtype=np.bool_ if kind == "b" else np.float32 if kind == "f" else np.int32)


def harmonize(values: Sequence[Any]) -> list[Any]:
    """Literals take the dtype of the first tensor among `values`."""
    like = next((v for v in values if not is_lit(v)), None)
    return [concrete(v, like) for v in values]


def _erf(x: Any) -> Any:
    return jax.scipy.special.erf(x)


def _floordiv(x: Any, y: Any) -> Any:
    """NumPy's floor_divide: a zero quotient has the sign of x / y (JAX's has +0.0
    for -0.0 // 1.0); no gradient, as JAX's."""
    q = jnp.floor_divide(x, y)
    if not jnp.issubdtype(q.dtype, jnp.floating):
        return q
    return jnp.where(q == 0, jnp.copysign(jnp.zeros_like(q), x / y), q)


def _mod(x: Any, y: Any) -> Any:
    """NumPy's mod (a zero remainder has the divisor's sign; JAX's keeps the
    dividend's), with JAX's derivative (`custom_jvp`)."""
    if not jnp.issubdtype(jnp.result_type(x, y), jnp.floating):
        return jnp.mod(x, y)
    return _numpy_mod()(x, y)


@functools.cache
def _numpy_mod() -> Any:
    """Made on first use: JAX is imported lazily."""
    @jax.custom_jvp
    def numpy_mod(a: Any, b: Any) -> Any:
        r = jnp.mod(a, b)
        return jnp.where(r == 0, jnp.copysign(jnp.zeros_like(r), b), r)

    @numpy_mod.defjvp
    def _(primals: Any, tangents: Any) -> Any:
        return numpy_mod(*primals), jax.jvp(jnp.mod, primals, tangents)[1]

    return numpy_mod


ELEMENTWISE: dict[str, Callable[..., Any]] = {
    "add": lambda x, y: jnp.add(x, y), "sub": lambda x, y: jnp.subtract(x, y),
    "mul": lambda x, y: jnp.multiply(x, y), "div": lambda x, y: jnp.true_divide(x, y),
    "pow": lambda x, y: jnp.power(x, y), "maximum": lambda x, y: jnp.maximum(x, y),
    "minimum": lambda x, y: jnp.minimum(x, y), "floordiv": lambda x, y: _floordiv(x, y),
    "mod": lambda x, y: _mod(x, y), "atan2": lambda y, x: jnp.arctan2(y, x),
    "equal": lambda x, y: jnp.equal(x, y), "not_equal": lambda x, y: jnp.not_equal(x, y),
    "less": lambda x, y: jnp.less(x, y), "less_equal": lambda x, y: jnp.less_equal(x, y),
    "greater": lambda x, y: jnp.greater(x, y), "greater_equal": lambda x, y: jnp.greater_equal(x, y),
    "logical_and": lambda x, y: jnp.logical_and(x, y), "logical_or": lambda x, y: jnp.logical_or(x, y),
    "logical_not": lambda x: jnp.logical_not(x),
    "neg": lambda x: jnp.negative(x), "abs": lambda x: jnp.abs(x), "exp": lambda x: jnp.exp(x),
    "log": lambda x: jnp.log(x), "sqrt": lambda x: jnp.sqrt(x), "rsqrt": lambda x: jax.lax.rsqrt(x),
    "tanh": lambda x: jnp.tanh(x), "sin": lambda x: jnp.sin(x), "cos": lambda x: jnp.cos(x),
    "floor": lambda x: jnp.floor(x), "ceil": lambda x: jnp.ceil(x), "sign": lambda x: jnp.sign(x),
    "erf": _erf, "sigmoid": lambda x: jax.nn.sigmoid(x), "relu": lambda x: jax.nn.relu(x),
    "log1p": lambda x: jnp.log1p(x), "expm1": lambda x: jnp.expm1(x), "tan": lambda x: jnp.tan(x),
    "atan": lambda x: jnp.arctan(x), "square": lambda x: jnp.square(x),
    "reciprocal": lambda x: jnp.reciprocal(x), "softplus": lambda x: jax.nn.softplus(x),
    "isnan": lambda x: jnp.isnan(x), "isinf": lambda x: jnp.isinf(x),
    "clip": lambda x, lo, hi: jnp.clip(x, lo, hi), "where": lambda c, x, y: jnp.where(c, x, y),
    "gelu": lambda x: jax.nn.gelu(x, approximate=True), "silu": lambda x: jax.nn.silu(x),
}
# Parameters of the composites, which the prelude (not the registry) defines: (name, kind, default).
_T, _AXIS = ("x", "tensor", REQUIRED), ("axis", "int", -1)
COMPOSITES: dict[str, tuple[tuple[str, str, Any], ...]] = {
    "softmax": (_T, _AXIS), "log_softmax": (_T, _AXIS), "logsumexp": (_T, _AXIS), "gelu": (_T,), "silu": (_T,),
    "mse": (("a", "tensor", REQUIRED), ("b", "tensor", REQUIRED)),
    "cross_entropy": (("logits", "tensor", REQUIRED), ("labels", "tensor", REQUIRED)),
    "layernorm": (_T, ("gamma", "tensor", REQUIRED), ("beta", "tensor", REQUIRED), _AXIS, ("eps", "float", 1e-5)),
    "dim": (_T, ("axis", "int", REQUIRED)),
}


def _axes(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _reduce(fn: str) -> Callable[[Args], Any]:
    def run(a: Args) -> Any:
        x = a["x"]
        kw: dict[str, Any] = {"axis": _axes(a["axis"]), "keepdims": a["keepdims"]}
        if fn in ("sum", "prod"):
            kw["dtype"] = x.dtype  # the operand's dtype, as TensorFlow and JAX (NumPy widens ints)
        return getattr(jnp, fn)(x, **kw)
    return run


def _moments(fn: str) -> Callable[[Args], Any]:
    return lambda a: getattr(jnp, fn)(a["x"], axis=_axes(a["axis"]), keepdims=a["keepdims"], ddof=a["ddof"])


def _per_axis(v: Any, n: int) -> tuple[int, ...]:
    return tuple(v) if isinstance(v, list | tuple) else (v,) * n


def _conv(n: int) -> Callable[[Args], Any]:
    def run(a: Args) -> Any:
        spatial = "HW"[:n] if n == 2 else "H"
        pads = _per_axis(a["padding"], n)
        return jax.lax.conv_general_dilated(
            a["x"], a["w"], _per_axis(a["stride"], n), [(p, p) for p in pads],
            rhs_dilation=_per_axis(a["dilation"], n), feature_group_count=a["groups"],
            dimension_numbers=("NC" + spatial, "OI" + spatial, "NC" + spatial))
    return run


def _pool(kind: str) -> Callable[[Args], Any]:
    def run(a: Args) -> Any:
        x = a["x"]
        k = _per_axis(a["kernel"], 2)
        s = _per_axis(a["stride"] if a["stride"] is not None else a["kernel"], 2)
        p = _per_axis(a["padding"], 2)
        lead = x.ndim - 2
        window, strides = (1,) * lead + k, (1,) * lead + s
        pads = ((0, 0),) * lead + tuple((q, q) for q in p)
        if kind == "max":
            return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, window, strides, pads)
        total = jax.lax.reduce_window(x, jnp.zeros((), x.dtype), jax.lax.add, window, strides, pads)
        return total / (k[0] * k[1])  # padding counts as zeros
    return run


def _index(idx: Any, n: int) -> Any:
    return jnp.where(idx < 0, idx + n, idx)


def _scatter(add: bool) -> Callable[[Args], Any]:
    def run(a: Args) -> Any:
        x, idx, upd, axis = a["x"], a["indices"], a["updates"], a["axis"] % a["x"].ndim
        xt = jnp.moveaxis(x, axis, 0)
        ut = jnp.moveaxis(upd, list(range(axis, axis + idx.ndim)), list(range(idx.ndim)))
        i = _index(idx, x.shape[axis])
        out = xt.at[i].add(ut) if add else xt.at[i].set(ut)
        return jnp.moveaxis(out, 0, axis)
    return run


def _repeat(a: Args) -> Any:
    return jnp.repeat(a["x"], a["n"], axis=a["axis"])


def _random(kind: str) -> Callable[[Args], Any]:
    def run(a: Args) -> Any:
        dtype = np.dtype(DTYPES[a["dtype"]])
        fn = philox.random_uniform if kind == "uniform" else philox.random_normal
        return jnp.asarray(fn(int(a["seed"]), tuple(a["shape"]), dtype))
    return run


def _full(a: Args) -> Any:
    if a["dtype"] is not None:
        return jnp.full(tuple(a["shape"]), a["value"], DTYPES[a["dtype"]])
    return jnp.full(tuple(a["shape"]), concrete(a["value"]))  # a literal alone: f32 or i32


def _layernorm(a: Args) -> Any:
    x, axis = a["x"], a["axis"]
    d = x - jnp.mean(x, axis=axis, keepdims=True)
    return d / jnp.sqrt(jnp.mean(d * d, axis=axis, keepdims=True) + a["eps"]) * a["gamma"] + a["beta"]


def _cross_entropy(a: Args) -> Any:
    logits, labels = a["logits"], a["labels"]
    picked = jnp.take_along_axis(logits, labels[:, None].astype(np.int64), axis=-1)[:, 0]
    return jnp.mean(jax.nn.logsumexp(logits, axis=-1) - picked)


STRUCTURAL: dict[str, Callable[[Args], Any]] = {
    **{r: _reduce(r) for r in ("sum", "mean", "max", "min", "prod", "any", "all")},
    "var": _moments("var"), "std": _moments("std"),
    "argmax": lambda a: jnp.argmax(a["x"], axis=a["axis"]).astype(np.int64),
    "argmin": lambda a: jnp.argmin(a["x"], axis=a["axis"]).astype(np.int64),
    "cast": lambda a: a["x"].astype(DTYPES[a["dtype"]]),
    "matmul": lambda a: jnp.matmul(a["x"], a["y"]),
    "transpose": lambda a: jnp.transpose(a["x"], a["perm"]),
    "reshape": lambda a: jnp.reshape(a["x"], tuple(a["shape"])),
    "broadcast_to": lambda a: jnp.broadcast_to(a["x"], tuple(a["shape"])),
    "expand_dims": lambda a: jnp.expand_dims(a["x"], a["axis"]),
    "squeeze": lambda a: jnp.squeeze(a["x"], _axes(a["axis"])),
    "concat": lambda a: jnp.concatenate(harmonize(a["tensors"]), axis=a["axis"]),
    "stack": lambda a: jnp.stack(harmonize(a["tensors"]), axis=a["axis"]),
    "zeros": lambda a: jnp.zeros(tuple(a["shape"]), DTYPES[a["dtype"]]),
    "ones": lambda a: jnp.ones(tuple(a["shape"]), DTYPES[a["dtype"]]),
    "full": _full,
    "arange": lambda a: jnp.arange(a["n"], dtype=DTYPES[a["dtype"]]),
    "leaky_relu": lambda a: jax.nn.leaky_relu(a["x"], a["alpha"]),
    "elu": lambda a: jax.nn.elu(a["x"], a["alpha"]),
    "cumsum": lambda a: jnp.cumsum(a["x"], axis=a["axis"], dtype=a["x"].dtype),
    "cumprod": lambda a: jnp.cumprod(a["x"], axis=a["axis"], dtype=a["x"].dtype),
    "tril": lambda a: jnp.tril(a["x"], a["k"]), "triu": lambda a: jnp.triu(a["x"], a["k"]),
    "flip": lambda a: jnp.flip(a["x"], _axes(a["axis"])),
    "tile": lambda a: jnp.tile(a["x"], tuple(a["reps"])), "repeat": _repeat,
    "pad": lambda a: jnp.pad(a["x"], [tuple(p) for p in a["pads"]], constant_values=a["value"]),
    "einsum": lambda a: jnp.einsum(a["equation"], *harmonize(a["operands"])),
    "conv1d": _conv(1), "conv2d": _conv(2), "max_pool2d": _pool("max"), "avg_pool2d": _pool("avg"),
    "random_uniform": _random("uniform"), "random_normal": _random("normal"),
    "take": lambda a: jnp.take(a["x"], _index(a["indices"], a["x"].shape[a["axis"]]), axis=a["axis"]),
    "take_along_axis": lambda a: jnp.take_along_axis(
        a["x"], _index(a["indices"], a["x"].shape[a["axis"]]), axis=a["axis"]),
    "scatter": _scatter(add=False), "scatter_add": _scatter(add=True),
    "one_hot": lambda a: jax.nn.one_hot(a["indices"], a["n"], dtype=DTYPES[a["dtype"]]),
    "softmax": lambda a: jax.nn.softmax(a["x"], axis=a["axis"]),
    "log_softmax": lambda a: jax.nn.log_softmax(a["x"], axis=a["axis"]),
    "logsumexp": lambda a: jax.nn.logsumexp(a["x"], axis=a["axis"]),
    "layernorm": _layernorm, "mse": lambda a: jnp.mean((a["a"] - a["b"]) ** 2),
    "cross_entropy": _cross_entropy, "dim": lambda a: int(a["x"].shape[a["axis"]]),
}
