"""The `tf` stage in tests: parse a module, run some of its passes, run a
module op by op with the eager backend (`evaluate`), inputs with the awkward
values of their dtype (`sample`), and `assert_same` (bit-exact up to NaN
payloads)."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import numpy as np
from xdsl.dialects import builtin, func
from xdsl.parser import Parser
from xdsl.printer import Printer

from tfir.backends.eager import compile_module
from tfir.dialects.dtypes import numpy_dtype_of
from tfir.pipeline import PIPELINE, make_context, pass_class


def parse(text: str) -> builtin.ModuleOp:
    module = Parser(make_context(), text).parse_module()
    module.verify()
    return module


def run_passes(module: builtin.ModuleOp, names: Sequence[str]) -> builtin.ModuleOp:
    ctx = make_context()
    for name in names:
        pass_class(name)().apply(ctx, module)
        module.verify()
    return module


GRAPH_OPTS = ("inline-calls", "canonicalize-tf", "fold-constants", "cse", "dce")


def run_stage(module: builtin.ModuleOp) -> builtin.ModuleOp:
    """The graph optimizations of the `tf` stage, in pipeline order (the stage's
    other passes, such as `expand-custom-ops`, have nothing to do on these tests'
    programs, which hold only `tf` ops)."""
    return run_passes(module, [s.pass_name for s in PIPELINE
                               if s.stage == "tf" and s.pass_name in GRAPH_OPTS])


def evaluate(module: builtin.ModuleOp, args: Sequence[np.ndarray], name: str = "main") -> list[np.ndarray]:
    """Runs `@name` op by op (calls included) with the eager backend."""
    return list(compile_module(module, name)(*args))


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    """Equal dtype, shape and bits, except that any NaN matches any NaN."""
    assert got.dtype == want.dtype and got.shape == want.shape
    if got.dtype.kind == "f":
        nan = np.isnan(want)
        assert np.array_equal(np.isnan(got), nan)
        got, want = got[~nan], want[~nan]
    assert got.tobytes() == want.tobytes(), f"{got} != {want}"


_FLOAT_SPECIALS = [0.0, -0.0, 1.0, -1.0, 2.5, -3.75, np.inf, -np.inf, np.nan, 1e-40, 1e30, 0.5]


def sample(typ: builtin.TensorType, seed: int = 0, arg: int = 0) -> np.ndarray:
    """An input with the awkward values of its dtype (signed zeros, NaN, infinities,
    extremes): seeds 0, 1, 2 of a 4-element input cover all of them between them."""
    dtype = numpy_dtype_of(typ)
    shape = tuple(typ.get_shape())
    n = math.prod(shape)
    rng = np.random.default_rng(seed * 7 + arg)
    if dtype == np.bool_:
        return rng.integers(0, 2, n).astype(bool).reshape(shape)
    if dtype.kind == "i":
        info = np.iinfo(dtype)
        pool = np.array([0, 1, -1, 2, -7, 13, info.min, info.max, 3, -2, 100, 5], dtype=dtype)
    else:
        with np.errstate(over="ignore"):  # 1e30 is inf in f16, as intended
            pool = np.array(_FLOAT_SPECIALS, dtype=dtype)
    pool = np.roll(pool, -(seed * n + 5 * arg))
    if n <= pool.size:
        return pool[:n].reshape(shape)
    filler = rng.integers(-50, 50, n - pool.size) if dtype.kind == "i" else rng.standard_normal(n - pool.size)
    return rng.permutation(np.concatenate([pool, filler.astype(dtype)])).reshape(shape)


def assert_same_results(before: builtin.ModuleOp, after: builtin.ModuleOp, seeds: int = 3) -> None:
    main = next(f for f in before.ops if isinstance(f, func.FuncOp) and f.sym_name.data == "main")
    for seed in range(seeds):
        args = [sample(t, seed, i) for i, t in enumerate(main.function_type.inputs)]
        want = evaluate(before, args)
        got = evaluate(after, args)
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert_same(g, w)


def body_ops(module: builtin.ModuleOp, name: str = "main") -> list[str]:
    f = next(f for f in module.ops if isinstance(f, func.FuncOp) and f.sym_name.data == name)
    return [op.name for op in f.body.block.ops]


def with_locations(module: builtin.ModuleOp) -> str:
    out = io.StringIO()
    Printer(stream=out, print_debuginfo=True).print_op(module)
    return out.getvalue()
