"""The one classifier of linalg ops (lowering/utils/linalg_ops.py) on the
forms convert-tf-to-linalg and fuse-elementwise produce."""

from __future__ import annotations

import math

import pytest
from xdsl.dialects.builtin import Float32Type, IntegerType, i1

from tfir.api import compile_source
from tfir.lowering.utils.linalg_ops import (
    arg_reduction,
    contraction,
    identity,
    is_contraction,
    is_elementwise,
    reduction,
)
from tfir.pipeline import run_pipeline


def linalg_ops(source: str) -> list:
    fn = compile_source(source, target="eager")["main"]
    module = fn.compile(*_signature(fn))  # the tf IR of the one signature
    run_pipeline(module.tf_module, "numpy", stop_after="fuse-elementwise")
    return [op for op in module.tf_module.walk() if op.name.startswith("linalg.") and op.regions]


def _signature(fn):
    from tfir.inspect.trace import signature
    types, statics, _ = signature(fn.fn, None, None)
    return types, statics


def test_elementwise_reduction_and_their_combiners() -> None:
    ops = linalg_ops("fn main(x: f32[4, 6]) -> f32[4] { return sum(exp(x), axis=1); }")
    (op,) = [o for o in ops if o.name == "linalg.generic"]
    red = reduction(op)
    assert red is not None and red.kinds == ("sum",) and red.reduced == (1,)
    assert red.values[0].owner.name == "math.exp" and red.product is None
    assert not is_elementwise(op) and not is_contraction(op)
    ops = linalg_ops("fn main(x: f32[4, 6]) -> f32[4, 6] { return exp(x) + 1.0; }")
    assert all(is_elementwise(o) and reduction(o) is None for o in ops if o.name == "linalg.generic")


def test_argmax_with_its_nan_guard() -> None:
    ops = linalg_ops("fn main(x: f32[4, 6]) -> i64[4] { return argmax(x, axis=1); }")
    (op,) = [o for o in ops if o.name == "linalg.generic"]
    arg = arg_reduction(op)
    assert arg is not None and (arg.kind, arg.axis) == ("argmax", 1)
    assert len(arg.machinery) == 7 and reduction(op) is None  # 2 selects, and, ord, cmp, index_cast, index


def test_contractions_and_sums_of_squares() -> None:
    ops = linalg_ops("fn main(a: f32[2, 3, 4], b: f32[2, 4, 5]) -> f32[2, 3, 5] { return a @ b; }")
    (op,) = [o for o in ops if o.name == "linalg.generic"]
    found = contraction(op)
    assert found is not None and found.direct and is_contraction(op)
    ops = linalg_ops("fn main(x: f32[4, 6]) -> f32[4] { return sum(x * x, axis=1); }")
    (op,) = [o for o in ops if o.name == "linalg.generic"]
    assert reduction(op).product is not None and contraction(op) is None  # same dims: no BLAS work
    ops = linalg_ops("fn main(a: f32[3, 4], b: f32[4, 5]) -> f32[3, 5] { return a @ b; }")
    assert any(o.name == "linalg.matmul" and is_contraction(o) for o in ops)


@pytest.mark.parametrize("kind, elem, want", [
    ("sum", Float32Type(), 0), ("prod", IntegerType(32), 1), ("max", Float32Type(), -math.inf),
    ("min", IntegerType(8), 127), ("max", IntegerType(64), -(1 << 63)), ("argmax", i1, 0),
    ("argmin", i1, 1), ("and", IntegerType(32), -1), ("and", i1, 1), ("minnum", Float32Type(), math.inf),
])
def test_identities(kind, elem, want) -> None:
    assert identity(kind, elem) == want
