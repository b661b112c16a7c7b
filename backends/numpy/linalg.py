"""linalg ops on memrefs as NumPy statements (the NumPy backend's op rules).

- `linalg.generic` with only parallel dims: the body over broadcast views
  (body.py), the yielded value written with `out=` into the output view.
- a reduction (`linalg.yield (combiner %e, %out)`): `np.add.reduce(e, axis=...,
  out=...)` and friends; a sum of products of two inputs is one `np.einsum`
  (or `np.matmul` when it has the shape of a batched matmul).
- argmax / argmin form: `np.argmax` / `np.argmin` with `np.maximum.reduce` /
  `np.minimum.reduce` for the running value.
- the scan form of `cumsum` / `cumprod` (`linalg_ops.scan`): `np.cumsum` /
  `np.cumprod` along the scanned axis.
- anything else with reduction dims: a Python loop over the reduction dims
  with the parallel dims vectorized (correct for any body, slower).
- `linalg.matmul` -> `np.matmul`, `linalg.transpose` / `copy` / `broadcast`
  -> `np.copyto`, `linalg.fill` -> `.fill`, `linalg.reduce` -> ufunc.reduce.

Which form an op has is read by the classifier of lowering/utils/linalg_ops.py.
A reduction whose output was just filled with the combiner's identity
(lowering/utils/fills.py) reduces straight into it; otherwise the partial result is
combined with what the output holds (tiles of a reduction dim accumulate),
which keeps linalg's `out = out (+) reduce(e)` semantics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from xdsl.dialects import arith
from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block, Operation, SSAValue
from xdsl.ir.affine import AffineMap

from tfir.backends.common.numpy_text import dtype_name, np_dtype
from tfir.backends.numpy.body import (
    BodyCodegen,
    Reg,
    Space,
    Val,
    arrange,
    linear,
    slice_text,
    subscript,
    tuple_text,
)
from tfir.lowering.utils.fills import filled_with, same_view
from tfir.lowering.utils.linalg_ops import COMBINERS, arg_reduction, identity, reduction, scan

UFUNCS = {
    "sum": "np.add", "prod": "np.multiply", "max": "np.maximum", "min": "np.minimum",
    "maxnum": "np.fmax", "minnum": "np.fmin", "or": "np.bitwise_or", "and": "np.bitwise_and",
    "xor": "np.bitwise_xor",
}
"""The ufunc of each kind of reduction (lowering/utils/linalg_ops.py)."""
_LETTERS = "ijklmnopqrstuvwxyzabcdefgh"


class Codegen(Protocol):
    """What the op rules need from the function being generated (numpy_codegen)."""

    def expr(self, value: SSAValue) -> str: ...
    def fresh(self, hint: str) -> str: ...
    def scratch_name(self, k: int) -> str: ...
    def line(self, text: str) -> None: ...
    def comment(self, op: Operation) -> None: ...
    def block(self, header: str): ...
    def root(self, value: SSAValue) -> SSAValue: ...
    def scalar(self, value: SSAValue) -> tuple[str, str] | None: ...


def static_shape(value: SSAValue) -> list[int | None]:
    typ = value.type
    assert isinstance(typ, MemRefType)
    return [None if d == DYNAMIC_INDEX else d for d in typ.get_shape()]


def loop_sizes(cg: Codegen, operands: Sequence[SSAValue], maps: Sequence[AffineMap]) -> list[str]:
    """The size of each loop dim (Python text), read off an operand indexed by it."""
    n = maps[0].num_dims
    sizes: list[str | None] = [None] * n
    for value, amap in reversed(list(zip(operands, maps, strict=True))):
        shape = static_shape(value)
        for axis, expr in enumerate(amap.results):
            start, coeffs = linear(expr, n)
            if start == 0 and sorted(coeffs) == [0] * (n - 1) + [1]:
                d = coeffs.index(1)
                if sizes[d] is None or not sizes[d].isdigit():
                    sizes[d] = str(shape[axis]) if shape[axis] is not None else f"{cg.expr(value)}.shape[{axis}]"
    if None in sizes:
        raise NotImplementedError("numpy backend: a loop dim that no operand is indexed by")
    return [s for s in sizes if s is not None]


class GenericRule:
    """One structured linalg op (generic or named, via its maps and body)."""

    def __init__(self, cg: Codegen, op: LinalgStructuredOperation):
        self.cg, self.op = cg, op
        self.maps = [m.data for m in op.get_indexing_maps()]
        self.ins, self.outs = list(op.inputs), list(op.outputs)
        self.operands = self.ins + self.outs
        self.sizes = loop_sizes(cg, self.operands, self.maps)
        iters = [t.data.value for t in op.get_iterator_types()]
        self.par = [d for d, t in enumerate(iters) if t == "parallel"]
        self.red = [d for d, t in enumerate(iters) if t != "parallel"]
        self.block: Block = op.body.block
        self.yield_op = self.block.last_op
        assert self.yield_op is not None
        self.n = len(self.sizes)

    def emit(self) -> None:
        if not self.red:
            self.elementwise()
        elif not (self.scan() or self.argreduce() or self.reduction()):
            self.sequential()

    # -- helpers --------------------------------------------------------------------------

    def body(self, space: Space) -> BodyCodegen:
        body = BodyCodegen(self.cg, space)
        for arg, value, amap in zip(self.block.args, self.operands, self.maps, strict=True):
            scalar = self.cg.scalar(value)
            if scalar is not None:
                body.values[arg] = Val(*scalar, frozenset())
            elif arg.uses:
                view, dims = arrange(self.cg.expr(value), amap, static_shape(value), space)
                body.values[arg] = Val(view, None, dims)
        return body

    def out_view(self, j: int, space: Space) -> str:
        value = self.outs[j]
        return arrange(self.cg.expr(value), self.maps[len(self.ins) + j], static_shape(value), space)[0]

    def aliased(self, j: int) -> bool:
        """Whether an input shares output `j`'s buffer, other than the output
        itself read where it is written (`acc = acc * c + x` updating a carried
        buffer in place): only the yielded value is written to the output, by
        the last statement, and a NumPy ufunc reading its own output is exact."""
        root, out_map = self.cg.root(self.outs[j]), self.maps[len(self.ins) + j]
        for k, v in enumerate(self.ins):
            if self.cg.root(v) != root:
                continue
            if len(self.outs) == 1 and (v is self.outs[j] or same_view(v, self.outs[j])) \
                    and self.maps[k] == out_map:
                continue
            return True
        return False

    def output_register(self, body: BodyCodegen, view: str) -> None:
        """Lets the body compute its full-size intermediates in the output view
        (one scratch buffer fewer; in place where an input is the output, the
        tile of a buffer an op overwrites): for one output written through the
        identity map that no op of the body reads and no input aliases."""
        out_map = self.maps[-1]
        if len(self.outs) != 1 or out_map != AffineMap.identity(self.n) or self.aliased(0) \
                or self.block.args[len(self.ins)].uses:
            return
        key = (np_dtype(self.yield_op.operands[0].type), frozenset(range(self.n)))
        reg = Reg(view, key, free=True, external=True)
        for arg, value in zip(self.block.args, self.ins, strict=False):
            if (value is self.outs[0] or same_view(value, self.outs[0])) and arg in body.values:
                body.values[arg].reg, reg.free = reg, False  # the input lives in the output view
        body.regs.append(reg)

    def full(self, val: Val, space: Space) -> str:
        """`val` with every loop dim present, as reductions need."""
        if val.dims == frozenset(range(self.n)):
            return val.expr
        return f"np.broadcast_to({val.expr}, {space.shape(frozenset(range(self.n)))})"

    def ops_except(self, *skip: Operation) -> list[Operation]:
        return [o for o in self.block.ops if o is not self.yield_op and o not in skip]

    # -- strategies -----------------------------------------------------------------------

    def elementwise(self) -> None:
        space = Space(self.sizes, list(range(self.n)))
        body = self.body(space)
        views = [self.out_view(j, space) for j in range(len(self.outs))]
        ops = self.ops_except()
        out_args = self.block.args[len(self.ins):]
        direct: dict[SSAValue, str] = {}
        self.output_register(body, views[0])
        for j, v in enumerate(self.yield_op.operands):
            owner = v.owner
            if v in direct or not isinstance(owner, Operation) or owner not in ops or self.aliased(j):
                continue
            if isinstance(owner, arith.ConstantOp | linalg.IndexOp):
                continue
            later = ops[ops.index(owner):]
            if not any(a in o.operands for o in later for a in out_args):
                direct[v] = views[j]
        body.run(ops, direct, keep=self.yield_op.operands)
        for j, v in enumerate(self.yield_op.operands):
            if body.val(v).expr != views[j]:
                self.cg.line(f"np.copyto({views[j]}, {body.val(v).expr})")

    def reduction(self) -> bool:
        red = reduction(self.op)
        if red is None or len(self.outs) != 1:
            return False
        comb, kind, e = red.combiners[0], red.kinds[0], red.values[0]
        ufunc = UFUNCS[kind]
        typ = self.yield_op.operands[0].type
        fresh = filled_with(self.op, self.outs[0]) == identity(kind, typ) and not self.aliased(0)
        if kind == "sum" and self.contraction(e, comb, fresh):
            return True
        space = Space(self.sizes, list(range(self.n)))
        body = self.body(space)
        body.run(self.ops_except(comb), {}, keep=[e])
        src = self.full(body.val(e), space)
        view = self.out_view(0, Space(self.sizes, self.par))
        axis = str(self.red[0]) if len(self.red) == 1 else tuple_text([str(d) for d in self.red])
        self.cg.comment(comb)
        if fresh:
            self.cg.line(f"{ufunc}.reduce({src}, axis={axis}, out={view})")
        else:
            part = f"{ufunc}.reduce({src}, axis={axis}, dtype={np_dtype(typ)})"
            self.cg.line(f"{ufunc}({view}, {part}, out={view})")
        return True

    def contraction(self, e: SSAValue, comb: Operation, fresh: bool) -> bool:
        """`sum(a * b)` over the reduction dims as one `np.matmul` (when it has
        that shape) or `np.einsum`; `a` and `b` are inputs or values the body
        computes first (a fused producer, as softmax before `@ v`)."""
        mul = e.owner
        if not isinstance(mul, arith.MulfOp | arith.MuliOp) or len(list(e.uses)) != 1:
            return False
        dims = [self.static_dims(v) for v in mul.operands]
        out_letters = "".join(_LETTERS[d] for d in self._dims(self.maps[-1]))
        have = {_LETTERS[d] for d in dims[0] | dims[1]}
        if not all(dims) or not set(out_letters) | {_LETTERS[d] for d in self.red} <= have:
            return False
        subs = ["".join(_LETTERS[d] for d in range(self.n) if d in ds) for ds in dims]
        args = list(self.block.args[:len(self.ins)])
        for k, v in enumerate(mul.operands):  # an input keeps its own axis order
            if v in args:
                subs[k] = self.einsum_operand(self.ins[args.index(v)], self.maps[args.index(v)])[1]
        order = _matmul_order(subs[0], subs[1], out_letters)
        if dtype_name(e.type) == "float16" and order is None:
            return False  # einsum would accumulate in float16
        space = Space(self.sizes, list(range(self.n)))
        body = self.body(space)
        body.run(self.ops_except(mul, comb), {}, keep=list(mul.operands))
        views = [self._factor(v, body.val(v), args) for v in mul.operands]
        if order is not None:
            call = "np.matmul(" + ", ".join(
                f"{view}.transpose({', '.join(str(sub.index(c)) for c in want)})" if sub != want else view
                for view, sub, want in zip(views, subs, order, strict=True))
        else:
            call = f"np.einsum('{subs[0]},{subs[1]}->{out_letters}', {views[0]}, {views[1]}"
        out = self.cg.expr(self.outs[0])
        self.cg.comment(comb)
        self.cg.line(f"{call}, out={out})" if fresh else f"np.add({out}, {call}), out={out})")
        return True

    def _factor(self, value: SSAValue, val: Val, args: list[SSAValue]) -> str:
        """A factor of a contraction with only its own dims as axes."""
        if value in args:
            k = args.index(value)
            return self.einsum_operand(self.ins[k], self.maps[k])[0]
        axes = [d for d in range(min(val.dims), self.n)]
        return subscript(val.expr, [":" if d in val.dims else "0" for d in axes])

    def static_dims(self, value: SSAValue) -> frozenset[int]:
        """The loop dims a body value varies along, read off the maps."""
        owner = value.owner
        if value in self.block.args:
            k = list(self.block.args).index(value)
            if k >= len(self.ins) or self.cg.scalar(self.operands[k]) is not None:
                return frozenset()
            return frozenset(d for r in self.maps[k].results
                             for d, c in enumerate(linear(r, self.n)[1]) if c)
        if isinstance(owner, linalg.IndexOp):
            return frozenset({owner.dim.value.data})
        if isinstance(owner, Operation) and owner.parent_block() is self.block:
            return frozenset().union(*(self.static_dims(v) for v in owner.operands))
        return frozenset()

    def _dims(self, amap: AffineMap) -> list[int]:
        return [linear(r, self.n)[1].index(1) for r in amap.results]

    def einsum_operand(self, value: SSAValue, amap: AffineMap) -> tuple[str, str]:
        items, letters = [], ""
        for expr in amap.results:
            start, coeffs = linear(expr, self.n)
            terms = [(d, c) for d, c in enumerate(coeffs) if c]
            if not terms:
                items.append(str(start))
                continue
            (d, c), = terms
            items.append(":" if (start, c) == (0, 1) else slice_text(start, c, self.sizes[d]))
            letters += _LETTERS[d]
        return subscript(self.cg.expr(value), items), letters

    def scan(self) -> bool:
        """The scan form: `np.cumsum` / `np.cumprod` of the scanned value along
        its reduction dim, written into the output with the scanned dim moved there."""
        form = scan(self.op)
        if form is None:
            return False
        active = [d for d in range(self.n) if d != form.i]
        space = Space(self.sizes, active)
        body = self.body(space)
        body.run(self.ops_except(*form.machinery), {}, keep=[form.value])
        val = body.val(form.value)
        src = val.expr if val.dims == frozenset(active) else \
            f"np.broadcast_to({val.expr}, {space.shape(frozenset(active))})"
        view = self.out_view(0, Space(self.sizes, self.par))
        i_pos, j_pos = self.par.index(form.i), active.index(form.j)
        target = view if i_pos == j_pos else f"np.moveaxis({view}, {i_pos}, {j_pos})"
        typ = self.yield_op.operands[0].type
        call = f"np.{form.kind}({src}, axis={j_pos}, dtype={np_dtype(typ)}"
        ident = 0 if form.kind == "cumsum" else 1
        self.cg.comment(self.yield_op.operands[0].owner)
        if filled_with(self.op, self.outs[0]) == ident and not self.aliased(0):
            self.cg.line(f"{call}, out={target})")
        else:
            ufunc = "np.add" if form.kind == "cumsum" else "np.multiply"
            self.cg.line(f"{ufunc}({target}, {call}), out={target})")
        return True

    def argreduce(self) -> bool:
        """The argmax / argmin form (docs/ir-levels.md section 2), with or without
        the NaN guard `ugt(x, best) and ord(best, best)` that makes the first NaN win."""
        arg = arg_reduction(self.op)
        if arg is None:
            return False
        kind, e = arg.kind.removeprefix("arg"), arg.value
        if filled_with(self.op, self.outs[0]) != identity(arg.kind, e.type) or \
                filled_with(self.op, self.outs[1]) != 0:
            return False
        space = Space(self.sizes, list(range(self.n)))
        body = self.body(space)
        body.run(self.ops_except(*arg.machinery), {}, keep=[e])
        src, r = self.full(body.val(e), space), self.red[0]
        pspace = Space(self.sizes, self.par)
        vview, iview = self.out_view(0, pspace), self.out_view(1, pspace)
        self.cg.comment(arg.compare)
        if dtype_name(self.outs[1].type) == "int64":
            self.cg.line(f"np.arg{kind}({src}, axis={r}, out={iview})")
        else:
            self.cg.line(f"np.copyto({iview}, np.arg{kind}({src}, axis={r}), casting='unsafe')")
        self.cg.line(f"np.{kind}imum.reduce({src}, axis={r}, out={vview})")
        return True

    def sequential(self) -> None:
        """Any body: a loop over the reduction dims, the parallel dims vectorized."""
        ks = [self.cg.fresh(f"k{d}") for d in self.red]
        space = Space(self.sizes, self.par, dict(zip(self.red, ks, strict=True)))
        views = [self.out_view(j, space) for j in range(len(self.outs))]
        # A dry run finds the scratch buffers, allocated once before the loops.
        dry = self.body(space)
        dry.line, dry.comment, dry.fresh = (lambda text: None), (lambda op: None), (lambda hint: hint)
        dry.alloc = None  # allocated below, under the names the loop body uses
        dry.run(self.ops_except(), {}, keep=self.yield_op.operands)
        for reg in dry.regs:
            self.cg.line(f"{reg.name} = np.empty({space.shape(reg.key[1])}, dtype={reg.key[0]})")
        self._loops(ks, space, views, 0)

    def _loops(self, ks: list[str], space: Space, views: list[str], depth: int) -> None:
        if depth < len(ks):
            with self.cg.block(f"for {ks[depth]} in range({self.sizes[self.red[depth]]})"):
                self._loops(ks, space, views, depth + 1)
            return
        body = self.body(space)
        body.hoisted = True
        body.run(self.ops_except(), {}, keep=self.yield_op.operands)
        out_args = list(self.block.args[len(self.ins):])
        for j, v in enumerate(self.yield_op.operands):
            if v is not out_args[j]:
                self.cg.line(f"np.copyto({views[j]}, {body.val(v).expr})")


def _matmul_order(a: str, b: str, out: str) -> tuple[str, str] | None:
    """The axis orders that make `einsum(a,b->out)` an `np.matmul` (`...ik`,
    `...kj` -> `...ij`, batch letters the same everywhere, or `a` a matrix
    without them, which matmul broadcasts), if any."""
    if len(out) < 2:
        return None
    batch, i, j = out[:-2], out[-2], out[-1]
    k = set(a) & set(b) - set(out)
    if len(k) != 1:
        return None
    (k,) = k
    want_a, want_b = batch + i + k, batch + k + j
    if batch and len(a) == 2 and sorted(a) == sorted(i + k):  # a matrix broadcast over the batch
        want_a = i + k
    if sorted(a) == sorted(want_a) and sorted(b) == sorted(want_b) and len(set(batch + i + j + k)) == len(out) + 1:
        return want_a, want_b
    return None


def emit_linalg(cg: Codegen, op: Operation) -> None:
    """The NumPy statements of one linalg op on memrefs."""
    if isinstance(op, linalg.FillOp):
        cg.line(f"{cg.expr(op.outputs[0])}.fill({cg.expr(op.inputs[0])})")
    elif isinstance(op, linalg.CopyOp):
        cg.line(f"np.copyto({cg.expr(op.outputs[0])}, {cg.expr(op.inputs[0])})")
    elif isinstance(op, linalg.TransposeOp):
        perm = ", ".join(str(p) for p in op.permutation.get_values())
        cg.line(f"np.copyto({cg.expr(op.outputs[0])}, {cg.expr(op.inputs[0])}.transpose({perm}))")
    elif isinstance(op, linalg.BroadcastOp):
        added = set(op.dimensions.get_values())
        rank = len(static_shape(op.init))
        items = ["None" if d in added else ":" for d in range(rank)]
        cg.line(f"np.copyto({cg.expr(op.init)}, {subscript(cg.expr(op.input), items)})")
    elif isinstance(op, linalg.ReduceOp):
        _reduce_op(cg, op)
    elif isinstance(op, linalg.MatmulOp) and _default_maps(op):
        a, b, c = (cg.expr(v) for v in (*op.inputs, op.outputs[0]))
        zero = filled_with(op, op.outputs[0]) == 0 and cg.root(op.outputs[0]) not in map(cg.root, op.inputs)
        cg.line(f"np.matmul({a}, {b}, out={c})" if zero else f"np.add({c}, np.matmul({a}, {b}), out={c})")
    elif isinstance(op, LinalgStructuredOperation):
        GenericRule(cg, op).emit()
    else:
        raise NotImplementedError(f"numpy backend: no rule for {op.name}")


def _default_maps(op: linalg.MatmulOp) -> bool:
    return [m.data for m in op.get_indexing_maps()] == list(op.get_default_indexing_maps())


def _reduce_op(cg: Codegen, op: linalg.ReduceOp) -> None:
    body = [o for o in op.body.block.ops if not isinstance(o, linalg.YieldOp)]
    if len(body) != 1 or body[0].name not in COMBINERS:
        raise NotImplementedError("numpy backend: linalg.reduce with a body other than one combiner")
    kind = COMBINERS[body[0].name]
    ufunc = UFUNCS[kind]
    dims = [str(d) for d in op.dimensions.get_values()]
    axis = dims[0] if len(dims) == 1 else tuple_text(dims)
    src, out = cg.expr(op.input), cg.expr(op.init)
    typ = op.init.type.get_element_type()
    if filled_with(op, op.init) == identity(kind, typ):
        cg.line(f"{ufunc}.reduce({src}, axis={axis}, out={out})")
    else:
        cg.line(f"{ufunc}({out}, {ufunc}.reduce({src}, axis={axis}, dtype={np_dtype(typ)}), out={out})")
