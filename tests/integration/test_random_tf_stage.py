"""Random `tf` programs: the whole `tf` stage must not change their results.

Programs mix elementwise ops, broadcasts, reshapes, transposes, selects and
constants chosen to trigger the canonicalization patterns (0.0, -0.0, 1, -1,
true, false) on inputs full of signed zeros, NaNs and infinities; results must
be bit-identical (NaNs aside) before and after.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.tf_stage import assert_same_results, parse, run_stage
from tfir.dialects.tf import broadcast_shapes

SHAPES = [(), (4,), (3, 4)]
FLOAT_CONSTS = ["0.0", "-0.0", "1.0", "-1.0", "2.0", "0.5"]
INT_CONSTS = ["0", "1", "-1", "2", "-3"]
UNARY = {"f32": ["neg", "abs", "relu", "floor", "ceil", "exp", "tanh", "sign"],
         "i32": ["neg", "abs", "relu", "sign"]}
BINARY = {"f32": ["add", "sub", "mul", "div", "pow", "maximum", "minimum"],
          "i32": ["add", "sub", "mul", "maximum", "minimum", "floordiv"]}


def _type(dtype: str, shape: tuple[int, ...]) -> str:
    return f"tensor<{''.join(f'{d}x' for d in shape)}{dtype}>"


class _Builder:
    def __init__(self, dtype: str):
        self.dtype = dtype
        self.lines: list[str] = []
        self.values: list[tuple[str, str, tuple[int, ...]]] = [  # name, dtype, shape
            ("%x", dtype, (4,)), ("%y", dtype, (3, 4)), ("%z", dtype, ())]
        self.n = 0

    def add(self, text: str, dtype: str, shape: tuple[int, ...]) -> None:
        name = f"%v{self.n}"
        self.n += 1
        self.lines.append(f"    {name} = {text}")
        self.values.append((name, dtype, shape))

    def step(self, data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(["const", "unary", "binary", "binary", "shape", "select", "not"]))
        of = [v for v in self.values if v[1] == self.dtype]
        bools = [v for v in self.values if v[1] == "i1"]
        if kind == "const":
            consts = FLOAT_CONSTS if self.dtype == "f32" else INT_CONSTS
            value = data.draw(st.sampled_from(consts))
            shape = data.draw(st.sampled_from(SHAPES))
            t = _type(self.dtype, shape)
            self.add(f"tf.constant {{value = dense<{value}> : {t}}} : {t}", self.dtype, shape)
        elif kind == "unary":
            name, _, shape = data.draw(st.sampled_from(of))
            t = _type(self.dtype, shape)
            self.add(f"tf.{data.draw(st.sampled_from(UNARY[self.dtype]))} {name} : ({t}) -> {t}",
                     self.dtype, shape)
        elif kind == "binary":
            (a, _, sa), (b, _, sb) = data.draw(st.sampled_from(of)), data.draw(st.sampled_from(of))
            op = data.draw(st.sampled_from(BINARY[self.dtype] + ["less", "equal"]))
            out = broadcast_shapes(sa, sb)
            assert out is not None
            dtype = "i1" if op in ("less", "equal") else self.dtype
            self.add(f"tf.{op} {a}, {b} : ({_type(self.dtype, sa)}, {_type(self.dtype, sb)}) -> "
                     f"{_type(dtype, out)}", dtype, out)
        elif kind == "shape":
            self._shape_op(data, of)
        elif kind == "select" and bools:
            c, _, sc = data.draw(st.sampled_from(bools))
            (a, _, sa), (b, _, sb) = data.draw(st.sampled_from(of)), data.draw(st.sampled_from(of))
            out = broadcast_shapes(sc, sa, sb)
            self.add(f"tf.select {c}, {a}, {b} : ({_type('i1', sc)}, {_type(self.dtype, sa)}, "
                     f"{_type(self.dtype, sb)}) -> {_type(self.dtype, out)}", self.dtype, out)
        elif kind == "not" and bools:
            c, _, sc = data.draw(st.sampled_from(bools))
            self.add(f"tf.logical_not {c} : ({_type('i1', sc)}) -> {_type('i1', sc)}", "i1", sc)

    def _shape_op(self, data: st.DataObject, of: list[tuple[str, str, tuple[int, ...]]]) -> None:
        name, _, shape = data.draw(st.sampled_from(of))
        t = _type(self.dtype, shape)
        if shape == (3, 4):
            self.add(f"tf.reshape {name} : ({t}) -> {_type(self.dtype, (12,))}", "skip", (12,))
            flat = self.values[-1][0]
            self.add(f"tf.reshape {flat} : ({_type(self.dtype, (12,))}) -> {t}", self.dtype, shape)
            self.add(f"tf.transpose {self.values[-1][0]} {{perm = array<i64: 1, 0>}} : ({t}) -> "
                     f"{_type(self.dtype, (4, 3))}", "skip", (4, 3))
            self.add(f"tf.transpose {self.values[-1][0]} {{perm = array<i64: 1, 0>}} : "
                     f"({_type(self.dtype, (4, 3))}) -> {t}", self.dtype, shape)
        else:
            target = data.draw(st.sampled_from([s for s in SHAPES if broadcast_shapes(shape, s) == s]))
            self.add(f"tf.broadcast_to {name} : ({t}) -> {_type(self.dtype, target)}", self.dtype, target)

    def module(self) -> str:
        results = [v for v in self.values[3:] if v[1] != "skip"][-3:] or self.values[:1]
        types = ", ".join(_type(d, s) for _, d, s in results)
        return f"""
builtin.module {{
  func.func @main(%x: {_type(self.dtype, (4,))}, %y: {_type(self.dtype, (3, 4))}, %z: {_type(self.dtype, ())}) -> ({types}) {{
{chr(10).join(self.lines)}
    func.return {", ".join(n for n, _, _ in results)} : {types}
  }}
}}
"""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(["f32", "i32"]), st.integers(1, 10))
def test_tf_stage_preserves_random_programs(data: st.DataObject, dtype: str, n_ops: int) -> None:
    builder = _Builder(dtype)
    for _ in range(n_ops):
        builder.step(data)
    text = builder.module()
    assert_same_results(parse(text), run_stage(parse(text)))
