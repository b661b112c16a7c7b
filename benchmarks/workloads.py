"""The benchmark workloads: a `.tf` program each, its sizes, seeded inputs and
the same computation written by hand in NumPy (as a user would, and tuned),
with numexpr and `jax.jit` versions where those libraries apply.

Every function here takes the inputs positionally, in the order of the `.tf`
entry's parameters, and returns one array.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from make_ops100 import BLOCKS

PROGRAMS = Path(__file__).parent / "programs"
F32 = np.float32

Inputs = dict[str, np.ndarray]
Factory = Callable[[Any], Callable[..., Any]]  # library module -> function


@dataclass(frozen=True)
class Workload:
    name: str
    program: str  # file in programs/
    description: str
    full: dict[str, int]  # symbolic dimension sizes
    quick: dict[str, int]
    inputs: Callable[[dict[str, int], np.random.Generator], Inputs]
    hand: Callable[..., np.ndarray]
    tuned: Callable[..., np.ndarray] | None = None
    numexpr: Factory | None = None
    jax: Factory | None = None
    rtol: float = 1e-4
    atol: float = 1e-5
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return PROGRAMS / self.program

    def sizes(self, quick: bool) -> dict[str, int]:
        return self.quick if quick else self.full


def _normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape, dtype=F32) * F32(scale)).astype(F32)


# -- elementwise chain: tanh(a*b + c) * sigmoid(a) - exp(-b*b) ----------------------

def _chain_inputs(d: dict[str, int], rng: np.random.Generator) -> Inputs:
    return {k: _normal(rng, d["N"]) for k in "abc"}


def chain_hand(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.tanh(a * b + c) * (1 / (1 + np.exp(-a))) - np.exp(-b * b)


def chain_tuned(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    t = np.multiply(a, b)
    t += c
    np.tanh(t, out=t)
    s = np.negative(a)
    np.exp(s, out=s)
    s += 1
    t /= s
    u = np.multiply(b, b)
    np.negative(u, out=u)
    np.exp(u, out=u)
    t -= u
    return t


def chain_ne(ne: Any) -> Callable[..., Any]:
    expr = "tanh(a * b + c) * (1 / (1 + exp(-a))) - exp(-b * b)"
    return lambda a, b, c: ne.evaluate(expr, local_dict={"a": a, "b": b, "c": c})


def chain_jax(jax: Any) -> Callable[..., Any]:
    jnp = jax.numpy
    return lambda a, b, c: jnp.tanh(a * b + c) * jax.nn.sigmoid(a) - jnp.exp(-b * b)


# -- softmax and layernorm over the last axis ---------------------------------------

def _rows_inputs(d: dict[str, int], rng: np.random.Generator) -> Inputs:
    return {"x": _normal(rng, d["M"], d["K"], scale=3.0)}


def softmax_hand(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_tuned(x: np.ndarray) -> np.ndarray:
    e = np.subtract(x, x.max(axis=-1, keepdims=True))
    np.exp(e, out=e)
    e /= e.sum(axis=-1, keepdims=True)
    return e


def softmax_ne(ne: Any) -> Callable[..., Any]:
    def run(x: np.ndarray) -> np.ndarray:
        e = ne.evaluate("exp(x - m)", local_dict={"x": x, "m": x.max(axis=-1, keepdims=True)})
        return ne.evaluate("e / s", local_dict={"e": e, "s": e.sum(axis=-1, keepdims=True)})
    return run


def softmax_jax(jax: Any) -> Callable[..., Any]:
    return lambda x: jax.nn.softmax(x, axis=-1)


def _layernorm_inputs(d: dict[str, int], rng: np.random.Generator) -> Inputs:
    return {"x": _normal(rng, d["M"], d["K"], scale=2.0) + F32(0.5),
            "gamma": _normal(rng, d["K"]), "beta": _normal(rng, d["K"])}


def layernorm_hand(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    d = x - x.mean(axis=-1, keepdims=True)
    var = (d * d).mean(axis=-1, keepdims=True)
    return d / np.sqrt(var + 1e-5) * gamma + beta


def layernorm_tuned(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    d = np.subtract(x, x.mean(axis=-1, keepdims=True))
    sq = np.multiply(d, d)
    inv = sq.mean(axis=-1, keepdims=True)
    inv += 1e-5
    np.sqrt(inv, out=inv)
    d /= inv
    d *= gamma
    d += beta
    return d


def layernorm_ne(ne: Any) -> Callable[..., Any]:
    def run(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
        d = ne.evaluate("x - mu", local_dict={"x": x, "mu": x.mean(axis=-1, keepdims=True)})
        var = ne.evaluate("d * d", local_dict={"d": d}).mean(axis=-1, keepdims=True)
        # eps as a float32 scalar: a Python float would make numexpr compute in float64.
        return ne.evaluate("d / sqrt(var + eps) * gamma + beta",
                           local_dict={"d": d, "var": var, "eps": F32(1e-5), "gamma": gamma, "beta": beta})
    return run


def layernorm_jax(jax: Any) -> Callable[..., Any]:
    jnp = jax.numpy

    def run(x: Any, gamma: Any, beta: Any) -> Any:
        d = x - jnp.mean(x, axis=-1, keepdims=True)
        var = jnp.mean(d * d, axis=-1, keepdims=True)
        return d / jnp.sqrt(var + 1e-5) * gamma + beta
    return run


# -- sum(x*x, axis=0) ---------------------------------------------------------------

def sumsq_hand(x: np.ndarray) -> np.ndarray:
    return (x * x).sum(axis=0)


def sumsq_tuned(x: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->j", x, x)


def sumsq_ne(ne: Any) -> Callable[..., Any]:
    return lambda x: ne.evaluate("sum(x * x, axis=0)", local_dict={"x": x})


def sumsq_jax(jax: Any) -> Callable[..., Any]:
    return lambda x: (x * x).sum(axis=0)


# -- MLP: relu(x @ w1 + b1) @ w2 + b2 -----------------------------------------------

def _mlp_inputs(d: dict[str, int], rng: np.random.Generator) -> Inputs:
    b, dd, h = d["B"], d["D"], d["H"]
    return {"x": _normal(rng, b, dd), "w1": _normal(rng, dd, h, scale=dd ** -0.5),
            "b1": _normal(rng, h, scale=0.1), "w2": _normal(rng, h, dd, scale=h ** -0.5),
            "b2": _normal(rng, dd, scale=0.1)}


def mlp_hand(x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    return np.maximum(x @ w1 + b1, 0) @ w2 + b2


def mlp_tuned(x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    h = x @ w1
    h += b1
    np.maximum(h, 0, out=h)
    out = h @ w2
    out += b2
    return out


def mlp_jax(jax: Any) -> Callable[..., Any]:
    return lambda x, w1, b1, w2, b2: jax.nn.relu(x @ w1 + b1) @ w2 + b2


# -- attention: softmax(q @ k^T / sqrt(64)) @ v -------------------------------------

def _attention_inputs(d: dict[str, int], rng: np.random.Generator) -> Inputs:
    return {k: _normal(rng, d["H"], d["T"], d["D"]) for k in "qkv"}


def attention_hand(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    s = q @ k.transpose(0, 2, 1) * 0.125
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) @ v


def attention_tuned(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    s = np.matmul(q * F32(0.125), k.transpose(0, 2, 1))
    s -= s.max(axis=-1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=-1, keepdims=True)
    return s @ v


def attention_jax(jax: Any) -> Callable[..., Any]:
    jnp = jax.numpy
    return lambda q, k, v: jax.nn.softmax(q @ jnp.transpose(k, (0, 2, 1)) * 0.125, axis=-1) @ v


# -- the redundant graph of conformance/programs/redundancy.tf ----------------------

def _pair_inputs(d: dict[str, int], rng: np.random.Generator) -> Inputs:
    return {"a": _normal(rng, d["N"]), "b": _normal(rng, d["N"])}


def redundancy_hand(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    c = (2.0 * 3.0) * a
    u = np.tanh(a * b + 1.0)
    v = np.tanh(a * b + 1.0)
    w = np.tanh(a * b + 1.0) * 1.0 + 0.0
    dead = np.exp(a) * 100.0  # noqa: F841 - the program computes it too
    return (u + v + w) * c - b.T.T


def redundancy_tuned(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    t = np.multiply(a, b)
    t += 1.0
    np.tanh(t, out=t)
    t *= 3.0
    t *= 6.0 * a
    t -= b
    return t


def redundancy_ne(ne: Any) -> Callable[..., Any]:
    # Integer literals: numexpr computes float32 with float literals in float64.
    expr = "(tanh(a * b + 1) + tanh(a * b + 1) + (tanh(a * b + 1) * 1 + 0)) * ((2 * 3) * a) - b"
    return lambda a, b: ne.evaluate(expr, local_dict={"a": a, "b": b})


def redundancy_jax(jax: Any) -> Callable[..., Any]:
    jnp = jax.numpy

    def run(a: Any, b: Any) -> Any:
        c = (2.0 * 3.0) * a
        u = jnp.tanh(a * b + 1.0)
        v = jnp.tanh(a * b + 1.0)
        w = jnp.tanh(a * b + 1.0) * 1.0 + 0.0
        _dead = jnp.exp(a) * 100.0
        return (u + v + w) * c - b.T.T
    return run


# -- the 100-op program (compile time) ----------------------------------------------

def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


_UNARY = {"tanh": np.tanh, "sin": np.sin, "cos": np.cos, "sigmoid": _sigmoid}


def _ops100_inputs(d: dict[str, int], rng: np.random.Generator) -> Inputs:
    return {"x": _normal(rng, d["N"]), "y": _normal(rng, d["N"], scale=0.5)}


def ops100_hand(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    t, u = x, y
    for unary, const in BLOCKS:
        t = _UNARY[unary](t * y + const)
        u = u * 0.5 + t
    return u


def ops100_tuned(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    t = x.copy()
    u = y.copy()
    for unary, const in BLOCKS:
        t *= y
        t += const
        if unary == "sigmoid":
            np.negative(t, out=t)
            np.exp(t, out=t)
            t += 1
            np.reciprocal(t, out=t)
        else:
            _UNARY[unary](t, out=t)
        u *= 0.5
        u += t
    return u


def ops100_jax(jax: Any) -> Callable[..., Any]:
    jnp = jax.numpy
    fns = {"tanh": jnp.tanh, "sin": jnp.sin, "cos": jnp.cos, "sigmoid": jax.nn.sigmoid}

    def run(x: Any, y: Any) -> Any:
        t, u = x, y
        for unary, const in BLOCKS:
            t = fns[unary](t * y + const)
            u = u * 0.5 + t
        return u
    return run


# -- conv2d: 3x3, stride 1, padding 1, NCHW ------------------------------------------

def _conv_inputs(d: dict[str, int], rng: np.random.Generator) -> Inputs:
    return {"x": _normal(rng, d["N"], d["C"], d["H"], d["W"]),
            "w": _normal(rng, d["O"], d["C"], 3, 3, scale=0.1)}


def conv2d_hand(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """im2col with sliding_window_view, one matmul, as a NumPy user writes it."""
    n, c, h, wd = x.shape
    o = w.shape[0]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))  # N, C, H, W, 3, 3
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * wd, c * 9)
    return (cols @ w.reshape(o, c * 9).T).reshape(n, h, wd, o).transpose(0, 3, 1, 2)


def conv2d_tuned(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Columns laid out [C*9, N*H*W] (each shifted view copied once, channels
    first): one GEMM with few rows and many columns, then the product moved to NCHW."""
    n, c, h, wd = x.shape
    o = w.shape[0]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.empty((c, 9, n, h, wd), F32)
    for a in range(3):
        for b in range(3):
            cols[:, 3 * a + b] = xp[:, :, a:a + h, b:b + wd].transpose(1, 0, 2, 3)
    out = w.reshape(o, c * 9) @ cols.reshape(c * 9, n * h * wd)
    return np.ascontiguousarray(out.reshape(o, n, h, wd).transpose(1, 0, 2, 3))
# -- loops (v2): an RNN over a sequence, a tiny loop body, five nested loops ------------

def _rnn_inputs(d: dict[str, int], rng: np.random.Generator) -> Inputs:
    T, B, D, H = d["T"], d["B"], d["D"], d["H"]
    return {"xs": _normal(rng, T, B, D), "h0": _normal(rng, B, H, scale=0.1),
            "w": _normal(rng, D, H, scale=D ** -0.5), "u": _normal(rng, H, H, scale=0.5 * H ** -0.5),
            "b": _normal(rng, H, scale=0.1)}


def rnn_hand(xs: np.ndarray, h0: np.ndarray, w: np.ndarray, u: np.ndarray, b: np.ndarray) -> np.ndarray:
    hs = np.zeros((len(xs),) + h0.shape, F32)
    h = h0
    for t in range(len(xs)):
        h = np.tanh(xs[t] @ w + h @ u + b)
        hs[t] = h
    return hs


def rnn_tuned(xs: np.ndarray, h0: np.ndarray, w: np.ndarray, u: np.ndarray, b: np.ndarray) -> np.ndarray:
    hs = np.empty((len(xs),) + h0.shape, F32)
    xw = (xs.reshape(-1, xs.shape[-1]) @ w).reshape(hs.shape)  # all steps' inputs in one matmul
    xw += b
    h = h0
    for t in range(len(xs)):
        np.matmul(h, u, out=hs[t])
        hs[t] += xw[t]
        np.tanh(hs[t], out=hs[t])
        h = hs[t]
    return hs


def _loop_inputs(d: dict[str, int], rng: np.random.Generator) -> Inputs:
    return {"x": _normal(rng, 4), "steps": np.zeros(d["L"], np.int32)}


def loop_hand(x: np.ndarray, steps: np.ndarray) -> np.ndarray:
    acc = np.zeros(4, F32)
    c = F32(0.999)
    for _ in range(len(steps)):
        acc = acc * c + x
    return acc


def loop_tuned(x: np.ndarray, steps: np.ndarray) -> np.ndarray:
    acc = np.zeros(4, F32)
    c = F32(0.999)
    for _ in range(len(steps)):
        np.multiply(acc, c, out=acc)
        np.add(acc, x, out=acc)
    return acc


def nested_hand(x: np.ndarray) -> np.ndarray:
    acc = np.zeros_like(x)
    for a in range(3):
        for b in range(3):
            for c in range(3):
                for d in range(3):
                    for e in range(3):
                        acc = acc * F32(0.5) + x * F32(a + b + c + d + e)
    return acc


def _chain(name: str, n: int, quick_n: int) -> Workload:
    return Workload(name, "chain.tf", f"tanh(a*b + c) * sigmoid(a) - exp(-b*b), N={n:.0e}",
                    {"N": n}, {"N": quick_n}, _chain_inputs, chain_hand, chain_tuned,
                    chain_ne, chain_jax)


WORKLOADS: list[Workload] = [
    _chain("chain-1e6", 10**6, 10**4),
    _chain("chain-1e7", 10**7, 10**5),
    Workload("softmax", "softmax.tf", "softmax over the last axis of M x K",
             {"M": 4096, "K": 1024}, {"M": 64, "K": 128}, _rows_inputs,
             softmax_hand, softmax_tuned, softmax_ne, softmax_jax, rtol=1e-4, atol=1e-7),
    Workload("layernorm", "layernorm.tf", "layernorm over the last axis of M x K",
             {"M": 4096, "K": 1024}, {"M": 64, "K": 128}, _layernorm_inputs,
             layernorm_hand, layernorm_tuned, layernorm_ne, layernorm_jax, rtol=1e-4, atol=1e-4),
    Workload("sumsq", "sumsq.tf", "sum(x*x, axis=0) of M x K",
             {"M": 4096, "K": 4096}, {"M": 128, "K": 128}, _rows_inputs,
             sumsq_hand, sumsq_tuned, sumsq_ne, sumsq_jax, rtol=1e-4, atol=1e-3),
    Workload("mlp", "mlp.tf", "relu(x@w1 + b1)@w2 + b2, x B x D, w1 D x H",
             {"B": 256, "D": 1024, "H": 4096}, {"B": 16, "D": 64, "H": 256}, _mlp_inputs,
             mlp_hand, mlp_tuned, None, mlp_jax, rtol=1e-3, atol=1e-4),
    Workload("attention", "attention.tf", "softmax(q@k^T/8)@v, q, k, v H x T x D",
             {"H": 8, "T": 512, "D": 64}, {"H": 2, "T": 32, "D": 64}, _attention_inputs,
             attention_hand, attention_tuned, None, attention_jax, rtol=1e-3, atol=1e-5),
    Workload("redundancy", "redundancy.tf", "conformance redundancy.tf graph, N",
             {"N": 10**6}, {"N": 10**4}, _pair_inputs,
             redundancy_hand, redundancy_tuned, redundancy_ne, redundancy_jax),
    Workload("ops100", "ops100.tf", "100 elementwise ops (compile time), N",
             {"N": 10**5}, {"N": 10**3}, _ops100_inputs,
             ops100_hand, ops100_tuned, None, ops100_jax),
    Workload("conv2d", "conv2d.tf", "conv2d 3x3, padding 1, x N x C x H x W, O filters",
             {"N": 32, "C": 64, "H": 56, "W": 56, "O": 64}, {"N": 2, "C": 8, "H": 12, "W": 12, "O": 8},
             _conv_inputs, conv2d_hand, conv2d_tuned, None, None, rtol=1e-3, atol=1e-3),
    Workload("rnn", "rnn.tf", "Elman RNN over T steps, xs T x B x D, h B x H",
             {"T": 256, "B": 64, "D": 128, "H": 256}, {"T": 16, "B": 4, "D": 8, "H": 16}, _rnn_inputs,
             rnn_hand, rnn_tuned, rtol=1e-3, atol=1e-4),
    Workload("loop-tiny", "loop_tiny.tf", "L iterations of acc = acc * 0.999 + x (4 elements)",
             {"L": 10_000}, {"L": 200}, _loop_inputs, loop_hand, loop_tuned,
             rtol=1e-3, atol=1e-4, extra={"iterations": "L"}),
    Workload("nested5", "nested5.tf", "five nested loops of 3 (compile time), N",
             {"N": 16}, {"N": 16}, lambda d, rng: {"x": _normal(rng, d["N"])}, nested_hand,
             extra={"compile_time": True}),
]

# The program whose cached calls measure the per-call overhead (5 ops, 16 elements).
TINY = Workload("tiny", "tiny.tf", "tanh(a*b + 1) * a - b, N=16", {"N": 16}, {"N": 16},
                _pair_inputs, lambda a, b: np.tanh(a * b + 1.0) * a - b)


def by_name() -> dict[str, Workload]:
    return {w.name: w for w in WORKLOADS}
