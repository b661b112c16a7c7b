"""NumPy code for structured control flow and the `linalgx` ops of the
loops level (the `FunctionCodegen` of numpy_codegen.py calls these).

- `scf.while` -> `while True:` around the condition region's code, `if not
  cond: break`, then the body; `scf.if` -> `if cond:` / `else:`. (`scf.for`
  is numpy_codegen's `for k in range(...)`.) Carried values live in buffers
  that the bodies update (docs/ir-levels.md §3), so nothing is passed around.
- `linalgx.check_index` -> a comparison of a rank-0 index inline, or the
  `_check_index` helper for an index array: both raise `tfir.ExecutionError`
  naming the op's `file:line:col`, the index and the size.
- `linalgx.gather` -> `np.take(..., mode="wrap", out=...)` or
  `np.take_along_axis` of `idx % n`, or, marked `tfir.view`, the
  destination's name bound to the source's row (`dest = src[int(i) % n, ...]`); `linalgx.scatter` -> an indexed
  assignment, or `np.add.at` when it accumulates. The indices were checked
  before, so `% n` only turns a negative index into NumPy's own; it also
  keeps every access in bounds whatever the index.
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects import scf
from xdsl.dialects.builtin import FileLineColLoc, MemRefType
from xdsl.ir import Operation

from tfir.dialects import linalgx
from tfir.lowering.utils.tile_loops import GATHER_VIEW


def location_text(op: Operation) -> str:
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}"
    return "<unknown location>"


def _shape(value: Any) -> tuple[int, ...]:
    typ = value.type
    assert isinstance(typ, MemRefType)
    return tuple(typ.get_shape())


def emit_while(cg: Any, op: scf.WhileOp) -> None:
    cond_op = op.before_region.block.last_op
    assert isinstance(cond_op, scf.ConditionOp)
    cg.comment(op)
    with cg.hoisting(), cg.block("while True"):
        cg.emit_ops([o for o in op.before_region.block.ops if o is not cond_op])
        cg.line(f"if not {cg.expr(cond_op.condition)}:")
        cg.line("    break")
        cg.emit_ops(list(op.after_region.block.ops))


def emit_if(cg: Any, op: scf.IfOp) -> None:
    cg.comment(op)
    orelse = [o for o in op.false_region.block.ops if not isinstance(o, scf.YieldOp)] \
        if op.false_region.blocks else []
    with cg.hoisting():
        with cg.block(f"if {cg.expr(op.cond)}"):
            cg.body(list(op.true_region.block.ops))
        if orelse:
            with cg.block("else"):
                cg.body(orelse)


def emit_indexing(cg: Any, op: Operation) -> None:
    cg.comment(op)
    if isinstance(op, linalgx.CheckIndexOp):
        _check(cg, op)
    elif isinstance(op, linalgx.GatherOp):
        _gather(cg, op)
    elif isinstance(op, linalgx.ScatterOp):
        _scatter(cg, op)


def _check(cg: Any, op: linalgx.CheckIndexOp) -> None:
    idx, size = cg.expr(op.indices), op.size_value
    axis, negative = op.axis.value.data, op.allows_negative
    where, what = location_text(op), op.what.data
    cg.use_helper("check")
    if _shape(op.indices) == ():
        lo = -size if negative else 0
        cg.line(f"if not {lo} <= {idx}[()] < {size}:")
        cg.line(f"    raise index_error({where!r}, {what!r}, int({idx}[()]), {size}, {axis}, {negative})")
    else:
        cg.line(f"_check_index({idx}, {size}, {axis}, {negative}, {where!r}, {what!r})")


def _gather(cg: Any, op: linalgx.GatherOp) -> None:
    src, idx, dest = cg.expr(op.source), cg.expr(op.indices), cg.expr(op.dest)
    axis = op.axis_value
    n = _shape(op.source)[axis]
    if n == 0 or 0 in _shape(op.dest):
        return  # nothing to read (an index into an empty axis was an error already)
    if GATHER_VIEW in op.attributes:  # the row, read in place (numpy-gather-views)
        cg.line(f"{dest} = {src}[{':, ' * axis}int({idx}) % {n}, ...]")  # `...`: a 0-d row stays an array
    elif op.is_along:
        cg.line(f"np.copyto({dest}, np.take_along_axis({src}, {idx} % {n}, axis={axis}))")
    else:
        cg.line(f"np.take({src}, {idx}, axis={axis}, mode=\"wrap\", out={dest})")


def _scatter(cg: Any, op: linalgx.ScatterOp) -> None:
    upd, idx, dest = cg.expr(op.updates), cg.expr(op.indices), cg.expr(op.dest)
    axis = op.axis_value
    n = _shape(op.dest)[axis]
    if n == 0 or 0 in _shape(op.updates):
        return
    index = f"{idx} % {n}"
    if op.accumulates:
        where = ", ".join(["slice(None)"] * axis + [index])
        cg.line(f"np.add.at({dest}, ({where},), {upd})")
    else:
        cg.line(f"{dest}[{', '.join([':'] * axis + [index])}] = {upd}")
