"""Blocks of values in a kernel: `device.arange`, `device.splat`,
`device.expand_dims`, `device.broadcast`, and the masked memory accesses
`device.load` and `device.store`."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    I64,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    StringAttr,
    TensorType,
    i32,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AnyAttr,
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import (
    MemoryReadEffect,
    MemoryWriteEffect,
    Pure,
)
from xdsl.utils.exceptions import VerifyException

from tfir.dialects.device.base import (
    block_type,
    element_of,
    expect,
    shape_of,
)
from tfir.dialects.device.kernels import parent_kernel


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
        expect("result shape", (size,), shape_of(self.result.type))
        expect("element type", i32, element_of(self.result.type))
        kernel = parent_kernel(self)
        if self.block is not None and kernel is not None:
            expect(f"block size {self.block.data}", kernel.blocks().get(self.block.data), size)


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
        expect("element type", self.input.type, element_of(self.result.type))


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
        expect("result shape", tuple(shape), shape_of(self.result.type))
        expect("element type", element_of(self.input.type), element_of(self.result.type))


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
        expect("element type", element_of(self.input.type), element_of(self.result.type))


def _check_block_operands(base: Attribute, offsets: SSAValue, mask: SSAValue,
                          block: Attribute) -> None:
    shape = shape_of(offsets.type)
    if not isinstance(element_of(offsets.type), IntegerType | IndexType):
        raise VerifyException(f"expected integer offsets, got {offsets.type}")
    expect("mask type", block_type(shape, IntegerType(1)), mask.type)
    expect("block shape", shape, shape_of(block))
    expect("element type", element_of(base), element_of(block))


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
