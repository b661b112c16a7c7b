"""`numpy-native-kernels`: the linalg ops the NumPy code runs as compiled C.

Precondition: the `loops` form (docs/ir-levels.md section 4), as
`tile-linalg` leaves it. Produces the same form, the ops marked
`tfir.native`.

NumPy runs a fused body one scalar op at a time, each a pass over the tile
(layernorm's normalization: a subtraction, a division, a multiplication and
an addition, four passes), where one loop would make one. A `linalg.generic`
that C can run (lowering/utils/native_ops.py: elementwise or a row sum, max
or min, on `f32` / `f64` with static shapes and strides, a body of
arithmetic and libm functions) with `MIN_NATIVE_POINTS` points or more is
marked (even one op: NumPy's broadcasting along rows and its row-wise
reductions run at a fraction of a C loop's speed); the code generator prints it as a
C function (backends/numpy/native_c.py), compiled when the module loads,
with the NumPy statements as the fallback where no C compiler works. Marked
ops count as one statement for the schedule (`numpy-schedule`: whole, or one
tile per worker). An `scf.for` whose body is native ops alone on buffers
from outside it (`native_loop`; a loop over a small state, whose steps
NumPy would spend in Python call overhead) is marked as a whole, when it
makes `MIN_NATIVE_POINTS` points over all its steps: one C call runs it.
Option `enabled` (the numpy backend's option `native`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, scf
from xdsl.dialects.builtin import ModuleOp, UnitAttr
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from tfir.lowering.utils.native_ops import NATIVE, loop_bounds, native_form, native_loop
from tfir.lowering.utils.tile_loops import rebuild, untiled

MIN_NATIVE_POINTS = 1 << 12
"""Smaller ops stay NumPy statements: a C call costs about as much as the few
passes NumPy makes over so little."""


def worth_native(op: Operation) -> bool:
    """Whether `op` can run natively and NumPy would make several passes for it."""
    form = native_form(op)
    if form is None:
        return False
    assert isinstance(op, linalg.GenericOp)
    body = [o for o in op.body.block.ops if not isinstance(o, linalg.YieldOp | arith.ConstantOp)]
    points = math.prod(op.get_static_loop_ranges())
    # One op alone too: NumPy broadcasting along rows, and its row-wise
    # reductions, run well below a C loop's speed (docs/performance.md).
    return points >= MIN_NATIVE_POINTS and len(body) >= 1


def worth_native_loop(op: Operation) -> bool:
    """Whether `op` is a native loop (lowering/utils/native_ops.py) that makes
    several steps and `MIN_NATIVE_POINTS` points in all: one C call instead
    of NumPy calls in Python each step."""
    body = native_loop(op)
    if body is None:
        return False
    assert isinstance(op, scf.ForOp)
    bounds = loop_bounds(op)
    assert bounds is not None
    trips = len(range(*bounds))
    points = sum(math.prod(inner.get_static_loop_ranges()) for inner in body if isinstance(inner, linalg.GenericOp))
    return trips >= 2 and trips * points >= MIN_NATIVE_POINTS


def mark(fn: func.FuncOp) -> int:
    """Marks the ops of `fn` worth running natively (in tile loops: the whole
    op's size counts), and the loops that can run natively as a whole;
    returns how many."""
    marked = 0
    for op in list(fn.walk()):
        if worth_native_loop(op):
            op.attributes[NATIVE] = UnitAttr()
            marked += 1
            continue
        if not isinstance(op, linalg.GenericOp) or NATIVE in op.attributes:
            continue
        whole = op
        parent = op.parent_op()
        if parent is not None and parent.name == "scf.parallel":
            found = untiled(parent)  # type: ignore[arg-type]
            if found is not None and found[0] is op:
                whole = rebuild(*found)
        worth = worth_native(whole)
        if whole is not op:
            whole.erase()  # a template only
        if worth and native_form(op) is not None:
            op.attributes[NATIVE] = UnitAttr()
            marked += 1
    return marked


@dataclass(frozen=True)
class NumpyNativeKernelsPass(ModulePass):
    """Fused bodies NumPy would run in several passes -> marked for C."""

    name = "numpy-native-kernels"

    enabled: bool = True

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not self.enabled:
            return
        for fn in op.ops:
            if isinstance(fn, func.FuncOp) and not fn.is_declaration:
                mark(fn)
