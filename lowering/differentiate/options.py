"""Options of the `differentiate` pass that its rules read while it runs."""

from __future__ import annotations

from contextvars import ContextVar

RECOMPUTE: ContextVar[bool] = ContextVar("recompute", default=False)
"""Loops save only their carried values per iteration; the reverse loop
recomputes the rest of the body (rules/control_flow.py)."""
