"""Building the functions of `split-batch` from its analysis (classify.py):

- `chunk`: the entry on `rows` rows of the batch (the batched arguments and
  every row value retyped to that many rows; unbatched values that are the
  same for every row rebuilt at that length); returns the row results, then
  one partial result per reduction over the batch (two for logsumexp);
- `combine`: two sets of partial results to one (add, maximum, minimum,
  multiply; logsumexp's pairs `(m, s)` as `m = max(m1, m2)`,
  `s = s1 exp(m1 - m) + s2 exp(m2 - m)`), associative, so chunks combine as
  a tree;
- `finalize`: the combined partial results and the unbatched arguments to the
  other results (each reduction over the batch computed from its partial
  result, then everything that follows it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.dialects import func
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.transforms.dead_code_elimination import region_dce

from tfir.dialects import tf
from tfir.dialects.shape_rules import broadcast_shapes
from tfir.dialects.tf.base import elem_of, shape_of
from tfir.lowering.split_batch.classify import (
    ELEMENTWISE,
    FIN,
    INV,
    Analysis,
    Partial,
    Row,
    rank,
)
from tfir.lowering.utils.constants import dense_attr, splat_scalar

COMBINE_OPS = {"sum": tf.AddOp, "mean": tf.AddOp, "matmul": tf.AddOp, "max": tf.MaximumOp,
               "min": tf.MinimumOp, "prod": tf.MulOp}


def retyped(typ: Attribute, axis: int, size: int) -> TensorType:
    assert isinstance(typ, TensorType)
    shape = list(typ.get_shape())
    shape[axis] = size
    return TensorType(typ.get_element_type(), shape)


def like(value: SSAValue, shape: tuple[int, ...] | list[int]) -> TensorType:
    return TensorType(elem_of(value), list(shape))


@dataclass
class Slot:
    """One partial result: how two of them combine, and its type."""

    kind: str  # a key of COMBINE_OPS, or "lse-max" / "lse-sum" (a pair, in this order)
    type: Attribute
    at: Operation  # the reduction over the batch: its location is the combine ops'


class _Emitter:
    """Appends ops to a block, each with the location of the op it comes from."""

    def __init__(self, block: Block):
        self.block = block
        self.at: Operation | None = None

    def add(self, op: Operation) -> SSAValue:
        if self.at is not None:
            op.location = self.at.location
        self.block.add_op(op)
        return op.results[0]

    def binary(self, cls: type, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        shape = broadcast_shapes(shape_of(lhs), shape_of(rhs))
        assert shape is not None
        return self.add(cls(lhs, rhs, like(lhs, shape)))  # type: ignore[arg-type]


@dataclass
class SplitBuilder:
    analysis: Analysis
    rows: int  # rows of a chunk
    slots: list[Slot] = field(default_factory=list)

    @property
    def entry(self) -> func.FuncOp:
        return self.analysis.entry

    @property
    def results(self) -> list[SSAValue]:
        ret = self.entry.body.block.last_op
        assert isinstance(ret, func.ReturnOp)
        return list(ret.arguments)

    def row_results(self) -> list[int]:
        return [i for i, v in enumerate(self.results) if isinstance(self.analysis.kind(v), Row)]

    def final_results(self) -> list[int]:
        return [i for i, v in enumerate(self.results) if not isinstance(self.analysis.kind(v), Row)]

    def _body_ops(self) -> list[Operation]:
        return [op for op in self.entry.body.block.ops if not isinstance(op, func.ReturnOp)]

    # -- chunk ---------------------------------------------------------------------

    def chunk(self, name: str) -> func.FuncOp:
        kinds = self.analysis.kinds
        args = self.entry.body.block.args
        block = Block(arg_types=[self._chunk_type(a) for a in args])
        for old, new in zip(args, block.args, strict=True):
            new.name_hint = old.name_hint
        vm: dict[SSAValue, SSAValue] = dict(zip(args, block.args, strict=True))
        out = _Emitter(block)
        self.slots = []
        partials: list[SSAValue] = []
        for op in self._body_ops():
            out.at = op
            if op in self.analysis.partials:
                partials += self._chunk_partial(out, self.analysis.partials[op], vm)
                continue
            kind = kinds[op.results[0]] if op.results else INV
            if kind is INV:
                out.add(op.clone(value_mapper=vm)) if op.results else block.add_op(op.clone(value_mapper=vm))
            elif isinstance(kind, Row):
                self._clone_row(out, op, vm)
        outputs = [vm[self.results[i]] for i in self.row_results()] + partials
        return _function(name, block, outputs, self.entry)

    def _chunk_type(self, value: SSAValue) -> Attribute:
        kind = self.analysis.kind(value)
        return retyped(value.type, kind.axis, self.rows) if isinstance(kind, Row) else value.type

    def _clone_row(self, out: _Emitter, op: Operation, vm: dict[SSAValue, SSAValue]) -> None:
        axis = self.analysis.kind(op.results[0]).axis  # type: ignore[union-attr]
        operands = [self._row_operand(out, op, v, axis, vm) for v in op.operands]
        new = type(op).create(operands=operands,
                              result_types=[self._chunk_type(r) for r in op.results],
                              attributes=dict(op.attributes), properties=dict(op.properties))
        out.add(new)
        for old, res in zip(op.results, new.results, strict=True):
            res.name_hint = old.name_hint
            vm[old] = res

    def _row_operand(self, out: _Emitter, op: Operation, value: SSAValue, axis: int,
                     vm: dict[SSAValue, SSAValue]) -> SSAValue:
        """The chunk's operand: an unbatched one with the batch's length along
        the result's batch axis (uniform along it) is rebuilt with the chunk's."""
        if self.analysis.kind(value) is not INV or isinstance(op, tf.MatmulOp):
            return vm[value]
        pos = axis - (rank(op.results[0]) - rank(value))
        if pos < 0 or shape_of(value)[pos] == 1:
            return vm[value]
        return self._materialize(out, value, pos, vm)

    def _materialize(self, out: _Emitter, value: SSAValue, pos: int, vm: dict[SSAValue, SSAValue]) -> SSAValue:
        op = value.owner
        assert isinstance(op, Operation)
        typ = retyped(value.type, pos, self.rows)
        if isinstance(op, tf.ConstantOp):
            scalar = splat_scalar(value)
            assert scalar is not None, "classify accepts splat constants only"
            return out.add(tf.ConstantOp(dense_attr(scalar, typ)))
        operands = []
        for operand in op.operands:
            p = pos - (rank(value) - rank(operand))
            keep = p < 0 or shape_of(operand)[p] == 1
            operands.append(vm[operand] if keep else self._materialize(out, operand, p, vm))
        assert isinstance(op, (*ELEMENTWISE, tf.BroadcastToOp))
        new = out.add(type(op).create(operands=operands, result_types=[typ], attributes=dict(op.attributes),
                                      properties=dict(op.properties)))
        new.name_hint = value.name_hint
        return new

    def _chunk_partial(self, out: _Emitter, partial: Partial, vm: dict[SSAValue, SSAValue]) -> list[SSAValue]:
        op = partial.op
        if partial.kind == "matmul":
            assert isinstance(op, tf.MatmulOp)
            value = out.add(tf.MatmulOp(vm[op.lhs], vm[op.rhs], op.result.type))
            self.slots.append(Slot("matmul", value.type, op))
            return [value]
        if partial.kind == "lse":
            return self._chunk_lse(out, partial, vm)
        assert isinstance(op, tf.ReductionOp)
        source = vm[op.input]
        cls = tf.SumOp if partial.kind == "mean" else type(op)
        value = out.add(cls(source, [partial.axis], True, retyped(source.type, partial.axis, 1)))
        self.slots.append(Slot(partial.kind, value.type, op))
        return [value]

    def _chunk_lse(self, out: _Emitter, partial: Partial, vm: dict[SSAValue, SSAValue]) -> list[SSAValue]:
        """`m = max(r)`, `s = sum(exp(r - m))` over the chunk's rows (kept as size 1)."""
        assert partial.shifted is not None
        row = partial.shifted.row
        axis = self.analysis.kind(row).axis  # type: ignore[union-attr]
        r = vm[row]
        kept = retyped(r.type, axis, 1)
        m = out.add(tf.MaxOp(r, [axis], True, kept))
        e = out.add(tf.ExpOp(out.binary(tf.SubOp, r, m)))
        s = out.add(tf.SumOp(e, [axis], True, kept))
        self.slots += [Slot("lse-max", kept, partial.op), Slot("lse-sum", kept, partial.op)]
        return [m, s]

    # -- combine -------------------------------------------------------------------

    def combine(self, name: str) -> func.FuncOp:
        types = [s.type for s in self.slots]
        block = Block(arg_types=types + types)
        n = len(types)
        left, right = block.args[:n], block.args[n:]
        for i in range(n):
            left[i].name_hint, right[i].name_hint = f"a{i}", f"b{i}"
        out = _Emitter(block)
        outputs: list[SSAValue] = []
        i = 0
        while i < n:
            slot = self.slots[i]
            out.at = slot.at
            if slot.kind == "lse-max":
                outputs += _combine_lse(out, left[i], left[i + 1], right[i], right[i + 1])
                i += 2
                continue
            outputs.append(out.binary(COMBINE_OPS[slot.kind], left[i], right[i]))
            i += 1
        return _function(name, block, outputs, self.entry)

    # -- finalize ------------------------------------------------------------------

    def finalize_args(self) -> list[int]:
        """The entry's arguments that `finalize` takes after the partial results: the unbatched ones."""
        return [i for i, a in enumerate(self.entry.body.block.args) if self.analysis.kind(a) is INV]

    def finalize(self, name: str) -> func.FuncOp:
        args = self.entry.body.block.args
        unbatched = [args[i] for i in self.finalize_args()]
        block = Block(arg_types=[s.type for s in self.slots] + [a.type for a in unbatched])
        for old, new in zip(unbatched, block.args[len(self.slots):], strict=True):
            new.name_hint = old.name_hint
        vm: dict[SSAValue, SSAValue] = dict(zip(unbatched, block.args[len(self.slots):], strict=True))
        for i, arg in enumerate(block.args[:len(self.slots)]):
            arg.name_hint = f"p{i}"
        parts = iter(block.args[:len(self.slots)])
        out = _Emitter(block)
        for op in self._body_ops():
            out.at = op
            if op in self.analysis.partials:
                value = self._final_partial(out, self.analysis.partials[op], parts, vm)
                if value.owner is not block:  # a partial result used as it is keeps its name
                    value.name_hint = op.results[0].name_hint
                vm[op.results[0]] = value
                continue
            kind = self.analysis.kind(op.results[0]) if op.results else INV
            if kind is INV or kind is FIN:
                out.add(op.clone(value_mapper=vm))
        outputs = [vm[self.results[i]] for i in self.final_results()]
        return _function(name, block, outputs, self.entry)

    def _final_partial(self, out: _Emitter, partial: Partial, parts, vm: dict[SSAValue, SSAValue]) -> SSAValue:
        """The reduction over the whole batch from its combined partial result:
        the op itself over the kept (size 1) batch axis and its other axes."""
        op = partial.op
        value = next(parts)
        if partial.kind == "matmul":
            return value
        assert isinstance(op, tf.ReductionOp)
        cls = type(op)
        if partial.kind == "mean":
            rows = out.add(tf.ConstantOp(dense_attr(self.analysis.rows, TensorType(elem_of(value), []))))
            value = out.binary(tf.DivOp, value, rows)
        elif partial.kind == "lse":
            assert partial.shifted is not None
            m, s = value, next(parts)
            scale = out.add(tf.ExpOp(out.binary(tf.SubOp, m, vm[partial.shifted.shift])))
            value = out.binary(tf.MulOp, s, scale)
        return out.add(cls(value, list(op.axes_tuple), op.keeps_dims, op.result.type))


def _combine_lse(out: _Emitter, m1: SSAValue, s1: SSAValue, m2: SSAValue, s2: SSAValue) -> list[SSAValue]:
    m = out.binary(tf.MaximumOp, m1, m2)
    scaled = [out.binary(tf.MulOp, s, out.add(tf.ExpOp(out.binary(tf.SubOp, mi, m)))) for mi, s in ((m1, s1), (m2, s2))]
    return [m, out.binary(tf.AddOp, *scaled)]


def _function(name: str, block: Block, outputs: list[SSAValue], entry: func.FuncOp) -> func.FuncOp:
    ret = func.ReturnOp(*outputs)
    ret.location = entry.body.block.last_op.location  # type: ignore[union-attr]
    block.add_op(ret)
    fn = func.FuncOp(name, ([a.type for a in block.args], [v.type for v in outputs]), Region(block))
    fn.location = entry.location
    region_dce(fn.body)
    return fn
