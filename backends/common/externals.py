"""The hand-written implementations an entry calls (custom ops lowered to
calls of external declarations, docs/ir-levels.md section 7), with the
aliases a generated module imports them under."""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from tfir.backends.common.emitter import PyEmitter
from tfir.dialects.plugins import ExternalCall, external_calls

Externals = dict[str, tuple[ExternalCall, str]]


def called_externals(module: ModuleOp, entry: func.FuncOp, target: str, em: PyEmitter) -> Externals:
    """Per external symbol `entry` calls, how to call the `target`
    implementation and its import alias (a fresh name of `em`)."""
    called = {op.callee.root_reference.data for op in entry.walk() if isinstance(op, func.CallOp)}
    if not called:
        return {}
    return {symbol: (call, em.fresh(symbol))
            for symbol, call in external_calls(module, target).items() if symbol in called}


def import_lines(externals: Externals) -> list[str]:
    """`from <module> import <function> as <alias>`, one per implementation."""
    return [call.import_line(alias) for call, alias in externals.values()]
