"""Every gradient rule against central finite differences in float64, on the
eager target (the reference: it runs the gradient program op by op): random
shapes drawn per seed, broadcasting operands, and points away from kinks.
Values at kinks and ties (where finite differences say nothing) are checked
exactly in test_differentiate_ties.py."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.gradcheck import GradCase, check

SEEDS = range(3)


def shape_pair(rng: np.random.Generator) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast: the second drops leading axes and has some axes of size 1."""
    rank = int(rng.integers(1, 4))
    a = tuple(int(d) for d in rng.integers(1, 4, rank))
    b = list(a[int(rng.integers(0, rank)):])
    for i in range(len(b)):
        if rng.random() < 0.4:
            b[i] = 1
    if rng.random() < 0.5:
        return a, tuple(b)
    return tuple(b), a


def normal(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    return np.asarray(rng.normal(size=shape) * scale, np.float64)


def positive(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return np.asarray(rng.uniform(0.5, 2.0, size=shape), np.float64)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    x = rng.uniform(0.2, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return np.asarray(x, np.float64)


UNARY = {
    "neg(x)": normal, "abs(x)": away_from_zero, "exp(x)": normal, "log(x)": positive,
    "sqrt(x)": positive, "rsqrt(x)": positive, "tanh(x)": normal, "sin(x)": normal,
    "cos(x)": normal, "erf(x)": normal, "sigmoid(x)": normal, "relu(x)": away_from_zero,
    "-x": normal, "floor(x) * x": away_from_zero, "sign(x) * x": away_from_zero,
    "ceil(x) + x": away_from_zero, "cast(cast(x, f32), f64) * x": normal,
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("expr", list(UNARY))
def test_unary(expr: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in rng.integers(1, 5, int(rng.integers(0, 3))))
    if "f32" in expr:  # through float32: steps of 1e-3 are far above its rounding
        check(GradCase(expr, {"x": UNARY[expr](rng, shape)}, rtol=1e-3, atol=1e-5, eps=1e-3))
    else:
        check(GradCase(expr, {"x": UNARY[expr](rng, shape)}))


BINARY = {
    "x + y": (normal, normal), "x - y": (normal, normal), "x * y": (normal, normal),
    "x / y": (normal, away_from_zero), "x ** y": (positive, normal), "x ** 2.0": (normal, normal),
    "maximum(x, y)": (normal, normal), "minimum(x, y)": (normal, normal),
    "mod(x, y)": (normal, positive), "where(x > y, x * y, x - y)": (normal, normal),
    "x * x * y": (normal, normal), "x / (y * y + 1.0)": (normal, normal),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("expr", list(BINARY))
def test_binary_broadcasting(expr: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sa, sb = shape_pair(rng)
    make_x, make_y = BINARY[expr]
    x, y = make_x(rng, sa), make_y(rng, sb)
    if expr.startswith("mod"):  # away from the jumps of mod
        x = np.floor(x) + rng.uniform(0.2, 0.8, size=sa)
        y = np.ones(sb)
    check(GradCase(expr, {"x": x, "y": y}))


@pytest.mark.parametrize("seed", SEEDS)
def test_where_broadcasts_all_three(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sa, sb = shape_pair(rng)
    c = rng.random(sa) > 0.5
    check(GradCase("where(c, x, y)", {"c": c, "x": normal(rng, sb), "y": normal(rng, sa[-1:])},
                   wrt=["x", "y"]))


REDUCTIONS = ["sum", "mean", "max", "min", "prod"]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction(name: str, keepdims: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    rank = int(rng.integers(1, 4))
    shape = tuple(int(d) for d in rng.integers(2, 4, rank))
    axes = sorted(int(a) for a in rng.choice(rank, size=int(rng.integers(1, rank + 1)), replace=False))
    axis = str(axes[0] - rank) if len(axes) == 1 else str(axes)
    x = rng.permutation(np.linspace(-2.0, 2.0, int(np.prod(shape)))).reshape(shape)  # no ties
    keep = "true" if keepdims else "false"
    check(GradCase(f"{name}(x, axis={axis}, keepdims={keep})", {"x": x}))
    check(GradCase(f"{name}(x)", {"x": x}))


def test_prod_through_zeros() -> None:
    """prod is smooth at zeros: one zero in a row, two zeros, none."""
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5], [1.0, -2.0, 0.5]])
    check(GradCase("prod(x, axis=1)", {"x": x}))
    check(GradCase("prod(x, axis=0) * 2.0", {"x": x}))


MATMUL_SHAPES = [((4,), (4,)), ((4,), (4, 3)), ((2, 4), (4,)), ((2, 4), (4, 3)), ((5, 2, 4), (4, 3)),
                 ((2, 4), (5, 4, 3)), ((5, 2, 4), (5, 4, 3)), ((1, 2, 4), (3, 4, 2)), ((3, 1, 2, 4), (2, 4, 3)),
                 ((4,), (2, 4, 3)), ((2, 3, 4), (4,))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    rng = np.random.default_rng(len(sa) * 10 + len(sb))
    check(GradCase("x @ y", {"x": normal(rng, sa), "y": normal(rng, sb)}))


SHAPE_EXPRS = {
    "transpose(x)": (2, 3, 4), "transpose(x, perm=[1, 2, 0])": (2, 3, 4), "reshape(x, [4, -1])": (2, 3, 4),
    "broadcast_to(x, [2, 3, 4])": (3, 1), "expand_dims(x, 1)": (3, 4), "squeeze(x, 1)": (3, 1, 4),
    "concat([x, x * 2.0, y], axis=1)": (3, 2), "stack([x, y], axis=0)": (3, 2),
    "x[1:3]": (5, 2), "x[::2, 1]": (5, 3), "x[::-1]": (4, 3), "x[4:0:-2, ::-1]": (6, 3),
    "x[-1]": (3, 4), "x[1:, :2] * x[:2, 1:]": (3, 3), "x[1:4:3]": (7,),
    "sigmoid(x[:, 0:2]) * tanh(x[:, 2:4]) + x[:, 6:8]": (3, 8),
}


@pytest.mark.parametrize("expr", list(SHAPE_EXPRS))
def test_shape_ops(expr: str) -> None:
    rng = np.random.default_rng(7)
    shape = SHAPE_EXPRS[expr]
    inputs = {"x": normal(rng, shape)}
    if "y" in expr:
        inputs["y"] = normal(rng, shape)
    check(GradCase(expr, inputs))


COMPOSITES = {
    "softmax(x, axis=-1)": (3, 5), "softmax(x, axis=0)": (3, 5), "log_softmax(x)": (4, 6),
    "logsumexp(x, 1)": (3, 4), "layernorm(x, y, y * 0.5)": (3, 4), "gelu(x)": (7,), "silu(x)": (2, 3),
    "mse(x, y)": (5,),
}


@pytest.mark.parametrize("expr", list(COMPOSITES))
def test_prelude_composites(expr: str) -> None:
    rng = np.random.default_rng(11)
    shape = COMPOSITES[expr]
    inputs = {"x": normal(rng, shape)}
    if "y" in expr:
        inputs["y"] = normal(rng, shape if expr.startswith("mse") else shape[-1:])
    check(GradCase(expr, inputs))


SECOND_ORDER = {
    "tanh(x) * sin(y)": ((3,), (3,)), "exp(x) / (1.0 + y * y)": ((2, 3), (3,)), "x ** 3.0 + sqrt(y * y + 1.0)": ((4,), (4,)),
    "sigmoid(x) * log(1.0 + y * y)": ((3,), (1,)), "sum(x * x, axis=1) + mean(y)": ((2, 3), (2,)),
    "max(x * y, axis=0)": ((3, 2), (3, 2)), "prod(x, axis=0) + min(y)": ((3, 2), (4,)),
    "tanh(x @ y)": ((2, 3), (3, 4)), "(x @ y) * (x @ y)": ((3,), (3, 2)), "softmax(x @ y)": ((2, 3), (3, 4)),
    "transpose(x) @ x + y": ((3, 2), (2,)), "maximum(x, y) * x": ((4,), (4,)),
}


@pytest.mark.parametrize("expr", list(SECOND_ORDER))
def test_second_order(expr: str) -> None:
    rng = np.random.default_rng(5)
    sa, sb = SECOND_ORDER[expr]
    x, y = normal(rng, sa), normal(rng, sb)
    check(GradCase(expr, {"x": x, "y": y}, order=2, rtol=1e-5, atol=1e-7))


def test_gradients_of_disjoint_slices_are_joined() -> None:
    """The gradients of the gates of one matrix (slices along an axis that do
    not overlap) are one concat of the pieces, not a sum of zero-padded copies."""
    from tfir.frontend.driver import build_entry, load_and_check
    from tfir.pipeline import run_pipeline

    src = """fn f(z: f32[4, 12]) -> f32[4, 12] {
    let g = gradients(sum(sigmoid(z[:, 0:3]) * tanh(z[:, 3:6]) + sigmoid(z[:, 9:12])), [z]);
    return g;
}"""
    from tfir.dialects.registry import TType
    module = build_entry(load_and_check(src, "<gates>"), "f", {"z": TType("f32", (4, 12))}, {})
    run_pipeline(module, "eager")
    text = str(module)
    assert text.count("tf.concat") == 1
    assert not [row for row in text.splitlines() if "tf.add" in row and "4x12" in row]
