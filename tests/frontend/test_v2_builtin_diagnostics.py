"""Diagnostics of the builtins of language version 2: bad arguments are
`file:line:col: error:` at the argument (or callee) the spec names, with a
message that says what is wrong (wrong rank, bad axis, groups not dividing
the channels, the bad letter of an einsum equation)."""

from __future__ import annotations

import pytest

import tfir

PROLOGUE = ("fn main(x: f32[2, 4, 9, 9], w: f32[6, 2, 3, 3], v: f32[5], m: f32[3, 4], k: i32[4], b: bool[4], "
            "n: f32[N]) {\n")

CASES = [
    # (statement, column of the error in it, words in the message)
    ("return conv2d(v, w);", 19, "rank 4"),
    ("return conv2d(x, w, groups=3);", 32, "groups=3 does not divide the 4 input channels"),
    ("return conv2d(x, w);", 22, "2 channels per group"),
    ("return conv2d(x, w, stride=[1, 2, 3]);", 32, "one per spatial axis"),
    ("return conv2d(x, w, dilation=0);", 34, ">= 1"),
    ("return conv1d(x, w);", 19, "rank 3"),
    ("return conv2d(k, k);", 19, "float"),
    ("return max_pool2d(x, 3, padding=2);", 37, "more than half"),
    ("return avg_pool2d(v, 2);", 23, "[N, C, H, W]"),
    ("return max_pool2d(x, 20);", 26, "larger than the padded input"),
    ("return einsum(\"ij,jk>ik\", m, m);", 19, "'->'"),
    ("return einsum(\"ij->iz\", m);", 25, "letter 'z'"),
    ("return einsum(\"ij,jk->ik\", m, m);", 21, "letter 'j' has size 4 and size 3"),
    ("return einsum(\"ij,jk->ik\", m, v);", 19, "names 2 axes, but operand 1 has rank 1"),
    ("return einsum(\"i.j->i\", m);", 21, "'...' is not supported"),
    ("return einsum(\"ij,jk->ik\", m);", 19, "2 operand subscripts but 1 operand"),
    ("return einsum(\"ijk->i\", m);", 19, "rank 2"),
    ("return einsum(m, m);", 19, "string literal"),
    ("return cumsum(m, 2);", 22, "axis 2 is out of range"),
    ("return cumsum(b, 0);", 19, "numeric"),
    ("return tril(v);", 17, "rank >= 2"),
    ("return flip(m, [0, 0]);", 20, "repeated axis"),
    ("return tile(m, [2, -1]);", 20, ">= 0"),
    ("return repeat(m, -2, 0);", 22, ">= 0"),
    ("return repeat(m, 2, axis=3);", 30, "axis 3"),
    ("return pad(m, [[1, 1]]);", 19, "one [before, after] pair per axis"),
    ("return pad(m, [1, 1]);", 19, "[before, after] pairs"),
    ("return pad(k, [[1, 1]], value=0.5);", 35, "float padding value"),
    ("return var(k);", 16, "float"),
    ("return std(m, ddof=-1);", 24, "ddof"),
    ("return any(m);", 16, "bool"),
    ("return all(b, axis=1);", 24, "axis 1"),
    ("return log1p(k);", 18, "float"),
    ("return reciprocal(k);", 23, "float"),
    ("return isnan(b);", 18, "numeric"),
    ("return atan2(m, v);", 12, "cannot be broadcast"),
    ("return clip(m, k, 1.0);", 12, "one dtype"),
    ("return leaky_relu(k);", 23, "float"),
    ("return random_uniform(v, [3]);", 27, "seed must be an integer scalar"),
    ("return random_normal(1, [3], i32);", 34, "makes floats"),
    ("return random_uniform(1, [-1, 3]);", 30, "-1 is not allowed"),
    # source fuzzer seed 31000089: a negative target size reached NumPy at run time
    ("return broadcast_to(v, [4, -11]);", 28, "negative size in shape [4, -11]"),
    ("return broadcast_to(m, [-1, 4]);", 28, "negative size"),
    # source fuzzer seed 31060249: an int parameter given a symbolic dim was an internal error
    ("return take(v, k, axis=N);", 28, "argument 'axis' must be a static int"),
    ("return scatter_add(v, k, v, axis=N);", 38, "got dimension N"),
    ("return cumsum(m, N);", 22, "got dimension N"),
    ("return concat([v, v], axis=N);", 32, "got dimension N"),
    ("return argmax(m, axis=N);", 27, "got dimension N"),
    ("return repeat(m, N, 0);", 22, "argument 'n' must be a static int"),
    ("return std(m, ddof=N);", 24, "argument 'ddof' must be a static int"),
    ("return conv2d(x, w, groups=N);", 32, "argument 'groups' must be a static int"),
]


@pytest.mark.parametrize(("statement", "column", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_arguments_are_diagnosed_at_the_argument(statement: str, column: int, words: str) -> None:
    source = PROLOGUE + "    " + statement + "\n}\n"
    with pytest.raises(tfir.CompileError) as info:
        tfir.compile_source(source, filename="prog.tf", target="eager")
    first = info.value.diagnostics[0]
    text = str(info.value)
    assert words in text, text
    assert (first.line, first.column) == (2, column), text
    assert text.startswith(f"prog.tf:2:{column}: error: ")
    assert text.splitlines()[2].index("^") == 4 + column - 1  # the caret under the column


def test_einsum_caret_points_at_the_bad_letter() -> None:
    source = 'fn main(m: f32[3, 4]) -> f32[3] {\n    return einsum("ij->iq", m);\n}\n'
    with pytest.raises(tfir.CompileError) as info:
        tfir.compile_source(source, filename="e.tf", target="eager")
    caret = str(info.value).splitlines()[2].index("^")
    assert source.splitlines()[1][caret - 4:caret - 3] == "q"


def test_new_builtins_accept_literals_where_numpy_does() -> None:
    """Compile-time values fold like other elementwise builtins; a literal seed is a constant."""
    source = ("fn main(x: f32[3]) -> (f32[3], f32, f32[2]) {\n"
              "    return clip(x, 0, 1), log1p(0.5) + atan2(1.0, 2.0), random_uniform(3, [2]);\n}\n")
    out = tfir.compile_source(source, target="eager").main(x=__import__("numpy").arange(3, dtype="f4"))
    assert out[0].tolist() == [0.0, 1.0, 1.0]


@pytest.mark.parametrize(("call", "axis"), [("max(x, axis=0)", 0), ("min(x)", 0), ("argmax(x, 0)", 0),
                                           ("argmin(y, axis=1)", 1), ("max(y, axis=[0, 1])", 1)])
def test_reductions_without_identity_of_an_empty_axis_are_diagnosed(call: str, axis: int) -> None:
    # NumPy raises for them ("zero-size array to reduction operation maximum"); sum,
    # prod and mean of no elements have their values (0, 1, NaN) and stay allowed.
    source = f"fn main(x: f32[0, 4], y: i32[3, 0]) {{\n    return {call}, sum(x, axis=0), prod(y, axis=1);\n}}\n"
    with pytest.raises(tfir.CompileError) as info:
        tfir.compile_source(source, filename="prog.tf", target="eager")
    text = str(info.value)
    assert text.startswith("prog.tf:2:12: error: ") and f"axis {axis} of" in text and "has size 0" in text, text

