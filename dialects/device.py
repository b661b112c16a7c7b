"""The `device` dialect: GPU kernels over blocks of values, modelled on Triton's `tt`.

A `device.kernel` is one GPU program: a grid of program instances, each
working on blocks (static-shaped `tensor<...>` values held in registers).
Kernel arguments are the global buffers it reads and writes (`memref`s with
identity layout: a base pointer); every access is a masked `device.load` /
`device.store` of a block of element offsets from that base. Elementwise math
on blocks reuses `arith` / `math` ops on tensor-typed values, as `tt` does,
except where xDSL 0.74 accepts scalars only (comparisons, integer casts,
select): those are `device.cmp`, `device.cast` and `device.select`.

```mlir
"device.kernel"() <{sym_name = "tf_add_0", grid = array<i64: 8>, block_sizes = {BLOCK = 1024 : i64}, num_warps = 4 : i64}> ({
^bb0(%a: memref<8000xf32>, %out: memref<8000xf32>):
  %pid = device.program_id 0 : i32
  %r = device.arange 0 to 1024 {block = "BLOCK"} : tensor<1024xi32>
  ...
  %x = device.load %a[%idx], %mask : memref<8000xf32>, tensor<1024xi32>, tensor<1024xi1> -> tensor<1024xf32>
  device.store %out[%idx], %y, %mask : memref<8000xf32>, tensor<1024xi32>, tensor<1024xf32>, tensor<1024xi1>
  device.return
}) : () -> ()
func.func @f(%a: memref<8000xf32>) -> memref<8000xf32> {
  %out = memref.alloc() : memref<8000xf32>
  device.launch @tf_add_0(%a, %out) : memref<8000xf32>, memref<8000xf32>
  func.return %out : memref<8000xf32>
}
```
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    I64,
    AnyFloat,
    DenseArrayBase,
    DictionaryAttr,
    FlatSymbolRefAttrConstr,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    StringAttr,
    SymbolNameConstraint,
    SymbolRefAttr,
    TensorType,
    i32,
)
from xdsl.ir import Attribute, Dialect, Operation, Region, SSAValue
from xdsl.irdl import (
    AnyAttr,
    IRDLOperation,
    ParsePropInAttrDict,
    VarConstraint,
    base,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import (
    HasParent,
    IsolatedFromAbove,
    IsTerminator,
    MemoryReadEffect,
    MemoryWriteEffect,
    Pure,
    SymbolOpInterface,
    SymbolTable,
)
from xdsl.utils.exceptions import VerifyException

REDUCE_KINDS = ("sum", "prod", "max", "min", "argmax", "argmin")
# Floats: eq/lt/le/gt/ge/one are ordered (false on NaN), ne/ueq/ult/ule/ugt/uge
# unordered (true on NaN), ord/uno test for NaN; integers compare signed.
CMP_PREDICATES = ("eq", "ne", "lt", "le", "gt", "ge", "one", "ueq", "ult", "ule", "ugt", "uge",
                  "ord", "uno")


def shape_of(typ: Attribute) -> tuple[int, ...]:
    """The block shape of a value type; `()` for a scalar."""
    return tuple(typ.get_shape()) if isinstance(typ, TensorType) else ()


def element_of(typ: Attribute) -> Attribute:
    return typ.get_element_type() if isinstance(typ, TensorType | MemRefType) else typ


def block_type(shape: Sequence[int], element: Attribute) -> Attribute:
    """`tensor<shape x element>`, or the bare element for a scalar."""
    return TensorType(element, list(shape)) if shape else element


def _expect(what: str, want: object, got: object) -> None:
    if want != got:
        raise VerifyException(f"expected {what} {want}, got {got}")


def _parent_kernel(op: Operation) -> KernelOp | None:
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, KernelOp):
        parent = parent.parent_op()
    return parent


@irdl_op_definition
class KernelOp(IRDLOperation):
    """
    One GPU kernel: a grid of program instances running `body`. The block
    arguments are the global buffers; block sizes are compile-time constants.

        "device.kernel"() <{sym_name = "tf_row_max_sum_0", grid = array<i64: 64>,
            block_sizes = {BLOCK_R = 1 : i64, BLOCK_C = 128 : i64}, num_warps = 4 : i64}> ({
        ^bb0(%x: memref<64x100xf32>, %y: memref<64x100xf32>):
          ...
          device.return
        }) : () -> ()
    """

    name = "device.kernel"

    sym_name = prop_def(SymbolNameConstraint())
    grid = prop_def(DenseArrayBase.constr(IntegerType(64)))
    block_sizes = prop_def(DictionaryAttr)
    num_warps = prop_def(IntegerAttr[I64])
    body = region_def("single_block")

    traits = traits_def(IsolatedFromAbove(), SymbolOpInterface())

    def __init__(self, sym_name: str, grid: Sequence[int], block_sizes: dict[str, int],
                 num_warps: int, body: Region):
        super().__init__(
            properties={
                "sym_name": StringAttr(sym_name),
                "grid": DenseArrayBase.from_list(IntegerType(64), list(grid)),
                "block_sizes": DictionaryAttr(
                    {k: IntegerAttr(v, 64) for k, v in block_sizes.items()}),
                "num_warps": IntegerAttr(num_warps, 64),
            },
            regions=[body],
        )

    def grid_sizes(self) -> tuple[int, ...]:
        return tuple(int(g) for g in self.grid.get_values())

    def blocks(self) -> dict[str, int]:
        return {k: v.value.data for k, v in self.block_sizes.data.items()
                if isinstance(v, IntegerAttr)}

    def verify_(self) -> None:
        grid = self.grid_sizes()
        if not 1 <= len(grid) <= 3 or min(grid) < 1:
            raise VerifyException(f"expected a grid of 1 to 3 positive sizes, got {grid}")
        for arg in self.body.block.args:
            if not isinstance(arg.type, MemRefType):
                raise VerifyException(f"expected memref kernel arguments, got {arg.type}")
        if not isinstance(self.body.block.last_op, ReturnOp):
            raise VerifyException("expected the kernel body to end in device.return")


@irdl_op_definition
class ReturnOp(IRDLOperation):
    """
    Ends a kernel body.

        device.return
    """

    name = "device.return"
    traits = traits_def(IsTerminator(), HasParent(KernelOp))
    assembly_format = "attr-dict"


@irdl_op_definition
class LaunchOp(IRDLOperation):
    """
    Runs a kernel on its whole grid from the host function; launches run in
    program order.

        device.launch @tf_add_0(%a, %out) : memref<8xf32>, memref<8xf32>
    """

    name = "device.launch"
    kernel = prop_def(FlatSymbolRefAttrConstr)
    args = var_operand_def(MemRefType)

    assembly_format = "$kernel `(` $args `)` attr-dict `:` type($args)"

    def __init__(self, kernel: str, args: Sequence[SSAValue]):
        super().__init__(operands=[args], properties={"kernel": SymbolRefAttr(kernel)})

    def verify_(self) -> None:
        callee = SymbolTable.lookup_symbol(self, self.kernel)
        if not isinstance(callee, KernelOp):
            raise VerifyException(f"expected a device.kernel named {self.kernel}, got {callee}")
        want = [a.type for a in callee.body.block.args]
        _expect("argument types", want, [a.type for a in self.args])


@irdl_op_definition
class ProgramIdOp(IRDLOperation):
    """
    The index of this program instance along a grid axis.

        %pid = device.program_id 0 : i32
    """

    name = "device.program_id"
    axis = prop_def(IntegerAttr[I64])
    result = result_def(i32)
    traits = traits_def(Pure())
    assembly_format = "$axis attr-dict `:` type($result)"

    def __init__(self, axis: int):
        super().__init__(properties={"axis": IntegerAttr(axis, 64)}, result_types=[i32])

    def verify_(self) -> None:
        if not 0 <= self.axis.value.data <= 2:
            raise VerifyException(f"expected axis 0, 1 or 2, got {self.axis.value.data}")
        if _parent_kernel(self) is None:
            raise VerifyException("expected device.program_id inside a device.kernel")


@irdl_op_definition
class ArangeOp(IRDLOperation):
    """
    The block `[start, start + 1, ..., end - 1]`; `end - start` is a power of
    two. `block` names the kernel's compile-time block size it spans.

        %r = device.arange 0 to 128 {block = "BLOCK_R"} : tensor<128xi32>
    """

    name = "device.arange"
    start = prop_def(IntegerAttr[I64])
    end = prop_def(IntegerAttr[I64])
    block = opt_prop_def(StringAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$start `to` $end attr-dict `:` type($result)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, size: int, block: str | None = None):
        props: dict[str, Attribute] = {"start": IntegerAttr(0, 64), "end": IntegerAttr(size, 64)}
        if block:
            props["block"] = StringAttr(block)
        super().__init__(properties=props, result_types=[TensorType(i32, [size])])

    def verify_(self) -> None:
        size = self.end.value.data - self.start.value.data
        if size < 1 or size & (size - 1):
            raise VerifyException(f"expected a power-of-two range, got {size}")
        _expect("result shape", (size,), shape_of(self.result.type))
        _expect("element type", i32, element_of(self.result.type))
        kernel = _parent_kernel(self)
        if self.block is not None and kernel is not None:
            _expect(f"block size {self.block.data}", kernel.blocks().get(self.block.data), size)


@irdl_op_definition
class SplatOp(IRDLOperation):
    """
    A block filled with one scalar.

        %b = device.splat %s : i32 -> tensor<128xi32>
    """

    name = "device.splat"
    input = operand_def(AnyAttr())
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, value: SSAValue, shape: Sequence[int]):
        super().__init__(operands=[value], result_types=[TensorType(value.type, list(shape))])

    def verify_(self) -> None:
        _expect("element type", self.input.type, element_of(self.result.type))


@irdl_op_definition
class ExpandDimsOp(IRDLOperation):
    """
    Inserts a size-1 dim at `axis` (`x[:, None]` in Triton).

        %c = device.expand_dims %r {axis = 1 : i64} : tensor<64xi32> -> tensor<64x1xi32>
    """

    name = "device.expand_dims"
    input = operand_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, value: SSAValue, axis: int):
        shape = list(shape_of(value.type))
        shape.insert(axis, 1)
        super().__init__(operands=[value], properties={"axis": IntegerAttr(axis, 64)},
                         result_types=[TensorType(element_of(value.type), shape)])

    def verify_(self) -> None:
        shape = list(shape_of(self.input.type))
        axis = self.axis.value.data
        if not 0 <= axis <= len(shape):
            raise VerifyException(f"expected axis in [0, {len(shape)}], got {axis}")
        shape.insert(axis, 1)
        _expect("result shape", tuple(shape), shape_of(self.result.type))
        _expect("element type", element_of(self.input.type), element_of(self.result.type))


@irdl_op_definition
class BroadcastOp(IRDLOperation):
    """
    Repeats the size-1 dims of a block to a larger block of the same rank.

        %b = device.broadcast %c : tensor<64x1xi32> -> tensor<64x128xi32>
    """

    name = "device.broadcast"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, value: SSAValue, shape: Sequence[int]):
        super().__init__(operands=[value],
                         result_types=[TensorType(element_of(value.type), list(shape))])

    def verify_(self) -> None:
        src, dst = shape_of(self.input.type), shape_of(self.result.type)
        if len(src) != len(dst) or any(s not in (1, d) for s, d in zip(src, dst, strict=True)):
            raise VerifyException(f"expected a shape broadcastable to {dst}, got {src}")
        _expect("element type", element_of(self.input.type), element_of(self.result.type))


def _check_block_operands(base: Attribute, offsets: SSAValue, mask: SSAValue,
                          block: Attribute) -> None:
    shape = shape_of(offsets.type)
    if not isinstance(element_of(offsets.type), IntegerType | IndexType):
        raise VerifyException(f"expected integer offsets, got {offsets.type}")
    _expect("mask type", block_type(shape, IntegerType(1)), mask.type)
    _expect("block shape", shape, shape_of(block))
    _expect("element type", element_of(base), element_of(block))


@irdl_op_definition
class LoadOp(IRDLOperation):
    """
    Gathers a block from a buffer at element offsets from its base; lanes
    whose mask is false read `other` (0 when absent).

        %x = device.load %a[%off], %m : memref<64x100xf32>, tensor<128xi32>, tensor<128xi1>
                -> tensor<128xf32>
    """

    name = "device.load"
    base = operand_def(MemRefType)
    offsets = operand_def(AnyAttr())
    mask = operand_def(AnyAttr())
    other = opt_prop_def(IntegerAttr | FloatAttr)
    result = result_def(AnyAttr())
    traits = traits_def(MemoryReadEffect())
    assembly_format = (
        "$base `[` $offsets `]` `,` $mask attr-dict `:` type($base) `,` type($offsets) `,` "
        "type($mask) `->` type($result)"
    )
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, base: SSAValue, offsets: SSAValue, mask: SSAValue,
                 other: IntegerAttr | FloatAttr | None = None):
        assert isinstance(base.type, MemRefType)
        super().__init__(
            operands=[base, offsets, mask],
            properties={"other": other} if other is not None else {},
            result_types=[block_type(shape_of(offsets.type), base.type.get_element_type())])

    def verify_(self) -> None:
        _check_block_operands(self.base.type, self.offsets, self.mask, self.result.type)


@irdl_op_definition
class StoreOp(IRDLOperation):
    """
    Scatters a block into a buffer at element offsets; only lanes whose mask
    is true are written.

        device.store %y[%off], %v, %m : memref<64xf32>, tensor<64xi32>, tensor<64xf32>,
                tensor<64xi1>
    """

    name = "device.store"
    base = operand_def(MemRefType)
    offsets = operand_def(AnyAttr())
    value = operand_def(AnyAttr())
    mask = operand_def(AnyAttr())
    traits = traits_def(MemoryWriteEffect())
    assembly_format = (
        "$base `[` $offsets `]` `,` $value `,` $mask attr-dict `:` type($base) `,` "
        "type($offsets) `,` type($value) `,` type($mask)"
    )

    def __init__(self, base: SSAValue, offsets: SSAValue, value: SSAValue, mask: SSAValue):
        super().__init__(operands=[base, offsets, value, mask])

    def verify_(self) -> None:
        _check_block_operands(self.base.type, self.offsets, self.mask, self.value.type)


@irdl_op_definition
class ReduceOp(IRDLOperation):
    """
    Reduces a block along `axis` (`sum`, `prod`, `max`, `min`, or the i32
    position of the first extreme for `argmax` / `argmin`). Reducing a 1-D
    block gives a scalar.

        %s = device.reduce "sum" %x {axis = 1 : i64} : tensor<4x128xf32> -> tensor<4xf32>
    """

    name = "device.reduce"
    kind = prop_def(StringAttr)
    input = operand_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(AnyAttr())
    traits = traits_def(Pure())
    assembly_format = "$kind $input attr-dict `:` type($input) `->` type($result)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, kind: str, value: SSAValue, axis: int):
        shape = list(shape_of(value.type))
        del shape[axis]
        elem = i32 if kind.startswith("arg") else element_of(value.type)
        super().__init__(
            operands=[value],
            properties={"kind": StringAttr(kind), "axis": IntegerAttr(axis, 64)},
            result_types=[block_type(shape, elem)])

    def verify_(self) -> None:
        if self.kind.data not in REDUCE_KINDS:
            raise VerifyException(f"expected a kind in {REDUCE_KINDS}, got {self.kind.data}")
        shape = list(shape_of(self.input.type))
        axis = self.axis.value.data
        if not 0 <= axis < len(shape):
            raise VerifyException(f"expected axis in [0, {len(shape)}), got {axis}")
        del shape[axis]
        elem = i32 if self.kind.data.startswith("arg") else element_of(self.input.type)
        _expect("result type", block_type(shape, elem), self.result.type)


@irdl_op_definition
class DotOp(IRDLOperation):
    """
    `acc + a @ b` on blocks of at least 16x16; `input_precision` as in
    `tl.dot` ("ieee" keeps float32 exact to NumPy's rounding).

        %c = device.dot %a, %b, %acc : tensor<32x16xf32>, tensor<16x32xf32> -> tensor<32x32xf32>
    """

    name = "device.dot"
    T: ClassVar = VarConstraint("T", base(TensorType))
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    acc = operand_def(T)
    input_precision = prop_def(StringAttr, default_value=StringAttr("ieee"))
    result = result_def(T)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs `,` $acc attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, lhs: SSAValue, rhs: SSAValue, acc: SSAValue):
        super().__init__(operands=[lhs, rhs, acc], result_types=[acc.type])

    def verify_(self) -> None:
        (m, k), (k2, n) = shape_of(self.lhs.type), shape_of(self.rhs.type)
        _expect("rhs rows", k, k2)
        _expect("result shape", (m, n), shape_of(self.result.type))
        _expect("accumulator type", self.result.type, self.acc.type)
        if min(m, n, k) < 16:
            raise VerifyException(f"expected dot blocks of at least 16, got {(m, n, k)}")


@irdl_op_definition
class SelectOp(IRDLOperation):
    """
    Lane-wise `cond ? lhs : rhs` (`tl.where`); arith.select takes a scalar
    condition only.

        %y = device.select %m, %a, %b : tensor<128xi1>, tensor<128xf32>
    """

    name = "device.select"
    T: ClassVar = VarConstraint("T", AnyAttr())
    cond = operand_def(AnyAttr())
    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(T)
    traits = traits_def(Pure())
    assembly_format = "$cond `,` $lhs `,` $rhs attr-dict `:` type($cond) `,` type($result)"

    def __init__(self, cond: SSAValue, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[cond, lhs, rhs], result_types=[lhs.type])

    def verify_(self) -> None:
        _expect("condition type", block_type(shape_of(self.lhs.type), IntegerType(1)),
                self.cond.type)


@irdl_op_definition
class CmpOp(IRDLOperation):
    """
    Lane-wise comparison giving an i1 block: integers compare signed; for
    floats see CMP_PREDICATES (`ne` is unordered, as Triton's `!=`).

        %m = device.cmp "lt" %idx, %n : tensor<128xi32> -> tensor<128xi1>
    """

    name = "device.cmp"
    T: ClassVar = VarConstraint("T", AnyAttr())
    predicate = prop_def(StringAttr)
    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(AnyAttr())
    traits = traits_def(Pure())
    assembly_format = "$predicate $lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)"

    def __init__(self, predicate: str, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[lhs, rhs], properties={"predicate": StringAttr(predicate)},
                         result_types=[block_type(shape_of(lhs.type), IntegerType(1))])

    def verify_(self) -> None:
        if self.predicate.data not in CMP_PREDICATES:
            raise VerifyException(
                f"expected a predicate in {CMP_PREDICATES}, got {self.predicate.data}")
        _expect("result type", block_type(shape_of(self.lhs.type), IntegerType(1)),
                self.result.type)


@irdl_op_definition
class CastOp(IRDLOperation):
    """
    Lane-wise element type conversion (`x.to(dtype)`): int <-> float, widen,
    narrow; i1 converts as 0/1.

        %f = device.cast %i : tensor<128xi32> -> tensor<128xf32>
    """

    name = "device.cast"
    input = operand_def(AnyAttr())
    result = result_def(AnyAttr())
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, value: SSAValue, element: Attribute):
        super().__init__(operands=[value],
                         result_types=[block_type(shape_of(value.type), element)])

    def verify_(self) -> None:
        _expect("result shape", shape_of(self.input.type), shape_of(self.result.type))
        for typ in (self.input.type, self.result.type):
            if not isinstance(element_of(typ), IntegerType | AnyFloat):
                raise VerifyException(f"expected integer or float elements, got {typ}")


@irdl_op_definition
class AtomicAddOp(IRDLOperation):
    """
    Adds a block into a buffer at element offsets, atomically (lanes that
    share an offset all add; `scatter_add`); only lanes whose mask is true.

        device.atomic_add %y[%off], %v, %m : memref<4xf32>, tensor<64xi32>, tensor<64xf32>,
                tensor<64xi1>
    """

    name = "device.atomic_add"
    base = operand_def(MemRefType)
    offsets = operand_def(AnyAttr())
    value = operand_def(AnyAttr())
    mask = operand_def(AnyAttr())
    traits = traits_def(MemoryReadEffect(), MemoryWriteEffect())
    assembly_format = (
        "$base `[` $offsets `]` `,` $value `,` $mask attr-dict `:` type($base) `,` "
        "type($offsets) `,` type($value) `,` type($mask)"
    )

    def __init__(self, base: SSAValue, offsets: SSAValue, value: SSAValue, mask: SSAValue):
        super().__init__(operands=[base, offsets, value, mask])

    def verify_(self) -> None:
        _check_block_operands(self.base.type, self.offsets, self.mask, self.value.type)


@irdl_op_definition
class CheckFlagOp(IRDLOperation):
    """
    On the host, after the launch of an index check kernel: reads the check's
    flag buffer (`[found, index]`, zeroed before the launch) and raises
    `tfir.ExecutionError` naming `location`, the index and `size` when the
    kernel found an index out of range (the attributes of `tf.check_index`).

        device.check_flag %err {location = "f.tf:3:12", size = 5 : i64, axis = 0 : i64, negative = true, what = "take"} : memref<2xi64>
    """

    name = "device.check_flag"
    flag = operand_def(MemRefType)
    location_text = prop_def(StringAttr, prop_name="location")
    size = prop_def(IntegerAttr)
    axis = prop_def(IntegerAttr)
    negative = prop_def(IntegerAttr)
    what = prop_def(StringAttr)
    assembly_format = "$flag attr-dict `:` type($flag)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, flag: SSAValue, location: str, size: int, axis: int, negative: bool, what: str):
        super().__init__(operands=[flag], properties={
            "location": StringAttr(location), "size": IntegerAttr(size, 64), "axis": IntegerAttr(axis, 64),
            "negative": IntegerAttr.from_bool(negative), "what": StringAttr(what)})


DEVICE = Dialect(
    "device",
    [
        KernelOp,
        ReturnOp,
        LaunchOp,
        ProgramIdOp,
        ArangeOp,
        SplatOp,
        ExpandDimsOp,
        BroadcastOp,
        LoadOp,
        StoreOp,
        ReduceOp,
        DotOp,
        SelectOp,
        CmpOp,
        CastOp,
        AtomicAddOp,
        CheckFlagOp,
    ],
)
