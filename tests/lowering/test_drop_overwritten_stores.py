"""drop-overwritten-stores (stage `device`, target triton): a store that a
later store to the same offsets of the same buffer overwrites goes."""

from __future__ import annotations

from tests.support.common import ROOT
from tests.support.stages import ir_after_each_pass


def test_drop_overwritten_stores() -> None:
    ir = ir_after_each_pass(ROOT / "examples" / "attention.tf", "triton")  # a row's max and sum share a buffer
    assert ir["drop-overwritten-stores"].count("device.store") < ir["cse@device"].count("device.store")
