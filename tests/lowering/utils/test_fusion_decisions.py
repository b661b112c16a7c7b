"""The fusion decisions (lowering/utils/fusion_decisions.py): the
producer/consumer pairs `fuse-elementwise{explain=true}` leaves unfused,
each with its reason code, taken off the IR by `take_decisions` (what
`tfir lower --explain-fusion` and the HTML report show)."""

from __future__ import annotations

import re
from collections import Counter

from tests.support.common import ROOT
from tfir.dialects.registry import TType
from tfir.frontend.driver import build_entry
from tfir.inspect.trace import load
from tfir.lowering.utils.fusion_decisions import (
    ATTR,
    REASONS,
    Decision,
    has_decisions,
    take_decisions,
)
from tfir.pipeline import run_pipeline

X = TType("f32", (4, 8))


def decisions(source: str, explain: bool = True, recompute: bool = True,
              types: dict[str, TType] | None = None) -> list[Decision]:
    prog = load(source)
    module = build_entry(prog.frontend, prog.entries[-1], types or {"x": X}, {})
    run_pipeline(module, "numpy", stop_after="fuse-elementwise",
                 pass_options={"fuse-elementwise": {"explain": explain, "recompute": recompute}})
    if not explain:
        assert not has_decisions(module)
        return []
    found = take_decisions(module)
    assert not has_decisions(module) and all(ATTR not in op.attributes for op in module.walk())
    return found


def reasons(found: list[Decision]) -> Counter[str]:
    return Counter(d.reason for d in found)


def test_one_expression_leaves_nothing_unfused() -> None:
    assert decisions("fn f(x: f32[4, 8]) -> f32[4, 8] { return tanh(x * 2.0 + 1.0) * sigmoid(x); }\n") == []


def test_a_reduction_in_between() -> None:
    found = decisions("fn f(x: f32[4, 8]) -> f32[4] { return sum(exp(x), axis=1) * 2.0; }\n")
    (d,) = found
    assert d.reason == "reduction"
    assert d.producer.startswith("%_ = reduction {exp, addf} : 4 at <string>:1")
    assert d.consumer.startswith("%_ = elementwise {mulf} : 4")
    assert d.places() == (("<string>", 1), ("<string>", 1))


def test_an_expensive_producer_read_twice_is_not_recomputed() -> None:
    source = ("fn f(x: f32[4, 8]) -> f32[4, 8] {\n"
              "    let e = exp(x);\n"
              "    return e / sum(e, axis=1, keepdims=true);\n}\n")
    found = [d for d in decisions(source) if d.producer.startswith("%e")]
    assert len(found) == 2 and {d.reason for d in found} == {"recompute"}
    assert found[0].detail == "2 copies of its body"
    assert {d.places()[0] for d in found} == {("<string>", 2)}


def test_a_cheap_producer_is_recomputed_unless_the_target_forbids_it() -> None:
    source = ("fn f(x: f32[4, 8]) -> f32[4, 8] {\n"
              "    let d = x - 1.0;\n"
              "    return d * sum(d, axis=1, keepdims=true);\n}\n")
    assert not any(d.producer.startswith("%d") for d in decisions(source))
    found = [d for d in decisions(source, recompute=False) if d.producer.startswith("%d")]
    assert len(found) == 2 and {d.reason for d in found} == {"target-recompute"}


def test_contractions_are_a_target_rule_both_ways() -> None:
    source = "fn f(x: f32[4, 8], w: f32[8, 3]) -> f32[4, 3] { return relu(relu(x) @ w); }\n"
    found = decisions(source, types={"x": X, "w": TType("f32", (8, 3))})
    assert reasons(found) == {"contraction": 2}
    assert {d.detail for d in found} == {"the consumer is a linalg.matmul", "the producer is a linalg.matmul"}


def test_a_function_result_keeps_its_producer() -> None:
    source = ("fn f(x: f32[4, 8]) -> (f32[4, 8], f32[4, 8]) {\n"
              "    let m = exp(x);\n"
              "    return m, m + 1.0;\n}\n")
    (d,) = decisions(source)
    assert (d.reason, d.detail) == ("other-use", "it is a result of the function")


def test_a_body_past_the_size_limit() -> None:
    lines = [f"    let y{i + 1} = tanh(y{i}) * 1.5;" for i in range(300)]
    source = "fn f(y0: f32[4, 8]) -> f32[4, 8] {\n" + "\n".join(lines) + "\n    return y300;\n}\n"
    found = decisions(source, types={"y0": X})
    assert found and reasons(found).keys() == {"size-limit"}


def test_nothing_is_recorded_without_explain() -> None:
    assert decisions("fn f(x: f32[4, 8]) -> f32[4] { return sum(exp(x), axis=1) * 2.0; }\n", explain=False) == []


def test_every_reason_the_pass_gives_is_explained() -> None:
    """Each reason code in the pass's source is one `REASONS` explains."""
    source = (ROOT / "lowering" / "fuse_elementwise.py").read_text()
    codes = set(re.findall(r'_refuse\([^)]*?"([a-z-]+)"', source)) | set(re.findall(r'return "([a-z-]+)"', source))
    codes |= {"target-recompute"}  # chosen by a conditional expression
    assert codes >= {"reduction", "contraction", "other-use", "size-limit", "invalid", "not-generic", "recompute"}
    assert codes <= REASONS.keys()
