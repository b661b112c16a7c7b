"""No program, however malformed, makes the frontend raise anything but
CompileError (a crash or hang would be a compiler bug)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tfir
from tests.support.common import CONFORMANCE_PROGRAMS, EXAMPLES

SOURCES = [p.read_text() for p in [*EXAMPLES, *CONFORMANCE_PROGRAMS] if "import" not in p.read_text()]
TOKENS = ["(", ")", "[", "]", ",", ";", "=", "-", "*", "**", "@", "1", "0.5", "-1", "x", "f32", "axis=",
          "let ", "return ", "fn ", ":", "->", "{", "}", "true", "[]", "f32[3]", "sum(", "..", "#", "\n"]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        token = draw(st.sampled_from(TOKENS))
        length = draw(st.integers(1, 6))
        if action == "insert":
            text = text[:pos] + token + text[pos:]
        elif action == "delete":
            text = text[:pos] + text[pos + length:]
        else:
            text = text[:pos] + token + text[pos + length:]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_programs_only_raise_compile_errors(source: str) -> None:
    try:
        tfir.compile_source(source, filename="fuzz.tf", target="eager")
    except tfir.CompileError as err:
        text = str(err)
        assert "Traceback" not in text
        assert text.startswith("fuzz.tf:")
        for d in err.diagnostics:
            assert d.line >= 1 and d.column >= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text(source: str) -> None:
    try:
        tfir.compile_source(source, filename="t.tf", target="eager")
    except tfir.CompileError:
        pass
