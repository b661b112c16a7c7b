"""What a linalg op computes, read off its iterators and its body: the one
classifier of `fuse-elementwise`, the NumPy passes and code generator and
the device lowering.

- elementwise: every iterator `parallel`;
- a reduction (`Reduction`): each output yields `combiner(value, out)`, the
  running value `out` used by its combiner alone; `COMBINERS` names the kind
  of each combiner and `identity` its identity for an element type;
- an arg-reduction (`ArgReduction`, docs/ir-levels.md section 2): the value
  and the index of the best element over one reduced dim, kept by two
  `arith.select`s on one strict comparison with the running value (for
  floats guarded by `ord(best, best)`, so the first NaN wins);
- a scan (`Scan`, the form of `cumsum` / `cumprod`): output dim `i` read as
  reduction dim `j`, the body folding `select(j <= i, value, identity)` into
  the output; not a reduction for the other consumers (what it folds in
  depends on the output's index);
- a contraction (`Contraction`, `is_contraction`): a `linalg.matmul`, or a
  sum of products `out + x * y` whose factors vary along different loop
  dims (a batched matmul, `softmax(s) @ v`); `sum(x * x)` over a row is a
  reduction, not a contraction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.dialects.builtin import AnyFloat, IndexType, IntegerType
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.ir.affine import AffineMap

COMBINERS: dict[str, str] = {
    "arith.addf": "sum", "arith.addi": "sum", "arith.mulf": "prod", "arith.muli": "prod",
    "arith.maximumf": "max", "arith.maxsi": "max", "arith.minimumf": "min", "arith.minsi": "min",
    "arith.maxnumf": "maxnum", "arith.minnumf": "minnum",
    "arith.ori": "or", "arith.andi": "and", "arith.xori": "xor",
}
"""The kind of reduction each combiner op makes (`maxnum` ignores NaNs, `max` keeps them)."""

_ARG_KINDS = {"ogt": "argmax", "ugt": "argmax", "sgt": "argmax",
              "olt": "argmin", "ult": "argmin", "slt": "argmin"}


def identity(kind: str, elem: Attribute) -> float | int:
    """The identity of a reduction `kind` (or arg-reduction) on `elem`:
    0, 1, all ones, -inf / +inf, or the integer extremes (`i1` compares
    unsigned, as bools do: false is the least)."""
    if kind in ("sum", "or", "xor"):
        return 0
    if kind == "prod":
        return 1
    bits = 64 if isinstance(elem, IndexType) else elem.width.data if isinstance(elem, IntegerType) else 0
    if kind == "and":
        return 1 if bits == 1 else -1
    low = kind in ("max", "maxnum", "argmax")
    if isinstance(elem, AnyFloat):
        return -math.inf if low else math.inf
    if bits == 1:
        return 0 if low else 1
    return -(1 << (bits - 1)) if low else (1 << (bits - 1)) - 1


def indexing_maps(op: Operation) -> list[AffineMap]:
    return [m.data for m in op.get_indexing_maps()]  # type: ignore[attr-defined]


def iterators(op: Operation) -> list[str]:
    return [it.data.value for it in op.get_iterator_types()]  # type: ignore[attr-defined]


def is_elementwise(op: Operation) -> bool:
    """A generic whose iterators are all `parallel`."""
    return isinstance(op, linalg.GenericOp) and all(it == "parallel" for it in iterators(op))


def body_slice(block: Block, values: Sequence[SSAValue]) -> set[Operation]:
    """The body ops the values are computed from."""
    needed: set[Operation] = set()
    work = [v.owner for v in values if isinstance(v.owner, Operation)]
    while work:
        op = work.pop()
        if op in needed or op.parent is not block:
            continue
        needed.add(op)
        work.extend(o.owner for o in op.operands if isinstance(o.owner, Operation))
    return needed


def value_dims(op: LinalgStructuredOperation, value: SSAValue) -> frozenset[int]:
    """The loop dims a value of the body varies along (read off the maps of
    the inputs it is computed from, and its `linalg.index`es)."""
    args = list(op.body.block.args)
    if value in args:
        amap = indexing_maps(op)[args.index(value)]
        return frozenset(d for e in amap.results for d in e.used_dims())
    owner = value.owner
    if isinstance(owner, linalg.IndexOp):
        return frozenset({owner.dim.value.data})
    if isinstance(owner, Operation) and owner.parent_block() is op.body.block:
        return frozenset().union(*(value_dims(op, v) for v in owner.operands))
    return frozenset()


# -- reductions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reduction:
    """A generic whose outputs each fold a body value in with a combiner."""

    op: LinalgStructuredOperation
    reduced: tuple[int, ...]  # the `reduction` loop dims
    combiners: tuple[Operation, ...]  # per output
    kinds: tuple[str, ...]  # per output, a value of COMBINERS
    values: tuple[SSAValue, ...]  # per output, what it folds in

    @property
    def product(self) -> Operation | None:
        """The multiplication a one-output sum folds in (`out + a * b`)."""
        if len(self.values) != 1 or self.kinds[0] != "sum":
            return None
        mul = self.values[0].owner
        return mul if isinstance(mul, arith.MulfOp | arith.MuliOp) else None


def reduction(op: Operation) -> Reduction | None:
    """`op` as a reduction, if it is one (a scan is not)."""
    if not isinstance(op, LinalgStructuredOperation) or all(it == "parallel" for it in iterators(op)):
        return None
    if scan(op) is not None:
        return None
    block = op.body.block
    out_args = block.args[len(op.inputs):]
    yielded = list(block.last_op.operands)  # type: ignore[union-attr]
    combiners, kinds, values = [], [], []
    for val, arg in zip(yielded, out_args, strict=True):
        comb = val.owner
        if not isinstance(comb, Operation) or comb.name not in COMBINERS:
            return None
        others = [v for v in comb.operands if v is not arg]
        if len(others) != 1 or any(use.operation is not comb for use in arg.uses):
            return None
        combiners.append(comb)
        kinds.append(COMBINERS[comb.name])
        values.append(others[0])
    reduced = tuple(d for d, it in enumerate(iterators(op)) if it != "parallel")
    return Reduction(op, reduced, tuple(combiners), tuple(kinds), tuple(values))


# -- scans ----------------------------------------------------------------------------

SCAN_KINDS = {"sum": "cumsum", "prod": "cumprod"}


@dataclass(frozen=True)
class Scan:
    """The inclusive scan along output dim `i`, read as reduction dim `j`
    (`convert-tf-to-linalg` builds it for `tf.cumsum` / `tf.cumprod`)."""

    op: LinalgStructuredOperation
    kind: str  # "cumsum" or "cumprod"
    i: int
    j: int
    value: SSAValue  # the body value scanned (indexed by j)
    machinery: frozenset[Operation]  # the two indexes, the compare, the select and the combiner


def scan(op: Operation) -> Scan | None:
    """`op` in the scan form `yield(comb(select(cmpi ule (index j, index i), v, identity), out))`,
    possibly with producers fused into its body."""
    if not isinstance(op, linalg.GenericOp) or len(op.outputs) != 1:
        return None
    iters = iterators(op)
    red = [d for d, it in enumerate(iters) if it != "parallel"]
    block = op.body.block
    comb = block.last_op.operands[0].owner if block.last_op and block.last_op.operands else None
    out_arg = block.args[-1]
    if len(red) != 1 or not isinstance(comb, Operation) or COMBINERS.get(comb.name) not in SCAN_KINDS \
            or out_arg not in comb.operands or len(list(out_arg.uses)) != 1:
        return None
    sel = (comb.operands[0] if comb.operands[1] is out_arg else comb.operands[1]).owner
    cmp = sel.cond.owner if isinstance(sel, arith.SelectOp) else None
    if not isinstance(cmp, arith.CmpiOp) or arith.CMPI_COMPARISON_OPERATIONS[cmp.predicate.value.data] != "ule":
        return None
    j_op, i_op = cmp.lhs.owner, cmp.rhs.owner
    if not (isinstance(j_op, linalg.IndexOp) and isinstance(i_op, linalg.IndexOp)):
        return None
    j, i = j_op.dim.value.data, i_op.dim.value.data
    if j != red[0] or iters[i] != "parallel":
        return None
    return Scan(op, SCAN_KINDS[COMBINERS[comb.name]], i, j, sel.lhs, frozenset({cmp, sel, comb, j_op, i_op}))


@dataclass(frozen=True)
class ArgReduction:
    """The argmax / argmin form: outputs (best value, its index)."""

    op: LinalgStructuredOperation
    kind: str  # "argmax" or "argmin"
    axis: int  # the reduced loop dim
    value: SSAValue  # the body value compared
    compare: Operation  # the strict comparison with the running value
    machinery: tuple[Operation, ...]  # the ops that keep the best value and index


def arg_reduction(op: Operation) -> ArgReduction | None:
    """`op` as an arg-reduction, with or without the NaN guard
    `ugt(x, best) and ord(best, best)`, if it is one."""
    if not isinstance(op, LinalgStructuredOperation) or len(op.outputs) != 2:
        return None
    reduced = [d for d, it in enumerate(iterators(op)) if it != "parallel"]
    block = op.body.block
    out_v, out_i = block.args[len(op.inputs):]
    sel_v, sel_i = (v.owner for v in block.last_op.operands)  # type: ignore[union-attr]
    if len(reduced) != 1 or not (isinstance(sel_v, arith.SelectOp) and isinstance(sel_i, arith.SelectOp)):
        return None
    if sel_i.cond != sel_v.cond or sel_v.rhs != out_v or sel_i.rhs != out_i:
        return None
    value, machinery = sel_v.lhs, [sel_v, sel_i]
    cmp = sel_v.cond.owner
    if isinstance(cmp, arith.AndIOp):  # the NaN guard: ord(best, best)
        guards = [v.owner for v in cmp.operands if _is_ord_of(v.owner, out_v)]
        rest = [v.owner for v in cmp.operands if not _is_ord_of(v.owner, out_v)]
        if len(guards) != 1 or len(rest) != 1:
            return None
        machinery += [cmp, guards[0]]
        cmp = rest[0]
    if not isinstance(cmp, arith.CmpfOp | arith.CmpiOp):
        return None
    names = arith.CMPF_COMPARISON_OPERATIONS if isinstance(cmp, arith.CmpfOp) \
        else arith.CMPI_COMPARISON_OPERATIONS
    kind = _ARG_KINDS.get(names[cmp.predicate.value.data])
    if list(cmp.operands) == [out_v, value] and kind is not None:  # `best < x` is `x > best`
        kind = "argmin" if kind == "argmax" else "argmax"
    elif list(cmp.operands) != [value, out_v]:
        return None
    index = sel_i.lhs.owner
    machinery += [cmp, index]
    if isinstance(index, arith.IndexCastOp):
        index = index.input.owner
        machinery.append(index)
    if kind is None or not isinstance(index, linalg.IndexOp) or index.dim.value.data != reduced[0]:
        return None
    return ArgReduction(op, kind, reduced[0], value, cmp, tuple(machinery))


def _is_ord_of(op: Operation | None, value: SSAValue) -> bool:
    """`arith.cmpf ord, %v, %v`: %v is not NaN."""
    return isinstance(op, arith.CmpfOp) and list(op.operands) == [value, value] and \
        arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data] == "ord"


# -- contractions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Contraction:
    """A generic sum of products `out + x * y` whose factors vary along
    different loop dims."""

    op: LinalgStructuredOperation
    sum: Operation  # the `arith.addf` / `addi` with the running value
    product: Operation  # the `arith.mulf` / `muli`
    factors: tuple[SSAValue, SSAValue]

    @property
    def direct(self) -> bool:
        """The body is the product of two inputs and the sum, nothing else."""
        ops = list(self.op.body.block.ops)
        inputs = self.op.body.block.args[:len(self.op.inputs)]
        return ops[:-1] == [self.product, self.sum] and all(f in inputs for f in self.factors)


def contraction(op: Operation) -> Contraction | None:
    """`op` as a generic contraction, if it is one."""
    red = reduction(op)
    product = red.product if red is not None else None
    if red is None or product is None:
        return None
    x, y = product.operands
    if value_dims(red.op, x) == value_dims(red.op, y):
        return None
    return Contraction(red.op, red.combiners[0], product, (x, y))


def is_contraction(op: Operation) -> bool:
    """A matmul or a generic contraction: work for BLAS, or for `tl.dot`."""
    return isinstance(op, linalg.MatmulOp) or contraction(op) is not None


def has_contraction(fn: Operation) -> bool:
    """Whether `fn` holds a contraction (work BLAS runs with its own threads)."""
    return any(is_contraction(op) for op in fn.walk())
