"""Names of `.tf` programs that Python or the generated module needs (issue
13): Python keywords, `np`, names like `x_1` beside a second `x`; the entry
function's own name included."""

from __future__ import annotations

import keyword

import numpy as np
import pytest

import tfir
from tfir.backends.common.emitter import PyEmitter, entry_def_name


@pytest.mark.parametrize("target", ["numpy", "triton"])
@pytest.mark.parametrize("name", ["lambda", "class", "np", "def", "range", "main", "base64", "x_2", "tl", "kernel_3"])
def test_entries_and_parameters_may_have_any_name(name: str, target: str) -> None:
    if target == "triton":
        pytest.importorskip("triton")
        from tfir.inspect.trace import generate_code, trace

        prog = tfir.compile_source(f"fn {name}({name}: f32[3], x: f32[3], x_1: f32[3]) -> f32[3] {{\n"
                                   f"    let x = x * {name};\n    return x - x_1;\n}}\n", "n.tf", target="numpy")
        compile(generate_code(trace(prog, name, "triton")), "gen.py", "exec")  # valid Python
        return
    prog = tfir.compile_source(f"fn {name}({name}: f32[3], x: f32[3], x_1: f32[3]) -> f32[3] {{\n"
                               f"    let x = x * {name};\n    return x - x_1;\n}}\n", "n.tf", target=target,
                               cache=False)
    a, b, c = (np.arange(3, dtype=np.float32) + i for i in range(3))
    np.testing.assert_array_equal(prog[name](a, b, c), b * a - c)
    np.testing.assert_array_equal(prog[name](**{name: a, "x": b, "x_1": c}), b * a - c)


def test_fresh_names_never_collide() -> None:
    em = PyEmitter()
    names = [em.fresh(n) for n in ["x", "x_1", "x", "x", "x_2", "lambda", "lambda_"]]
    assert len(set(names)) == len(names)
    assert not any(keyword.iskeyword(n) for n in names)


def test_entry_def_names() -> None:
    assert entry_def_name("lambda", ()) == "lambda_"
    assert entry_def_name("np", ()) == "np_"
    assert entry_def_name("range", ("range",)) == "range_"
    assert entry_def_name("kernel_3", ()) == "kernel_3_"  # never a kernel's form
