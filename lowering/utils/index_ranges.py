"""The values an `index` can take, where the IR says: a `for` loop's
induction variable with constant bounds, and affine arithmetic of it (the
loop variable of a `range` with a negative step). `canonicalize-tf` drops an
index check that no such value can fail."""

from __future__ import annotations

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import BlockArgument, SSAValue


def _const(value: SSAValue) -> int | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def index_range(value: SSAValue, depth: int = 0) -> tuple[int, int] | None:
    """The smallest and largest value `value` takes, or None (unknown, or a loop
    that never runs)."""
    if depth > 8:
        return None
    constant = _const(value)
    if constant is not None:
        return constant, constant
    if isinstance(value, BlockArgument) and value.index == 0 and isinstance(value.owner.parent_op(), scf.ForOp):
        loop = value.owner.parent_op()
        assert isinstance(loop, scf.ForOp)
        lb, ub, step = _const(loop.lb), _const(loop.ub), _const(loop.step)
        if None in (lb, ub, step) or step <= 0 or ub <= lb:
            return None
        return lb, lb + (ub - lb - 1) // step * step
    owner = value.owner
    if isinstance(owner, arith.AddiOp | arith.SubiOp | arith.MuliOp):
        a, b = index_range(owner.lhs, depth + 1), index_range(owner.rhs, depth + 1)
        if a is None or b is None:
            return None
        if isinstance(owner, arith.AddiOp):
            return a[0] + b[0], a[1] + b[1]
        if isinstance(owner, arith.SubiOp):
            return a[0] - b[1], a[1] - b[0]
        products = [x * y for x in a for y in b]
        return min(products), max(products)
    return None
