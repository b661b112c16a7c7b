"""The body of a `linalg.generic` as NumPy statements.

The iteration space of the op becomes NumPy broadcasting: each operand is a
view arranged so that its axes line up with the loop dims (`arrange`), and
each scalar op of the body becomes one ufunc call over the whole tile, writing
with `out=` into a scratch buffer (`t0`, `t1`, ...) shaped by the dims the
value varies along. Scratch buffers are reused as soon as the value in them
is dead (an op usually writes over its own operand), so a fused body of many
ops runs in one or two buffers; the value that the body yields is written
straight into the output view when nothing reads the output afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from xdsl.dialects import arith
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineExpr,
    AffineMap,
)

from tfir.backends.common.numpy_text import literal, np_dtype, typed_literal
from tfir.backends.numpy.ops import kernel_of


@dataclass
class Space:
    """The loop dims of one linalg op: sizes (Python text), which are vectorized
    (`active`, ascending) and which are fixed to a loop variable."""

    sizes: list[str]
    active: list[int]
    fixed: dict[int, str] = field(default_factory=dict)

    def shape(self, dims: frozenset[int]) -> str:
        """The shape of a scratch value varying along `dims`, right-aligned."""
        axes = [d for d in self.active if d >= min(dims)] if dims else []
        return tuple_text([self.sizes[d] if d in dims else "1" for d in axes])


def tuple_text(items: Sequence[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def add_text(a: str | int, b: str | int) -> str:
    """`a + b`, folded when both are literals."""
    if isinstance(a, int) and isinstance(b, int):
        return str(a + b)
    if a in (0, "0"):
        return str(b)
    if b in (0, "0"):
        return str(a)
    return f"{a} + {b}"


def mul_text(a: int, b: str) -> str:
    if b.isdigit():
        return str(a * int(b))
    return b if a == 1 else f"{a} * {b}"


def linear(expr: AffineExpr, num_dims: int) -> tuple[int, list[int]]:
    """`start + sum(coeff[d] * d)` of an affine expression built from + and *."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, AffineBinaryOpExpr):
            if node.kind not in (AffineBinaryOpKind.Add, AffineBinaryOpKind.Mul):
                raise NotImplementedError(f"numpy backend: indexing map result {expr}")
            stack += [node.lhs, node.rhs]
    start = expr.eval([0] * num_dims, [])
    unit = [[int(i == d) for i in range(num_dims)] for d in range(num_dims)]
    return start, [expr.eval(u, []) - start for u in unit]


def slice_text(start: int, step: int, size: str) -> str:
    if step == 1:
        return f"{start}:{add_text(start, int(size)) if size.isdigit() else add_text(start, size)}"
    if step > 0:
        stop = (start + step * (int(size) - 1) + 1) if size.isdigit() else \
            f"{start} + {step} * ({size} - 1) + 1"
        return f"{start}:{stop}:{step}"
    if not size.isdigit():
        raise NotImplementedError("numpy backend: a reversed slice with a dynamic size")
    stop = start + step * int(size)
    return f"{start}:{stop if stop >= 0 else ''}:{step}"


def subscript(base: str, items: Sequence[str]) -> str:
    """`base[items]` without trailing full slices; `base` when nothing is left."""
    items = list(items)
    while items and items[-1] == ":":
        items.pop()
    return f"{base}[{', '.join(items)}]" if items else base


def _align(kept: list[int | None], active: list[int]) -> tuple[list[bool], list[int]]:
    """Right-align the kept axes of an operand with the active loop dims: which
    unit axes to drop, and how many new axes go after each kept axis."""
    dims = {d for d in kept if d is not None}
    drop = [False] * len(kept)
    nones = [0] * (len(kept) + 1)
    p, j = len(kept) - 1, len(active) - 1
    while p >= 0 and j >= 0:
        if kept[p] == active[j] or (kept[p] is None and active[j] not in dims):
            p, j = p - 1, j - 1
        elif kept[p] is None:
            drop[p], p = True, p - 1
        else:
            nones[p + 1], j = nones[p + 1] + 1, j - 1
    first = next((q for q, d in enumerate(kept) if d is not None), len(kept))
    for q in range(max(p + 1, first)):
        # Unit axes left of the operand's first dim are dropped: a value varying
        # along dims D is laid out from min(D) on (Space.shape), and one left of
        # every loop dim would add a dimension.
        drop[q] = True
    return drop, nones


def _place(base: str, items: list[str], kept_at: list[int], kept: list[int | None],
           active: list[int]) -> str:
    drop, nones = _align(kept, active)
    out: list[str] = []
    for axis, item in enumerate(items):
        if axis in kept_at:
            p = kept_at.index(axis)
            out.append("0" if drop[p] else item)
            out += ["None"] * nones[p + 1]
        else:
            out.append(item)
    return subscript(base, out)


def arrange(base: str, amap: AffineMap, shape: Sequence[int | None], space: Space) -> tuple[str, frozenset[int]]:
    """A view of operand `base` whose axes line up with `space`'s active dims
    under NumPy broadcasting (`x[:, None]`, `w.transpose(1, 0)`, `x[0]`,
    `x[2:10:2]`), and the dims it varies along."""
    items: list[str] = []
    kept: list[int | None] = []
    kept_at: list[int] = []
    for axis, expr in enumerate(amap.results):
        start, coeffs = linear(expr, amap.num_dims)
        terms = [(d, c) for d, c in enumerate(coeffs) if c]
        if not terms:
            unit = start == 0 and shape[axis] == 1 and not isinstance(expr, AffineBinaryOpExpr)
            items.append(":" if unit else str(start))
            if unit:
                kept.append(None)
                kept_at.append(axis)
            continue
        if len(terms) > 1:
            raise NotImplementedError(f"numpy backend: indexing map result {expr}")
        (d, c), = terms
        if d in space.fixed:
            items.append(add_text(start, mul_text(c, space.fixed[d])))
            continue
        items.append(":" if (start, c) == (0, 1) else slice_text(start, c, space.sizes[d]))
        kept.append(d)
        kept_at.append(axis)
    dims = [d for d in kept if d is not None]
    if dims != sorted(set(dims)):
        for p, d in enumerate(kept):
            if d is None:
                items[kept_at[p]] = "0"
        order = sorted(range(len(dims)), key=dims.__getitem__)
        base = f"{subscript(base, items)}.transpose({', '.join(map(str, order))})"
        kept, kept_at, items = sorted(dims), list(range(len(dims))), [":"] * len(dims)
    return _place(base, items, kept_at, kept, space.active), frozenset(dims)


class BodyHost(Protocol):
    """What a body needs from the function it is generated into."""

    def expr(self, value: SSAValue) -> str: ...
    def fresh(self, hint: str) -> str: ...
    def scratch_name(self, k: int) -> str: ...
    def scalar(self, value: SSAValue) -> tuple[str, str] | None: ...
    def line(self, text: str) -> None: ...
    def comment(self, op: Operation) -> None: ...
    def use_helper(self, name: str) -> None: ...


@dataclass
class Val:
    """A body value: a Python expression, the loop dims it varies along
    (none: a NumPy scalar) and, for scalars known at generation, a typed literal."""

    expr: str
    typed: str | None
    dims: frozenset[int]
    reg: Reg | None = None


@dataclass
class Reg:
    """A scratch buffer."""

    name: str
    key: tuple[str, frozenset[int]]
    free: bool = False
    external: bool = False  # not a scratch buffer: the op's output view


class BodyCodegen:
    """Emits the ops of a linalg body over a `Space`."""

    def __init__(self, cg: BodyHost, space: Space):
        self.line, self.fresh, self.outer, self.comment = cg.line, cg.fresh, cg.expr, cg.comment
        self.scratch_name, self.scalar, self.use_helper = cg.scratch_name, cg.scalar, cg.use_helper
        self.space = space
        self.values: dict[SSAValue, Val] = {}
        self.regs: list[Reg] = []
        self.hoisted = False  # scratch buffers were allocated before (a loop around the body)
        # The host's `scratch_buffer(k, shape, dtype) -> name`, which allocates a
        # scratch buffer (here, or once before an enclosing tile loop), if it has one.
        self.alloc: Callable[[int, str, str], str] | None = getattr(cg, "scratch_buffer", None)

    def val(self, value: SSAValue) -> Val:
        if value not in self.values:  # a scalar from outside the op
            known = self.scalar(value)
            self.values[value] = Val(*known, frozenset()) if known else Val(self.outer(value), None, frozenset())
        return self.values[value]

    def run(self, ops: Sequence[Operation], direct: dict[SSAValue, str], keep: Sequence[SSAValue]) -> None:
        """Emit `ops` in order; a value in `direct` is computed straight into that
        view; the values in `keep` stay readable after the last op."""
        last = {v: i for i, op in enumerate(ops) for v in op.operands}
        last.update({v: len(ops) for v in keep})
        for i, op in enumerate(ops):
            if isinstance(op, arith.ConstantOp):
                value, typ = op.value.value.data, op.result.type
                self.values[op.result] = Val(literal(value, typ), typed_literal(value, typ), frozenset())
                continue
            self.comment(op)
            if isinstance(op, linalg.IndexOp):
                self._index(op)
            else:
                self._compute(op, direct.get(op.results[0]), last, i)
            mine = self.values[op.results[0]].reg if op.results else None
            for v in set(op.operands):
                reg = self.values[v].reg if v in self.values else None
                if reg is not None and reg is not mine and last.get(v) == i:
                    reg.free = True

    def _index(self, op: linalg.IndexOp) -> None:
        d = op.dim.value.data
        if d in self.space.fixed:
            self.values[op.result] = Val(self.space.fixed[d], None, frozenset())
            return
        name = self.fresh(op.result.name_hint or f"i{d}")
        trailing = len([a for a in self.space.active if a > d])
        shape = f".reshape(-1{', 1' * trailing})" if trailing else ""
        self.line(f"{name} = np.arange({self.space.sizes[d]}){shape}")
        self.values[op.result] = Val(name, None, frozenset({d}))

    def _compute(self, op: Operation, target: str | None, last: dict[SSAValue, int], i: int) -> None:
        kernel = kernel_of(op)
        for helper in kernel.helpers:
            self.use_helper(helper)
        args = [self.val(v) for v in op.operands]
        dims = frozenset().union(*(a.dims for a in args))
        result = op.results[0]
        dtype = np_dtype(result.type)
        if not dims and target is None:
            name = self.fresh(result.name_hint or "s")
            text = kernel.scalar.format(*(a.typed or a.expr for a in args), dtype=dtype)
            self.line(f"{name} = {text}")
            self.values[result] = Val(name, None, frozenset())
            return
        texts = [a.expr if dims else (a.typed or a.expr) for a in args]
        reg = None
        if target is not None and kernel.inplace is not None and any(
                a.reg is not None and a.reg.name == target for k, a in enumerate(args) if k not in kernel.inplace):
            target = None  # an operand lives in the target view, which the op may not write over it
        if target is None:
            reg = self._scratch(result.type, dims, op, kernel.inplace, last, i)
            target = reg.name
        else:
            dims = frozenset(self.space.active)
        for stmt in kernel.array:
            text = stmt.format(*texts, out=target, dtype=dtype)
            if text != f"np.copyto({target}, {target})":  # select into its own false value
                self.line(text)
        self.values[result] = Val(target, None, dims, reg=reg)

    def _scratch(self, typ: Attribute, dims: frozenset[int], op: Operation,
                 inplace: tuple[int, ...] | None, last: dict[SSAValue, int], i: int) -> Reg:
        key = (np_dtype(typ), dims)
        allowed = range(len(op.operands)) if inplace is None else inplace
        for k in allowed:
            reg = self.val(op.operands[k]).reg
            if reg is not None and reg.key == key and last.get(op.operands[k]) == i and not reg.free:
                if all(self.val(v).reg is not reg for j, v in enumerate(op.operands) if j not in allowed):
                    return reg
        for reg in self.regs:
            if reg.free and reg.key == key:
                reg.free = False
                return reg
        k = sum(not r.external for r in self.regs)
        if self.hoisted:
            name = self.scratch_name(k)
        elif self.alloc is not None:
            name = self.alloc(k, self.space.shape(dims), key[0])
        else:
            name = self.scratch_name(k)
            self.line(f"{name} = np.empty({self.space.shape(dims)}, dtype={key[0]})")
        reg = Reg(name, key)
        self.regs.append(reg)
        return reg
