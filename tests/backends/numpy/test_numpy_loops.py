"""The NumPy code of loops and branches: real Python loops (never unrolled:
100,000 iterations are the code of 10), `while True` / `if not cond: break`,
`if` / `else`, readable with `# file.tf:LINE` comments, scratch buffers
allocated before a loop, and index checks raising tfir.ExecutionError."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tfir
from tfir.backends.registry import BACKENDS
from tfir.dialects.registry import TType
from tfir.frontend.driver import build_entry
from tfir.pipeline import run_pipeline

LONG = """fn main(x: f32[4]) -> (f32[4], i32) {
    let acc = zeros([4]);
    let n = full([], 0);
    for i in range(TRIPS) {
        let acc = acc * 0.999 + x;
        let n = n + 1;
    }
    return acc, n;
}
"""


def numpy_source(source: str, **types: tuple[str, tuple[int, ...]]) -> str:
    prog = tfir.compile_source(source, filename="prog.tf", target="eager")
    module = build_entry(prog.frontend, prog.entries[-1], {k: TType(*v) for k, v in types.items()}, {})
    run_pipeline(module, "numpy")
    return BACKENDS["numpy"].generate(module, prog.entries[-1], prog.source_line)


def test_a_long_loop_is_the_code_of_a_short_one() -> None:
    short = numpy_source(LONG.replace("TRIPS", "10"), x=("f32", (4,)))
    long = numpy_source(LONG.replace("TRIPS", "100000"), x=("f32", (4,)))
    assert len(long.splitlines()) == len(short.splitlines())
    assert re.sub(r"\d+", "N", long) == re.sub(r"\d+", "N", short)
    assert "for i in range(100000):" in long
    got = tfir.compile_source(LONG.replace("TRIPS", "100000"), target="numpy").main(np.ones(4, np.float32))
    assert int(got[1]) == 100000


def test_loop_body_code_reads_like_hand_written_code() -> None:
    code = numpy_source(LONG.replace("TRIPS", "10"), x=("f32", (4,)))
    body = code[code.index("for i in range(10):"):]
    assert "# prog.tf:5  let acc = acc * 0.999 + x;" in body
    assert "np.empty" not in body  # scratch buffers come before the loop
    assert "np.copyto" not in body  # the carried values are updated in place


def test_while_and_if_are_python_control_flow() -> None:
    code = numpy_source("""fn main(x: f32[3]) -> f32[3] {
    let y = x;
    while max(y) > 1.0 {
        let y = y * 0.5;
    }
    if sum(y) > 0.0 {
        let y = -y;
    } else {
        let y = y + 1.0;
    }
    return y;
}
""", x=("f32", (3,)))
    assert "while True:" in code and "break" in code
    assert re.search(r"^\s+if \w+:$", code, re.M) and re.search(r"^\s+else:$", code, re.M)
    compile(code, "generated.py", "exec")


def test_an_index_check_raises_with_the_place_index_and_size() -> None:
    prog = tfir.compile_source("fn main(x: f32[5], i: i32[2]) -> f32[2] {\n    return x[i];\n}\n",
                               filename="prog.tf", target="numpy")
    with pytest.raises(tfir.ExecutionError, match=r"prog\.tf:2:14: error: .*index 9 .*size 5"):
        prog.main(np.zeros(5, np.float32), np.array([0, 9], np.int32))
    np.testing.assert_array_equal(prog.main(np.arange(5, dtype=np.float32), np.array([-1, 2], np.int32)),
                                  [4, 2])


def test_the_language_doc_examples_run() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "docs" / "language.md").read_text()
    blocks = re.findall(r"```\n(fn .*?)```", text, re.S)
    assert len(blocks) >= 3
    rng = np.random.default_rng(0)
    arrays = {
        "heads": {"x": rng.standard_normal((2, 3, 8)), "w": rng.standard_normal((8, 32))},
        "scan": {"xs": rng.standard_normal((5, 4)), "h0": rng.standard_normal(4)},
        "lookup": {"table": rng.standard_normal((7, 4)), "ids": np.array([[0, 1, -1, 2, 3], [1, 1, 2, 2, 6]]),
                   "x": rng.standard_normal((4, 6)), "cols": np.array([0, -1, 2]), "k": np.array(2)},
    }
    for block in blocks:
        name = re.match(r"fn (\w+)", block).group(1)
        args = {k: v.astype(np.int32 if v.dtype.kind == "i" else np.float32) for k, v in arrays[name].items()}
        got = [tfir.compile_source(block, f"{name}.tf", target=t)[name](**args) for t in ("eager", "numpy")]
        for a, b in zip(*(g if isinstance(g, tuple) else (g,) for g in got), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
