"""Building `device.kernel` bodies for `convert-loops-to-device`.

`KernelBuilder` appends ops to a kernel body (or to the body of a `scf.for`
inside it), giving every op the source location of the linalg op it comes
from; `Access` is how one linalg operand reaches memory: a base buffer and an
affine element offset in the iteration dims; `tensorize_body` turns a scalar
linalg body into the same computation on blocks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IndexType,
    IntegerAttr,
    LocationAttr,
    MemRefType,
    TensorType,
    i1,
    i32,
)
from xdsl.dialects.linalg.ops import IndexOp, YieldOp
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineMap,
)
from xdsl.irdl import IRDLOperation

from tfir.dialects import device
from tfir.dialects.device import block_type, element_of, shape_of
from tfir.lowering.utils.device import DeviceLoweringError


def next_pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def cdiv(a: int, b: int) -> int:
    return -(-a // b)


def is_float(typ: Attribute) -> bool:
    return isinstance(element_of(typ), AnyFloat)


# ---------------------------------------------------------------- access


@dataclass(frozen=True)
class Access:
    """Element offset `const + sum(coeffs[d] * dim_d)` into `base`."""

    base: SSAValue
    coeffs: tuple[int, ...]
    const: int


def _linear(expr: AffineExpr, ndims: int) -> tuple[list[int], int]:
    if isinstance(expr, AffineDimExpr):
        coeffs = [0] * ndims
        coeffs[expr.position] = 1
        return coeffs, 0
    if isinstance(expr, AffineConstantExpr):
        return [0] * ndims, expr.value
    if isinstance(expr, AffineBinaryOpExpr) and expr.kind == AffineBinaryOpKind.Add:
        (lc, lk), (rc, rk) = _linear(expr.lhs, ndims), _linear(expr.rhs, ndims)
        return [a + b for a, b in zip(lc, rc, strict=True)], lk + rk
    if isinstance(expr, AffineBinaryOpExpr) and expr.kind == AffineBinaryOpKind.Mul:
        (lc, lk), (rc, rk) = _linear(expr.lhs, ndims), _linear(expr.rhs, ndims)
        if any(rc):
            (lc, lk), (rc, rk) = (rc, rk), (lc, lk)
        if any(rc):
            raise DeviceLoweringError(f"expected an affine indexing map, got {expr}")
        return [a * rk for a in lc], lk * rk
    raise DeviceLoweringError(f"expected dims, constants, + and * in a map, got {expr}")


def make_access(base: SSAValue, view_type: Attribute, amap: AffineMap) -> Access:
    """How an operand of type `view_type` read through `amap` addresses `base`."""
    assert isinstance(view_type, MemRefType)
    strides, offset = view_type.get_strides(), view_type.get_offset()
    if strides is None or offset is None or None in strides:
        raise DeviceLoweringError(f"expected a static strided layout, got {view_type}")
    coeffs, const = [0] * amap.num_dims, offset
    for stride, expr in zip(strides, amap.results, strict=True):
        c, k = _linear(expr, amap.num_dims)
        coeffs = [a + stride * b for a, b in zip(coeffs, c, strict=True)]
        const += stride * k
    return Access(base, tuple(coeffs), const)


def contiguous_strides(shape: Sequence[int]) -> tuple[int, ...]:
    strides, acc = [], 1
    for size in reversed(shape):
        strides.append(acc)
        acc *= size
    return tuple(reversed(strides))


# ---------------------------------------------------------------- builder

class KernelBuilder:
    """Appends ops to a kernel under construction."""

    def __init__(self, bases: Sequence[SSAValue], loc: LocationAttr):
        self.block = Block(arg_types=[b.type for b in bases])
        self.args = {b: a for b, a in zip(bases, self.block.args, strict=True)}
        for base, arg in self.args.items():
            arg.name_hint = base.name_hint
        self.loc = loc
        self._insert = [self.block]
        self.blocks: dict[str, int] = {}

    def emit(self, op: Operation, hint: str | None = None) -> SSAValue:
        op.location = self.loc
        self._insert[-1].add_op(op)
        if op.results:
            if hint:
                op.results[0].name_hint = hint
            return op.results[0]
        return None  # type: ignore[return-value]

    # constants and index blocks
    def const(self, value: float | int, elem: Attribute, shape: Sequence[int] = ()) -> SSAValue:
        if shape:
            attr = DenseIntOrFPElementsAttr.from_list(TensorType(elem, list(shape)), [value])
            return self.emit(arith.ConstantOp(attr))
        if isinstance(elem, AnyFloat):
            return self.emit(arith.ConstantOp(FloatAttr(value, elem)))
        return self.emit(arith.ConstantOp(IntegerAttr(int(value), elem)))

    def like(self, value: float | int, typ: Attribute) -> SSAValue:
        return self.const(value, element_of(typ), shape_of(typ))

    def program_id(self, axis: int) -> SSAValue:
        return self.emit(device.ProgramIdOp(axis), f"pid_{'mnb'[axis]}" if axis else "pid")

    def arange(self, size: int, block: str, hint: str) -> SSAValue:
        self.blocks[block] = size
        return self.emit(device.ArangeOp(size, block), hint)

    def splat(self, value: SSAValue, shape: Sequence[int]) -> SSAValue:
        if shape_of(value.type) == tuple(shape):
            return value
        return self.emit(device.SplatOp(value, shape))

    def lanes(self, start: SSAValue | int, size: int, block: str, hint: str) -> SSAValue:
        """`start + arange(size)`: the indices one program handles."""
        rng = self.arange(size, block, "r" + hint)
        if isinstance(start, int):
            if start == 0:
                return rng
            start = self.const(start, i32)
        return self.binop(arith.AddiOp, self.splat(start, [size]), rng, hint)

    def binop(self, cls: type[IRDLOperation], lhs: SSAValue, rhs: SSAValue,
              hint: str | None = None) -> SSAValue:
        return self.emit(cls(lhs, rhs), hint)

    def cmp(self, pred: str, lhs: SSAValue, rhs: SSAValue | int, hint: str | None = None) -> SSAValue:
        if isinstance(rhs, int):
            rhs = self.like(rhs, lhs.type)
        return self.emit(device.CmpOp(pred, lhs, rhs), hint)

    def scale(self, value: SSAValue, factor: int) -> SSAValue:
        return value if factor == 1 else self.binop(arith.MuliOp, value, self.like(factor, value.type))

    def place(self, value: SSAValue, axis: int, shape: Sequence[int]) -> SSAValue:
        """A 1-D block along `axis` of a block of `shape` (`r[:, None]` then broadcast)."""
        if len(shape) == 1:
            return value
        if math.prod(shape) == shape[axis]:  # the other dims are 1: no copies needed
            for ax in range(len(shape)):
                if ax != axis:
                    value = self.emit(device.ExpandDimsOp(value, ax))
            return value
        for ax in range(len(shape)):
            if ax != axis:
                value = self.emit(device.ExpandDimsOp(value, ax))
        return self.emit(device.BroadcastOp(value, shape))

    def offsets(self, access: Access, dims: Sequence[SSAValue | None], block: Sequence[int],
                flat: SSAValue | None = None, space: Sequence[int] = (),
                hint: str = "offs") -> SSAValue:
        """The element offsets block of `access`; `flat` when it is the lane index
        of the row-major iteration `space`."""
        if flat is not None and access.const == 0 and access.coeffs == contiguous_strides(space):
            return flat
        total: SSAValue | None = None
        for coeff, dim in zip(access.coeffs, dims, strict=True):
            if coeff == 0:
                continue
            assert dim is not None, "a dim the access needs was not built"
            term = self.scale(dim, coeff)
            total = term if total is None else self.binop(arith.AddiOp, total, term)
        if total is None:
            total = self.const(access.const, i32, block)
        elif access.const:
            total = self.binop(arith.AddiOp, total, self.like(access.const, total.type))
        if isinstance(total.owner, Operation) and total.owner.name != "arith.constant" \
                and total.name_hint is None:  # a dim index used as is keeps its name
            total.name_hint = hint
        return total

    def load(self, access: Access, offs: SSAValue, mask: SSAValue, hint: str | None) -> SSAValue:
        base = self.args[access.base]
        elem = element_of(base.type)
        other = FloatAttr(0.0, elem) if isinstance(elem, AnyFloat) else IntegerAttr(0, elem)
        return self.emit(device.LoadOp(base, offs, mask, other), hint)

    def store(self, access: Access, offs: SSAValue, value: SSAValue, mask: SSAValue) -> None:
        base = self.args[access.base]
        if element_of(value.type) != element_of(base.type):
            value = self.emit(device.CastOp(value, element_of(base.type)))
        self.emit(device.StoreOp(base, offs, value, mask))

    @contextmanager
    def loop(self, upper: int, step: int, inits: Sequence[SSAValue]) -> Iterator[scf.ForOp]:
        """`for k in range(0, upper, step)` carrying `inits`; yield with `end_loop`."""
        lb, ub, st = self.const(0, i32), self.const(upper, i32), self.const(step, i32)
        body = Block(arg_types=[i32, *(v.type for v in inits)])
        body.args[0].name_hint = "k"
        for arg, init in zip(body.args[1:], inits, strict=True):
            arg.name_hint = init.name_hint
        op = scf.ForOp(lb, ub, st, list(inits), Region(body))
        self.emit(op)
        for res, init in zip(op.results, inits, strict=True):
            res.name_hint = init.name_hint
        self._insert.append(body)
        try:
            yield op
        finally:
            self._insert.pop()

    def end_loop(self, values: Sequence[SSAValue]) -> None:
        self.emit(scf.YieldOp(*values))

    def finish(self, name: str, grid: Sequence[int], num_warps: int) -> device.KernelOp:
        self.emit(device.ReturnOp())
        kernel = device.KernelOp(name, grid, self.blocks, num_warps, Region(self.block))
        kernel.location = self.loc
        return kernel


def decompose(kb: KernelBuilder, flat: SSAValue, shape: Sequence[int],
              needed: Sequence[bool]) -> list[SSAValue | None]:
    """Per-dim indices of a row-major flat index block (only the dims needed)."""
    strides = contiguous_strides(shape)
    dims: list[SSAValue | None] = []
    for d, (size, stride) in enumerate(zip(shape, strides, strict=True)):
        if not needed[d]:
            dims.append(None)
            continue
        value = flat
        if stride != 1:
            value = kb.binop(arith.DivSIOp, value, kb.like(stride, value.type))
        if d > 0:  # dim 0 needs no wrap: masked lanes never reach memory
            value = kb.binop(arith.RemSIOp, value, kb.like(size, value.type))
        dims.append(value)
    return dims


# ---------------------------------------------------------------- bodies

_CMPF = {"oeq": "eq", "une": "ne", "one": "one", "ueq": "ueq", "olt": "lt", "ole": "le",
         "ogt": "gt", "oge": "ge", "ult": "ult", "ule": "ule", "ugt": "ugt", "uge": "uge",
         "ord": "ord", "uno": "uno"}
_CMPI = {"eq": "eq", "ne": "ne", "slt": "lt", "sle": "le", "sgt": "gt", "sge": "ge"}
_CASTS = (arith.ExtFOp, arith.TruncFOp, arith.SIToFPOp, arith.FPToSIOp, arith.ExtSIOp,
          arith.ExtUIOp, arith.TruncIOp, arith.IndexCastOp, arith.UIToFPOp, arith.FPToUIOp)


def _elem(typ: Attribute) -> Attribute:
    """Index arithmetic runs on i32 in kernels."""
    return i32 if isinstance(typ, IndexType) else typ


def _cmp_predicate(op: Operation) -> str:
    pred = op.predicate.value.data  # type: ignore[attr-defined]
    if isinstance(op, arith.CmpfOp):
        name = arith.CMPF_COMPARISON_OPERATIONS[pred]
        table = _CMPF
    else:
        name = arith.CMPI_COMPARISON_OPERATIONS[pred]
        table = _CMPI
    if name not in table:
        raise DeviceLoweringError(f"unsupported comparison {op.name} {name}")
    return table[name]


def tensorize_op(kb: KernelBuilder, op: Operation, env: dict[SSAValue, SSAValue],
                 shape: Sequence[int], dims: Sequence[SSAValue | None]) -> None:
    """Emits `op` (a scalar linalg body op) on blocks of `shape`."""
    for operand in op.operands:  # a body may use constants defined above the linalg op
        if operand not in env and isinstance(operand.owner, arith.ConstantOp):
            tensorize_op(kb, operand.owner, env, shape, dims)
    ins = [env[o] for o in op.operands]
    if isinstance(op, arith.ConstantOp):
        value = op.value
        assert isinstance(value, IntegerAttr | FloatAttr)
        env[op.result] = kb.const(value.value.data, _elem(value.type), shape)
    elif isinstance(op, IndexOp):
        dim = dims[op.dim.value.data]
        if dim is None:
            raise DeviceLoweringError("linalg.index of a dim this kernel does not index")
        env[op.result] = dim
    elif isinstance(op, arith.CmpfOp | arith.CmpiOp):
        env[op.result] = kb.cmp(_cmp_predicate(op), ins[0], ins[1], op.result.name_hint)
    elif isinstance(op, arith.SelectOp):
        env[op.result] = kb.emit(device.SelectOp(*ins), op.result.name_hint)
    elif isinstance(op, _CASTS):
        env[op.results[0]] = kb.emit(device.CastOp(ins[0], _elem(op.results[0].type)),
                                     op.results[0].name_hint)
    elif op.dialect_name() in ("arith", "math"):
        new = type(op).create(
            operands=ins,
            result_types=[block_type(shape, _elem(r.type)) for r in op.results],
            properties=dict(op.properties), attributes=dict(op.attributes))
        env[op.results[0]] = kb.emit(new, op.results[0].name_hint)  # the source's name
    else:
        raise DeviceLoweringError(f"unsupported op in a linalg body: {op.name}")


def tensorize_body(kb: KernelBuilder, body: Block, args: Sequence[SSAValue | None],
                   shape: Sequence[int], dims: Sequence[SSAValue | None],
                   skip: frozenset[Operation] = frozenset()) -> dict[SSAValue, SSAValue]:
    """Emits the body ops (but `skip` and the yield); returns the value map."""
    env: dict[SSAValue, SSAValue] = {a: v for a, v in zip(body.args, args, strict=True)
                                     if v is not None}
    for op in body.ops:
        if isinstance(op, YieldOp) or op in skip:
            continue
        saved = kb.loc
        kb.loc = op.location if op.location.__class__.__name__ == "FileLineColLoc" else kb.loc
        try:
            tensorize_op(kb, op, env, shape, dims)
        except KeyError as err:
            raise DeviceLoweringError(f"{op.name} reads a value not available in a kernel") from err
        finally:
            kb.loc = saved
    return env


def mask_and(kb: KernelBuilder, a: SSAValue, b: SSAValue) -> SSAValue:
    return kb.binop(arith.AndIOp, a, b, "mask")


BOOL = i1
