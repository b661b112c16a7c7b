"""The structure of `device` programs: `device.kernel` (one GPU program over a
grid), `device.return`, `device.launch` from the host, `device.program_id`."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    DictionaryAttr,
    FlatSymbolRefAttrConstr,
    IntegerAttr,
    IntegerType,
    MemRefType,
    StringAttr,
    SymbolNameConstraint,
    SymbolRefAttr,
    i32,
)
from xdsl.ir import Operation, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
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
    Pure,
    SymbolOpInterface,
    SymbolTable,
)
from xdsl.utils.exceptions import VerifyException

from tfir.dialects.device.base import (
    expect,
)


def parent_kernel(op: Operation) -> KernelOp | None:
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
        expect("argument types", want, [a.type for a in self.args])


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
        if parent_kernel(self) is None:
            raise VerifyException("expected device.program_id inside a device.kernel")


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
