"""Ops of the `tf` dialect that index with tensors: gathers, scatters and the
run-time check of their indices.

An index tensor holds `i32` or `i64` values. The gathers and scatters count a
negative index from the end (`-1` is the last entry) and never read or write
outside their operand: an index outside `[-n, n)` is clamped (gathers) or
skipped (scatters). Whether such an index is an error is decided by a
`tf.check_index` of the indices before them, which the frontend emits for
every dynamic index: it raises `tfir.ExecutionError` at run time, naming the
op's location (its `FileLineColLoc`), the index and the size.
"""

from __future__ import annotations

from xdsl.dialects.builtin import BoolAttr, IntegerAttr, StringAttr, TensorType, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    attr_def,
    irdl_op_definition,
    operand_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from tfir.dialects import index_rules as rules
from tfir.dialects.tf.base import VerifyCall, check_result_shape, elem_of, ttype_of

INDEX_FORMAT = "$input `,` $indices attr-dict `:` functional-type(operands, results)"


class _GatherOp(IRDLOperation):
    input = operand_def(TensorType)
    indices = operand_def(TensorType)
    result = result_def(TensorType)
    axis = attr_def(IntegerAttr)
    traits = traits_def(Pure())
    assembly_format = INDEX_FORMAT

    def __init__(self, input: SSAValue, indices: SSAValue, axis: int, result_type: Attribute):
        super().__init__(operands=[input, indices], result_types=[result_type],
                         attributes={"axis": IntegerAttr(axis, i64)})

    @property
    def axis_value(self) -> int:
        return self.axis.value.data

    def _check(self, along: bool) -> None:
        call = VerifyCall(self)
        x, idx = ttype_of(self.input), ttype_of(self.indices)
        rule = rules.take_along_shape if along else rules.take_shape
        axis, shape = rule(call, x, idx, self.axis_value)
        if axis != self.axis_value:
            raise VerifyException(f"expected a non-negative axis, got {self.axis_value}")
        check_result_shape(shape, self.result)
        if elem_of(self.result) != elem_of(self.input):
            raise VerifyException(f"expected result dtype {elem_of(self.input)}, got {elem_of(self.result)}")


@irdl_op_definition
class TakeOp(_GatherOp):
    """`take(x, indices, axis)` as NumPy: the entries of `x` at `indices` along
    `axis`, whose dims replace that axis (a rank-0 index drops it).

    ```mlir
    %e = tf.take %table, %ids {axis = 0 : i64} : (tensor<7x4xf32>, tensor<3x5xi32>) -> tensor<3x5x4xf32>
    ```
    """

    name = "tf.take"

    def verify_(self) -> None:
        self._check(along=False)


@irdl_op_definition
class TakeAlongAxisOp(_GatherOp):
    """`take_along_axis(x, indices, axis)` as NumPy: `indices` has `x`'s rank
    and picks, at each position, the entry along `axis`.

    ```mlir
    %p = tf.take_along_axis %scores, %choice {axis = 1 : i64} : (tensor<3x6xf32>, tensor<3x1xi64>) -> tensor<3x1xf32>
    ```
    """

    name = "tf.take_along_axis"

    def verify_(self) -> None:
        self._check(along=True)


class _ScatterOp(IRDLOperation):
    input = operand_def(TensorType)
    indices = operand_def(TensorType)
    updates = operand_def(TensorType)
    result = result_def(TensorType)
    axis = attr_def(IntegerAttr)
    traits = traits_def(Pure())
    assembly_format = "$input `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)"

    def __init__(self, input: SSAValue, indices: SSAValue, updates: SSAValue, axis: int):
        super().__init__(operands=[input, indices, updates], result_types=[input.type],
                         attributes={"axis": IntegerAttr(axis, i64)})

    @property
    def axis_value(self) -> int:
        return self.axis.value.data

    def verify_(self) -> None:
        call = VerifyCall(self)
        x, idx, upd = ttype_of(self.input), ttype_of(self.indices), ttype_of(self.updates)
        axis, want = rules.take_shape(call, x, idx, self.axis_value)
        if axis != self.axis_value:
            raise VerifyException(f"expected a non-negative axis, got {self.axis_value}")
        rules.check_updates(call, upd.shape, want)
        if self.result.type != self.input.type or elem_of(self.updates) != elem_of(self.input):
            raise VerifyException("expected updates and result of the operand's dtype, the result of its type")


@irdl_op_definition
class ScatterOp(_ScatterOp):
    """`scatter(x, indices, updates, axis)`: a copy of `x` whose entries at
    `indices` along `axis` are `updates` (`updates` has the shape of
    `take(x, indices, axis)`; of duplicate indices, one update is kept).

    ```mlir
    %y = tf.scatter %hs, %t, %h {axis = 0 : i64} : (tensor<7x3x4xf32>, tensor<i32>, tensor<3x4xf32>) -> tensor<7x3x4xf32>
    ```
    """

    name = "tf.scatter"


@irdl_op_definition
class ScatterAddOp(_ScatterOp):
    """`scatter_add(x, indices, updates, axis)`: a copy of `x` with `updates`
    added at `indices` along `axis`; duplicate indices accumulate (as
    `numpy.add.at`).

    ```mlir
    %c = tf.scatter_add %zeros, %assign, %ones {axis = 0 : i64} : (tensor<4xf32>, tensor<20xi64>, tensor<20xf32>) -> tensor<4xf32>
    ```
    """

    name = "tf.scatter_add"


@irdl_op_definition
class CheckIndexOp(IRDLOperation):
    """Checks at run time that every index is inside `[-size, size)` (with
    `negative = false`: `[0, size)`) and gives the indices unchanged; an index
    outside is a `tfir.ExecutionError` naming the op's location, the index and
    the size, with `what` saying what indexes (`take`, `x[...]`, ...). It has
    a side effect (it may raise), so it is never removed, merged or moved, and
    the gather or scatter that uses its result runs after it.

    ```mlir
    %i = tf.check_index %idx {size = 5 : i64, axis = 0 : i64, negative = true, what = "take"} : (tensor<4xi32>) -> tensor<4xi32>
    ```
    """

    name = "tf.check_index"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    size = attr_def(IntegerAttr)
    axis = attr_def(IntegerAttr)
    negative = attr_def(BoolAttr)
    what = attr_def(StringAttr)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    def __init__(self, input: SSAValue, size: int, axis: int, what: str, negative: bool = True):
        super().__init__(operands=[input], result_types=[input.type], attributes={
            "size": IntegerAttr(size, i64), "axis": IntegerAttr(axis, i64),
            "negative": IntegerAttr.from_bool(negative), "what": StringAttr(what)})

    @property
    def size_value(self) -> int:
        return self.size.value.data

    @property
    def allows_negative(self) -> bool:
        return bool(self.negative.value.data)

    def verify_(self) -> None:
        rules.check_indices(VerifyCall(self), ttype_of(self.input))
        if self.result.type != self.input.type:
            raise VerifyException(f"expected the result type {self.input.type}, got {self.result.type}")
        if self.size_value < 0:
            raise VerifyException(f"expected a size >= 0, got {self.size_value}")


INDEXING = [TakeOp, TakeAlongAxisOp, ScatterOp, ScatterAddOp, CheckIndexOp]
