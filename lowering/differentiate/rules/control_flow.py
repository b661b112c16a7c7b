"""Gradient rules of structured control flow (spec, "Gradients"): `scf.if` by
a branch on the same condition, `scf.for` by a reverse loop over values the
forward loop saves per iteration.

`if`: the backward `scf.if` takes the same `i1`; each branch recomputes its
forward ops (a copy of the branch: it runs once, as the forward one did) and
then their backward ops, and yields the gradient of each active value the
branches use from outside (zeros where that branch does not use it).

`for` (a loop of N iterations, made to count 0..N-1 if it does not):
1. The forward loop carries one *tape* per value the backward needs, a tensor
   `[N, ...]` that iteration k writes its value into (`tf.scatter` at k): the
   carried values at the start of each iteration, and, unless the pass option
   `recompute` is set, every value of the body that a gradient rule reads
   (JAX's "save the residuals"). Memory: N x (the carried values + those
   residuals); with `recompute`, N x the carried values only, and the reverse
   loop recomputes the body's forward ops from them (one more forward pass).
2. The reverse loop runs k = N-1 .. 0. It carries the adjoint of each active
   carried value (starting from the adjoint of the loop's result) and one
   accumulator per active value the body uses from outside (a weight: its
   gradient is summed over the iterations). Its body reads iteration k's
   carried values from the tapes, holds a copy of the forward body (whose
   values the tapes replace where they saved them; the copies nothing uses are
   erased) and the backward ops of that body, seeded with the adjoints of the
   yielded values.
The loop's own operands are index bounds and the initial carried values: the
reverse loop's final adjoints are the gradients of those initial values.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IndexType, IntegerAttr, TensorType
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.traits import Pure

from tfir.dialects import tf
from tfir.dialects.dtypes import tensor_type
from tfir.lowering.differentiate.builder import GradBuilder, is_float, retyped, shape, track
from tfir.lowering.differentiate.errors import error_at
from tfir.lowering.differentiate.graph import active_values, captures, cone
from tfir.lowering.differentiate.options import RECOMPUTE
from tfir.lowering.differentiate.sweep import REGION_RULES, backprop, passes_gradient

# Op kinds a copy of which is never worth saving on a tape: cheaper to recompute than to read.
CHEAP = (tf.ConstantOp, arith.ConstantOp, arith.AddiOp, arith.MuliOp)



# -- helpers ----------------------------------------------------------------------------------


def _index(b: GradBuilder, value: int) -> SSAValue:
    return b.insert(arith.ConstantOp(IntegerAttr(value, IndexType()))).results[0]


def _constant_index(value: SSAValue, loop: Operation) -> int:
    owner = value.owner
    if not isinstance(owner, arith.ConstantOp) or not isinstance(owner.value, IntegerAttr):
        raise error_at(loop, "gradients through a for loop need its bounds to be compile-time integers")
    return owner.value.value.data


def clone_body(ops: Sequence[Operation], mapping: dict[SSAValue, SSAValue], b: GradBuilder) -> set[Operation]:
    """Copies `ops` at `b`'s insertion point (values mapped by `mapping`, which
    learns the copies' results); returns the copies."""
    out = set()
    for op in ops:
        copy = op.clone(value_mapper=mapping)
        Rewriter.insert_op(copy, b.point)
        out.add(track(copy))
    return out


def erase_unused(block: Block, candidates: set[Operation]) -> None:
    """Erases the ops of `candidates` (copies of forward ops) whose results nothing
    uses, last first, so chains of them go too. Their side effects (index checks)
    already happened in the forward program, on the same values."""
    for op in reversed(list(block.ops)):
        if op in candidates and all(not r.uses for r in op.results):
            Rewriter.erase_op(op)


# -- if ---------------------------------------------------------------------------------------


def _if_rule(b: GradBuilder, op: Operation, grads: list[SSAValue | None],
             active: set[SSAValue]) -> list[tuple[SSAValue, SSAValue]]:
    assert isinstance(op, scf.IfOp)
    wrt = [v for v in captures(op) if v in active and is_float(v)]
    if not wrt:
        return []
    blocks = []
    for region in (op.true_region, op.false_region):
        block = Block()
        rb = GradBuilder(InsertPoint.at_end(block), op.location)
        mapping: dict[SSAValue, SSAValue] = {}
        src = region.blocks[0] if region.blocks else None
        body = list(src.ops) if src is not None else []
        yielded = list(body[-1].operands) if body and isinstance(body[-1], scf.YieldOp) else list(op.results)
        copies = clone_body([o for o in body if not isinstance(o, scf.YieldOp)], mapping, rb)
        seeds = [(mapping.get(v, v), g) for v, g in zip(yielded, grads, strict=True)
                 if g is not None and is_float(v)]
        contributions = backprop(rb, seeds, wrt, scope=block)
        rb.location = op.location
        outs = [c if c is not None else rb.zeros_like(v) for c, v in zip(contributions, wrt, strict=True)]
        yield_op = scf.YieldOp(*outs)
        yield_op.location = op.location
        block.add_op(yield_op)
        erase_unused(block, copies)
        blocks.append(block)
    backward = b.insert(scf.IfOp(op.cond, [v.type for v in wrt], Region(blocks[0]), Region(blocks[1])))
    return list(zip(wrt, backward.results, strict=True))


# -- for: rebuilding the forward loop ----------------------------------------------------------


def rebuild(loop: scf.ForOp, drop: Sequence[int] = (), tapes: Sequence[SSAValue] = (),
            n: int = 0) -> tuple[scf.ForOp, list[SSAValue]]:
    """`loop` rebuilt counting 0..n-1 with step 1 (its body gets the original
    induction value as `lb + k * step`), without the carried values at
    positions `drop` (unused tapes), and with a tape for each of `tapes` (values
    of its body): returns the new loop and the tapes it gives."""
    body = loop.body.block
    lb, step = _constant_index(loop.lb, loop), _constant_index(loop.step, loop)
    old_yield = body.last_op
    assert isinstance(old_yield, scf.YieldOp)
    keep = [j for j in range(len(loop.results)) if j not in drop]
    tape_types = [retyped(v, [n, *shape(v)]) for v in tapes]
    new_body = Block(arg_types=[IndexType(), *(body.args[1 + j].type for j in keep), *tape_types])
    before = GradBuilder(InsertPoint.before(loop), loop.location)
    inits = [loop.iter_args[j] for j in keep] + [before.fill(0.0, t) for t in tape_types]
    bounds = [_index(before, v) for v in (0, n, 1)]
    inner = GradBuilder(InsertPoint.at_start(new_body), loop.location)
    k = new_body.args[0]
    iv = k if (lb, step) == (0, 1) else inner.insert(arith.AddiOp(
        _index(inner, lb), inner.insert(arith.MuliOp(k, _index(inner, step))).results[0])).results[0]
    body.args[0].replace_all_uses_with(iv)
    remap: dict[SSAValue, SSAValue] = {}
    for j, arg in zip(keep, new_body.args[1:], strict=False):
        arg.name_hint = body.args[1 + j].name_hint
        body.args[1 + j].replace_all_uses_with(arg)
        remap[body.args[1 + j]] = arg
    for op in list(body.ops):
        op.detach()
        new_body.add_op(op)
    at_end = GradBuilder(InsertPoint.before(old_yield), old_yield.location)
    index = at_end.insert(tf.FromIndexOp(k, tensor_type("i32", ()))).results[0] if tapes else None
    written = [at_end.insert(tf.ScatterOp(arg, index, remap.get(v, v), 0)).results[0]
               for arg, v in zip(new_body.args[1 + len(keep):], tapes, strict=True)]
    new_yield = scf.YieldOp(*[old_yield.operands[j] for j in keep], *written)
    new_yield.location = old_yield.location
    writes = [old_yield.operands[j] for j in drop]
    Rewriter.replace_op(old_yield, new_yield)
    for value in writes:  # a dropped tape's write, and its index when nothing else reads it
        _erase_chain(value)
    new_loop = scf.ForOp(*bounds, inits, new_body)
    new_loop.location = loop.location
    Rewriter.insert_op(new_loop, InsertPoint.before(loop))
    for j, r in zip(keep, new_loop.results, strict=False):
        r.name_hint = loop.results[j].name_hint
        loop.results[j].replace_all_uses_with(r)
    dropped = [loop.iter_args[j] for j in drop] + [loop.lb, loop.ub, loop.step]
    Rewriter.erase_op(loop)
    for value in dropped:
        _erase_chain(value)
    return new_loop, list(new_loop.results[len(keep):])


def _erase_chain(value: SSAValue) -> None:
    """Erases the op defining `value` if nothing uses it, then its operands' (a dead tape's writes, fills)."""
    op = value.owner
    if not isinstance(op, Operation) or value.uses or op.regions or isinstance(op, scf.ForOp):
        return
    if any(r.uses for r in op.results) or not op.has_trait(Pure):
        return
    operands = list(op.operands)
    Rewriter.erase_op(op)
    for v in operands:
        if isinstance(v.owner, Operation) and not isinstance(v.owner, scf.ForOp):
            _erase_chain(v)


# -- for: the reverse loop ---------------------------------------------------------------------


def _active_carries(loop: scf.ForOp, wrt_captures: list[SSAValue], active: set[SSAValue]) -> list[int]:
    """Positions of the carried values that depend on what is differentiated by."""
    body = loop.body.block
    yielded = list(body.last_op.operands)
    carried = list(body.args[1:])
    act = {j for j, v in enumerate(loop.iter_args) if v in active and is_float(v)}
    while True:
        order = cone(yielded, scope=body)
        live = active_values(order, [carried[j] for j in act] + wrt_captures, passes_gradient)
        more = act | {j for j, v in enumerate(yielded) if v in live and is_float(v)}
        if more == act:
            return sorted(act)
        act = more


def _for_rule(b: GradBuilder, op: Operation, grads: list[SSAValue | None],
              active: set[SSAValue]) -> list[tuple[SSAValue, SSAValue]]:
    assert isinstance(op, scf.ForOp)
    caps = [v for v in captures(op) if v in active and is_float(v)]
    act = _active_carries(op, caps, active)
    lb, ub, step = (_constant_index(v, op) for v in (op.lb, op.ub, op.step))
    n = len(range(lb, ub, step))
    if n == 0 or not any(grads[j] is not None for j in act):
        return [(op.iter_args[j], grads[j]) for j in act if grads[j] is not None]
    carried_types = [a.type for a in op.body.block.args[1:]]
    loop, carry_tapes = rebuild(op, tapes=list(op.body.block.args[1:]), n=n)
    # rebuild() passed the block arguments themselves as values to save: the
    # new body's arguments (the carried values at the start of the iteration).
    return _reverse(b, loop, carry_tapes, carried_types, act, caps, grads, n)


def _reverse(b: GradBuilder, loop: scf.ForOp, carry_tapes: list[SSAValue], carried_types: list,
             act: list[int], caps: list[SSAValue], grads: list[SSAValue | None],
             n: int) -> list[tuple[SSAValue, SSAValue]]:
    fwd = loop.body.block
    m = len(carried_types)
    adj_init = [grads[j] if grads[j] is not None else b.fill(0.0, carried_types[j]) for j in act]
    acc_init = [b.fill(0.0, v.type) for v in caps]
    body = Block(arg_types=[IndexType(), *(v.type for v in adj_init), *(v.type for v in acc_init)])
    rb = GradBuilder(InsertPoint.at_end(body), loop.location)
    # k = (n - 1) - kr, as the frontend writes a negative step (the index ops
    # the stages after `tf` know: addi, muli)
    k = rb.insert(arith.AddiOp(_index(rb, n - 1), rb.insert(arith.MuliOp(body.args[0], _index(rb, -1))).results[0])).results[0]
    k_t = rb.insert(tf.FromIndexOp(k, tensor_type("i32", ()))).results[0]
    reads = [_take_row(rb, tape, k_t) for tape in carry_tapes]
    mapping: dict[SSAValue, SSAValue] = {fwd.args[0]: k}
    mapping.update({fwd.args[1 + j]: reads[j] for j in range(m)})
    forward_ops = [o for o in fwd.ops if not isinstance(o, scf.YieldOp)]
    yielded = list(fwd.last_op.operands)[:m]
    copies = clone_body(forward_ops, mapping, rb)
    seeds = [(mapping.get(yielded[j], yielded[j]), a) for j, a in zip(act, body.args[1:1 + len(act)], strict=True)]
    wrt = [reads[j] for j in act] + caps
    contributions = backprop(rb, seeds, wrt, scope=body)
    rb.location = loop.location
    adj = [c if c is not None else rb.zeros_like(reads[j])
           for c, j in zip(contributions[:len(act)], act, strict=True)]
    accs = [acc if c is None else _accumulate(rb, acc, c)
            for acc, c in zip(body.args[1 + len(act):], contributions[len(act):], strict=True)]
    yield_op = scf.YieldOp(*adj, *accs)
    yield_op.location = loop.location
    body.add_op(yield_op)
    reverse = b.insert(scf.ForOp(_index(b, 0), _index(b, n), _index(b, 1), [*adj_init, *acc_init], body))
    inits = [loop.iter_args[j] for j in act]
    if not RECOMPUTE.get():
        loop = _save_residuals(loop, body, copies, mapping, k_t, n)
    erase_unused(body, copies | {r.owner for r in reads})
    _drop_unused_tapes(loop, m)
    results = list(reverse.results)
    return list(zip(inits, results[:len(act)], strict=True)) + list(zip(caps, results[len(act):], strict=True))


def _cheap(op: Operation, copies: set[Operation]) -> bool:
    """Ops whose copy is cheaper to recompute than to save: constants, index
    arithmetic, and a gather from a value the loop does not change (`xs[t]`
    reads its row again)."""
    if isinstance(op, CHEAP + (tf.FromIndexOp, tf.CheckIndexOp)):
        return True
    return isinstance(op, tf.TakeOp | tf.TakeAlongAxisOp) and op.operands[0].owner not in copies


def _take_row(b: GradBuilder, tape: SSAValue, index: SSAValue) -> SSAValue:
    return b.insert(tf.TakeOp(tape, index, 0, retyped(tape, shape(tape)[1:]))).results[0]


def _accumulate(b: GradBuilder, acc: SSAValue, grad: SSAValue) -> SSAValue:
    """`acc + grad`; a gradient made by scatter_add into zeros (of a gather) is
    scattered into the accumulator instead, so no full-size add per iteration."""
    owner = grad.owner
    if isinstance(owner, tf.ScatterAddOp) and _is_zero_fill(owner.input) and len(list(owner.input.uses)) == 1:
        return b.insert(tf.ScatterAddOp(acc, owner.indices, owner.updates, owner.axis_value)).results[0]
    return b.add(acc, grad)


def _is_zero_fill(value: SSAValue) -> bool:
    op = value.owner
    if isinstance(op, tf.BroadcastToOp):
        op = op.input.owner
    if not isinstance(op, tf.ConstantOp):
        return False
    values = op.value.get_values()
    return len(values) >= 1 and all(v == 0 for v in values)


def _save_residuals(loop: scf.ForOp, body: Block, copies: set[Operation], mapping: dict[SSAValue, SSAValue],
                    k_t: SSAValue, n: int) -> scf.ForOp:
    """Tapes the forward values the backward ops read, and reads them in `body`."""
    original = {copy: orig for orig, copy in mapping.items()}
    residuals = []
    for op in body.ops:
        if op in copies or op is k_t.owner:
            continue
        for v in op.operands:
            if v.owner in copies and not _cheap(v.owner, copies) and v not in residuals \
                    and isinstance(v.type, TensorType) and v in original:
                residuals.append(v)
    if not residuals:
        return loop
    loop, tapes = rebuild(loop, tapes=[original[v] for v in residuals], n=n)
    rb = GradBuilder(InsertPoint.after(k_t.owner), loop.location)
    for v, tape in zip(residuals, tapes, strict=True):
        v.replace_all_uses_with(_take_row(rb, tape, k_t))
    return loop


def _drop_unused_tapes(loop: scf.ForOp, first: int) -> None:
    unused = [j for j in range(first, len(loop.results)) if not loop.results[j].uses]
    if unused:
        rebuild(loop, drop=unused, n=_constant_index(loop.ub, loop))


REGION_RULES[scf.IfOp.name] = _if_rule
REGION_RULES[scf.ForOp.name] = _for_rule
