"""`batch-loop-accumulations`: a sum over a loop's iterations of products of
per-iteration values becomes one product of the stacked values after the loop.

Precondition: the `tf` form (docs/ir-levels.md, level 1), loops as `scf.for`
with tensor-typed carried values.

Produces the same form. A float value `acc` that a `for` loop (constant
bounds, step 1) carries only to add a term to it, `acc = acc + e` (nothing
else in the body reads `acc`, nothing else uses the sum), where the term is

- `matmul(a, b)` of 2-D per-iteration values `a` [M, K] and `b` [K, N], each
  possibly a `transpose` of one: the sum over the iterations is one matmul
  of `a` stacked along K and `b` stacked along K, [M, n K] x [n K, N];
- `sum(v, axes)` (possibly reshaped): one `sum` of the stacked `v`, when
  `v` is stacked anyway (a matmul term's factor, or the rows of a tensor),

is no longer carried: the loop records every per-iteration value the term
reads on a *tape* (a carried `[n, ...]` tensor that iteration t writes row
`r(t)` of), and after the loop `acc` is its initial value plus the batched
term. A value that is already a row of a loop-invariant tensor read at the
row index, `x[r(t)]` with `r` visiting each of x's n rows once, is not taped:
the stack is `x` itself. The row index `r` is such a read's index if there is
one (a reverse loop reads its tapes at `n - 1 - k`), else the loop variable.

This is the batching a hand-written backward pass of an RNN does after its
reverse loop, `gw = X^T dZ` instead of `gw += x_t^T dz_t` per step: a reverse
loop built by `differentiate` accumulates the gradient of every weight that
way. One large matmul uses the BLAS better than n small ones and drops the
accumulator's per-iteration read-add-write; the price is a tape of the
per-iteration values that are not rows of a tensor already (the `dz_t`), n
times their size. The sums are reassociated (the same terms, summed in
another order).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import builtin, scf
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.traits import Pure

from tfir.dialects import tf
from tfir.dialects.builtins import splat
from tfir.dialects.dtypes import tensor_type
from tfir.lowering.utils.loop_carries import (
    defined_outside,
    exact_rows,
    recarry,
    tape_type,
    trip_count,
)


def _shape(value: SSAValue) -> list[int]:
    assert isinstance(value.type, TensorType)
    return list(value.type.get_shape())


def _is_float(value: SSAValue) -> bool:
    return isinstance(value.type, TensorType) and value.type.get_element_type().name.startswith("f")


def _untransposed(value: SSAValue) -> tuple[SSAValue, bool]:
    """(v, True) when `value` is `transpose(v)` of a 2-D v, else (value, False)."""
    owner = value.owner
    if isinstance(owner, tf.TransposeOp) and owner.perm_tuple == (1, 0):
        return owner.input, True
    return value, False


@dataclass
class Term:
    """An accumulator `acc = acc + e` and the per-iteration values `e` reads."""

    position: int  # of the carried value
    add: tf.AddOp
    term: SSAValue
    leaves: list[SSAValue]  # the per-iteration values to stack


@dataclass
class Plan:
    loop: scf.ForOp
    rows: int
    index: SSAValue | None  # the 0-d row index tensor in the body (None: the loop variable)
    terms: list[Term] = field(default_factory=list)


def _leaves(term: SSAValue) -> list[SSAValue] | None:
    owner = term.owner
    if isinstance(owner, tf.ReshapeOp):  # a sum's reshape (keepdims=True, then the accumulator's shape)
        inner = owner.input.owner
        return [inner.input] if isinstance(inner, tf.SumOp) and inner.result.has_one_use() else None
    if isinstance(owner, tf.SumOp):
        return [owner.input]
    if isinstance(owner, tf.MatmulOp) and len(_shape(owner.lhs)) == 2 and len(_shape(owner.rhs)) == 2:
        return [_untransposed(owner.lhs)[0], _untransposed(owner.rhs)[0]]
    return None


def _term(loop: scf.ForOp, j: int) -> Term | None:
    arg = loop.body.block.args[1 + j]
    if not _is_float(arg) or not arg.has_one_use():
        return None
    add = next(iter(arg.uses)).operation
    yielded = loop.body.block.last_op
    if not isinstance(add, tf.AddOp) or add.result.type != arg.type or not add.result.has_one_use() \
            or next(iter(add.result.uses)).operation is not yielded or yielded.operands[j] is not add.result:
        return None
    term = add.rhs if add.lhs is arg else add.lhs
    if term is arg or term.type != arg.type or not term.has_one_use():
        return None
    leaves = _leaves(term)
    if leaves is None or any(defined_outside(v, loop) for v in leaves):
        return None  # an invariant factor: not a product of per-iteration values
    return Term(j, add, term, leaves)


def _stacked_row(value: SSAValue, plan: Plan) -> SSAValue | None:
    """x when `value` is `x[index]` of a loop-invariant x whose rows the loop reads once each."""
    owner = value.owner
    if isinstance(owner, tf.TakeOp) and owner.axis_value == 0 and plan.index is not None \
            and owner.indices is plan.index and defined_outside(owner.input, plan.loop) \
            and _shape(owner.input)[0] == plan.rows:
        return owner.input
    return None


def _plan(loop: scf.ForOp) -> Plan | None:
    rows = trip_count(loop)
    if not rows:
        return None
    terms = [t for j in range(len(loop.results)) if (t := _term(loop, j)) is not None]
    if not terms:
        return None
    plan = Plan(loop, rows, None, terms)
    for leaf in (v for t in terms for v in t.leaves):
        owner = leaf.owner
        if isinstance(owner, tf.TakeOp) and exact_rows(loop, owner.indices) == rows:
            plan.index = owner.indices
            break
    if plan.index is None and loop.lb.owner.value.value.data != 0:  # type: ignore[union-attr]
        return None  # rows are written at the loop variable: it must count from 0
    # A sum alone gains nothing from a tape of its own (n times the memory for
    # one reduction instead of n): it is batched only when its value is stacked
    # anyway, on a matmul's tape or as the rows of a tensor.
    products = {v for t in terms if isinstance(t.term.owner, tf.MatmulOp) for v in t.leaves}
    plan.terms = [t for t in terms if isinstance(t.term.owner, tf.MatmulOp)
                  or all(v in products or _stacked_row(v, plan) is not None for v in t.leaves)]
    return plan if plan.terms else None


def _batch(plan: Plan) -> None:
    loop = plan.loop
    taped: list[SSAValue] = []
    for leaf in (v for t in plan.terms for v in t.leaves):
        if _stacked_row(leaf, plan) is None and leaf not in taped:
            taped.append(leaf)
    stacks: dict[SSAValue, SSAValue] = {v: s for t in plan.terms for v in t.leaves
                                        if (s := _stacked_row(v, plan)) is not None}
    before = InsertPoint.before(loop)
    inits = [_insert(splat(0.0, tape_type(v, plan.rows)), before, loop) for v in taped]
    inits_acc = [loop.iter_args[t.position] for t in plan.terms]
    terms = [(t.term, t.leaves, loop.results[t.position]) for t in plan.terms]
    for t in plan.terms:  # the accumulators go: their sums are made after the loop
        loop.body.block.last_op.operands[t.position] = loop.body.block.args[1 + t.position]
        Rewriter.erase_op(t.add)

    old_body = loop.body.block
    kept = [j for j in range(len(loop.results)) if j not in {t.position for t in plan.terms}]

    def fresh(v: SSAValue, body: Block) -> SSAValue:
        """`v`, or the rebuilt body's argument for an argument of the old one (a carried leaf)."""
        if not isinstance(v, BlockArgument) or v.block is not old_body:
            return v
        return body.args[0] if v.index == 0 else body.args[1 + kept.index(v.index - 1)]

    def write(args: list[BlockArgument], at: InsertPoint) -> list[SSAValue]:
        index = plan.index
        if index is None:  # the loop variable of the rebuilt body (`at` is in it)
            index = _insert(tf.FromIndexOp(at.block.args[0], tensor_type("i32", ())), at, loop)
        return [_insert(tf.ScatterOp(arg, index, fresh(v, at.block), 0), at, loop)
                for arg, v in zip(args, taped, strict=True)]

    results = [r for _, _, r in terms]
    placeholders = [_insert(splat(0.0, r.type), before, loop) for r in results]
    for r, p in zip(results, placeholders, strict=True):
        r.replace_all_uses_with(p)
    new_loop, tapes = recarry(loop, [t.position for t in plan.terms], inits, write)
    stacks.update(zip(taped, tapes, strict=True))
    after = _After(new_loop)
    for (term, leaves, _), init, p in zip(terms, inits_acc, placeholders, strict=True):
        total = after.batched(term, [stacks[v] for v in leaves], plan.rows)
        p.replace_all_uses_with(after.add(init, total))
        Rewriter.erase_op(p.owner)
    for term, _, _ in terms:
        _erase_tree(term)


def _insert(ops: Operation | list[Operation], at: InsertPoint, like: Operation) -> SSAValue:
    """Inserts `ops` (one op, or the ops of a large `splat`) and returns the last one's result."""
    ops = ops if isinstance(ops, list) else [ops]
    for op in ops:
        op.location = like.location
    Rewriter.insert_op(ops, at)
    return ops[-1].results[0]


def _erase_tree(value: SSAValue) -> None:
    """Erases the op of `value` and, recursively, its operands' ops left unused."""
    op = value.owner
    if not isinstance(op, Operation) or op.regions or any(r.uses for r in op.results) or not op.has_trait(Pure):
        return
    operands = list(op.operands)
    Rewriter.erase_op(op)
    for v in operands:
        _erase_tree(v)


class _After:
    """Builds the batched terms after the loop, at the location of the term."""

    def __init__(self, loop: scf.ForOp):
        self.at = InsertPoint.after(loop)
        self.loc = loop.location
        self.cache: dict[tuple, SSAValue] = {}

    def op(self, op: Operation) -> SSAValue:
        op.location = self.loc
        Rewriter.insert_op(op, self.at)
        self.at = InsertPoint.after(op)
        return op.results[0]

    def reshape(self, x: SSAValue, shape: list[int]) -> SSAValue:
        if _shape(x) == shape:
            return x
        key = ("reshape", x, tuple(shape))
        if key not in self.cache:
            self.cache[key] = self.op(tf.ReshapeOp(x, _typed(x, shape)))
        return self.cache[key]

    def transpose(self, x: SSAValue, perm: list[int]) -> SSAValue:
        key = ("transpose", x, tuple(perm))
        if key not in self.cache:
            shape = _shape(x)
            self.cache[key] = self.op(tf.TransposeOp(x, perm, _typed(x, [shape[p] for p in perm])))
        return self.cache[key]

    def add(self, init: SSAValue, total: SSAValue) -> SSAValue:
        owner = init.owner
        if isinstance(owner, tf.BroadcastToOp):
            owner = owner.input.owner
        if isinstance(owner, tf.ConstantOp) and all(v == 0 for v in owner.value.get_values()):
            return total  # the accumulator starts at zero (a sum over no iteration would be +0.0 too)
        return self.op(tf.AddOp(init, total, init.type))

    def batched(self, term: SSAValue, stacks: list[SSAValue], n: int) -> SSAValue:
        owner = term.owner
        self.loc = owner.location
        if isinstance(owner, tf.MatmulOp):
            lhs, rhs = self.stacked_lhs(owner.lhs, stacks[0], n), self.stacked_rhs(owner.rhs, stacks[1], n)
            return self.op(tf.MatmulOp(lhs, rhs, term.type))
        summed = owner.input.owner if isinstance(owner, tf.ReshapeOp) else owner
        assert isinstance(summed, tf.SumOp)
        axes = [0, *(a + 1 for a in summed.axes_tuple)]
        kept = [d for i, d in enumerate(_shape(stacks[0])) if i not in axes]
        total = self.op(tf.SumOp(stacks[0], axes, False, _typed(stacks[0], kept)))
        return self.reshape(total, _shape(term))

    def stacked_lhs(self, a: SSAValue, stack: SSAValue, n: int) -> SSAValue:
        """[M, n K]: the rows a_t [M, K] side by side."""
        _, transposed = _untransposed(a)
        if transposed:  # a_t = p_t^T, p_t [K, M]: (p stacked along K)^T
            k, m = _shape(stack)[1:]
            return self.transpose(self.reshape(stack, [n * k, m]), [1, 0])
        m, k = _shape(stack)[1:]
        return self.reshape(self.transpose(stack, [1, 0, 2]), [m, n * k])

    def stacked_rhs(self, b: SSAValue, stack: SSAValue, n: int) -> SSAValue:
        """[n K, N]: the b_t [K, N] one below the other."""
        _, transposed = _untransposed(b)
        if transposed:  # b_t = r_t^T, r_t [N, K]
            nn, k = _shape(stack)[1:]
            return self.reshape(self.transpose(stack, [0, 2, 1]), [n * k, nn])
        k, nn = _shape(stack)[1:]
        return self.reshape(stack, [n * k, nn])


def _typed(like: SSAValue, shape: list[int]) -> TensorType:
    assert isinstance(like.type, TensorType)
    return TensorType(like.type.get_element_type(), shape)


@dataclass(frozen=True)
class BatchLoopAccumulationsPass(ModulePass):
    """Sums over a loop of products of per-iteration values -> one product of their tapes."""

    name = "batch-loop-accumulations"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        for loop in [o for o in op.walk() if isinstance(o, scf.ForOp)]:
            plan = _plan(loop)
            if plan is not None:
                _batch(plan)
