"""The host code of the program's loops and branches for the Triton target:
they run in Python around the kernel launches of their bodies.

`scf.for` is a `for k in range(...)`, `scf.while` a `while True:` whose
condition region ends in `if not cond: break`, `scf.if` an `if`/`else`. The
scalars the host needs are read from device buffers (`rt.item`: a condition,
one element) or written to them (`rt.fill`: the loop variable `.tf` code
sees as a rank-0 tensor); `index` arithmetic is Python arithmetic on ints.
`device.check_flag` reads a check kernel's flag (`rt.check_index`), which
raises `tfir.ExecutionError`. Buffers first used inside a loop are
allocated before it (once).
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, i1
from xdsl.ir import Operation

from tfir.dialects import device

_ARITH = {"arith.addi": "{0} + {1}", "arith.subi": "{0} - {1}", "arith.muli": "{0} * {1}",
          "arith.floordivsi": "{0} // {1}", "arith.minsi": "min({0}, {1})", "arith.maxsi": "max({0}, {1})",
          "arith.index_cast": "{0}"}


def print_control(host: Any, op: Operation) -> bool:
    """Prints `op` if it is a loop, a branch or host scalar code; False otherwise."""
    em = host.em
    if isinstance(op, scf.ForOp):
        _allocate_inside(host, op)
        iv = op.body.block.args[0]
        host.names[iv] = em.fresh(iv.name_hint or "k")
        em.source_comment(op)
        with em.block(f"for {host.names[iv]} in range({_v(host, op.lb)}, {_v(host, op.ub)}, {_v(host, op.step)})"):
            _body(host, list(op.body.block.ops))
    elif isinstance(op, scf.WhileOp):
        _allocate_inside(host, op)
        cond = op.before_region.block.last_op
        assert isinstance(cond, scf.ConditionOp)
        em.source_comment(op)
        with em.block("while True"):
            _body(host, [o for o in op.before_region.block.ops if o is not cond], allow_empty=True)
            em.line(f"if not {_v(host, cond.condition)}:")
            em.line("    break")
            _body(host, list(op.after_region.block.ops), allow_empty=True)
    elif isinstance(op, scf.IfOp):
        _allocate_inside(host, op)
        em.source_comment(op)
        with em.block(f"if {_v(host, op.cond)}"):
            _body(host, list(op.true_region.block.ops))
        orelse = list(op.false_region.block.ops) if op.false_region.blocks else []
        if any(not isinstance(o, scf.YieldOp) for o in orelse):
            with em.block("else"):
                _body(host, orelse)
    elif isinstance(op, scf.YieldOp | scf.ConditionOp):
        pass  # the loops level carries nothing: bodies update buffers
    elif isinstance(op, arith.ConstantOp) and isinstance(op.value, IntegerAttr | FloatAttr):
        value = op.value.value.data
        host.names[op.result] = repr(bool(value) if op.result.type == i1 else value)
    elif op.name in _ARITH and len(op.results) == 1:
        args = [_v(host, v) for v in op.operands]
        if op.name == "arith.index_cast":
            host.names[op.results[0]] = args[0]
        else:
            host._bind(op.results[0], _ARITH[op.name].format(*args), "n")
    elif isinstance(op, memref.StoreOp):
        index = ", ".join(_v(host, v) for v in op.indices)
        em.source_comment(op)
        em.line(f"rt.fill({host.names[op.memref]}, {_v(host, op.value)}{', (' + index + ',)' if index else ''})")
    elif isinstance(op, memref.LoadOp):
        index = ", ".join(_v(host, v) for v in op.indices)
        host._bind(op.res, f"rt.item({host.names[op.memref]}{', (' + index + ',)' if index else ''})", "s")
    elif isinstance(op, device.CheckFlagOp):
        em.line(f"rt.check_index({host.names[op.flag]}, {op.location_text.data!r}, {op.what.data!r}, "
                f"{op.size.value.data}, {op.axis.value.data}, {bool(op.negative.value.data)})")
    else:
        return False
    return True


def _v(host: Any, value: Any) -> str:
    return host.names[value]


def _body(host: Any, ops: list[Operation], allow_empty: bool = False) -> None:
    before = len(host.em._lines)
    for op in ops:
        host.op(op)
    if len(host.em._lines) == before and not allow_empty:
        host.em.line("pass")


def _allocate_inside(host: Any, op: Operation) -> None:
    """Buffers made before a loop or branch and first used inside it: allocated now."""
    used = [v for inner in op.walk() for v in inner.operands if v in host.pending]
    host._allocate(list(dict.fromkeys(used)))
