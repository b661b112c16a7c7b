"""Helpers of `convert-loops-to-device`: reading loop-level linalg ops.

Which buffer an operand views (`base_of`) and how it addresses it
(`access_of`), the static iteration space of a structured op, which ops
touch a buffer, and what a reduction body combines (`reduction_spec`).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import AffineMapAttr, ArrayAttr
from xdsl.dialects.linalg.ops import GenericOp, TransposeOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap
from xdsl.rewriter import Rewriter

from tfir.lowering.device_kernel_kinds import ReductionSpec
from tfir.lowering.device_kernels import Access, DeviceLoweringError, make_access

VIEWS = (memref.SubviewOp, memref.CollapseShapeOp, memref.ExpandShapeOp)
COMBINERS = {"arith.addf": "sum", "arith.addi": "sum", "arith.mulf": "prod",
              "arith.muli": "prod", "arith.maximumf": "max", "arith.maxsi": "max",
              "arith.minimumf": "min", "arith.minsi": "min"}
SHORT = {"addf": "add", "addi": "add", "subf": "sub", "subi": "sub", "mulf": "mul",
          "muli": "mul", "divf": "div", "divsi": "div", "maximumf": "max", "minimumf": "min",
          "maxsi": "max", "minsi": "min", "cmpf": "cmp", "cmpi": "cmp", "negf": "neg"}



def base_of(value: SSAValue) -> SSAValue:
    """The buffer a view is a view of (an argument, alloc or global)."""
    while isinstance(op := value.owner, Operation) and isinstance(op, VIEWS):
        value = op.operands[0]
    return value


def access_of(value: SSAValue, amap: AffineMap) -> Access:
    return make_access(base_of(value), value.type, amap)


def indexing_maps(op: Operation) -> list[AffineMap]:
    return [m.data for m in op.get_indexing_maps()]  # type: ignore[attr-defined]


def loop_ranges(op: Operation) -> tuple[int, ...]:
    """The static size of each iteration dim, read off the operands."""
    maps = indexing_maps(op)
    ranges: list[int | None] = [None] * maps[0].num_dims
    for operand, amap in zip(op.operands, maps, strict=True):
        for size, expr in zip(operand.type.get_shape(), amap.results, strict=False):
            if isinstance(expr, AffineDimExpr) and ranges[expr.position] is None:
                ranges[expr.position] = size
    if None in ranges:
        raise DeviceLoweringError(f"cannot infer the loop ranges of {op.name}")
    return tuple(r for r in ranges if r is not None)



def touches(op: Operation, base: SSAValue) -> bool:
    """Whether `op` reads or writes `base` (a view only names a part of it);
    a loop or branch of the program touches what the ops inside it touch."""
    if isinstance(op, VIEWS):
        return False
    if isinstance(op, scf.ForOp | scf.WhileOp | scf.IfOp):
        return any(touches(inner, base) for inner in op.walk() if inner is not op)
    return any(base_of(o) is base for o in op.operands)


def next_toucher(op: Operation, base: SSAValue) -> Operation | None:
    nxt = op.next_op
    while nxt is not None and not touches(nxt, base):
        nxt = nxt.next_op
    return nxt



def body_parts(op: Operation, skip: frozenset[Operation] = frozenset()) -> list[str]:
    """Short names of the computing ops of a body, for kernel names."""
    if not op.regions or not op.regions[0].blocks:
        return []
    return [SHORT.get(o.name.split(".")[1], o.name.split(".")[1])
            for o in op.regions[0].block.ops
            if o.dialect_name() in ("arith", "math") and o.name != "arith.constant"
            and o not in skip and not any(w in o.name for w in ("cast", "ext", "trunc"))]


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


_ARG_KIND = {"ogt": "argmax", "ugt": "argmax", "sgt": "argmax",
             "olt": "argmin", "ult": "argmin", "slt": "argmin"}


def arg_spec(block: Block, out_value: SSAValue) -> ReductionSpec | None:
    """An arg-reduction: a strict compare of some value with the running one."""
    for op in block.ops:
        if isinstance(op, arith.CmpfOp | arith.CmpiOp) and out_value in op.operands:
            names = (arith.CMPF_COMPARISON_OPERATIONS if isinstance(op, arith.CmpfOp)
                     else arith.CMPI_COMPARISON_OPERATIONS)
            kind = _ARG_KIND.get(names[op.predicate.value.data])
            value = op.operands[0] if op.operands[1] is out_value else op.operands[1]
            if kind is not None and value is not out_value:
                if op.operands[0] is out_value:  # `out < in` is `in > out`
                    kind = "argmin" if kind == "argmax" else "argmax"
                skip = frozenset(set(block.ops) - body_slice(block, [value]))
                return ReductionSpec([kind], [value], skip, None)
    return None


def reduction_spec(op: GenericOp) -> ReductionSpec:
    """Which combiner each output yields, and what it folds in."""
    block = op.body.block
    out_args = block.args[len(op.inputs):]
    yielded = list(block.last_op.operands)  # type: ignore[union-attr]
    if len(out_args) == 2 and isinstance(yielded[0].owner, arith.SelectOp):
        spec = arg_spec(block, out_args[0])
        if spec is None:
            raise DeviceLoweringError("expected an arg-reduction comparing with the running value")
        return spec
    kinds, values = [], []
    for val, arg in zip(yielded, out_args, strict=True):
        comb = val.owner
        if not isinstance(comb, Operation) or comb.name not in COMBINERS or arg not in comb.operands:
            raise DeviceLoweringError("expected a reduction body ending in a combiner")
        kinds.append(COMBINERS[comb.name])
        values.append(comb.operands[0] if comb.operands[1] is arg else comb.operands[1])
    return ReductionSpec(kinds, values, frozenset(set(block.ops) - body_slice(block, values)), None)


def is_reduction(op: Operation) -> bool:
    return isinstance(op, GenericOp) and any(
        it.data.value == "reduction" for it in op.iterator_types)


def _writes(op: Operation, base: SSAValue) -> bool:
    if isinstance(op, VIEWS) or op.name == "arith.constant":
        return False
    outs = getattr(op, "outputs", None)
    if outs is not None and op.dialect_name() == "linalg":
        return any(base_of(o) is base for o in outs)
    if isinstance(op, memref.CopyOp):
        return base_of(op.destination) is base
    return touches(op, base)  # a call may write any buffer it gets


def fold_transpose(op: TransposeOp) -> bool:
    """Makes the generics that read a transposed copy read its source through
    permuted maps instead (index arithmetic, no copy kernel). Only when the
    copy is a fresh buffer read by generics alone and the source is not
    overwritten before they run."""
    src, out = op.inputs[0], op.outputs[0]
    if not isinstance(out.owner, memref.AllocOp):
        return False
    readers = [u.operation for u in out.uses if u.operation is not op]
    if not readers or any(not isinstance(r, GenericOp) or r.parent is not op.parent
                          or out in r.outputs for r in readers):
        return False
    last, cur = readers, op.next_op
    pending = set(last)
    while cur is not None and pending:
        if _writes(cur, base_of(src)):
            return False
        pending.discard(cur)
        cur = cur.next_op
    if pending:
        return False  # a reader before the transpose: not ours to touch
    perm = [int(p) for p in op.permutation.get_values()]
    for reader in readers:
        maps = indexing_maps(reader)
        for i, operand in enumerate(reader.inputs):
            if operand is out:
                results = maps[i].results
                maps[i] = AffineMap(maps[i].num_dims, 0,
                                    tuple(results[perm.index(m)] for m in range(len(perm))))
                reader.operands[i] = src
        reader.indexing_maps = ArrayAttr([AffineMapAttr(m) for m in maps])
    Rewriter.erase_op(op)
    return True
