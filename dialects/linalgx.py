"""The `linalgx` dialect: the gathers, scatters and index checks of the
linalg, buffers and loops levels, which upstream `linalg` has no op for
(modelled on IREE's `iree_linalg_ext.gather` / `scatter`).

Like linalg ops they are in destination-passing style: on tensors (stage
`linalg`) the op takes its destination as an operand and gives the updated
tensor as its result; on buffers (stages `buffers`, `loops`) it writes the
destination memref and has no result. Indices are `i32` or `i64`; an index
counts from the end when negative; one outside `[-n, n)` is clamped by a
gather and skipped by a scatter, so no op reads or writes outside its
operands. `linalgx.check_index` before them raises the run-time error.

```mlir
%e = linalgx.gather %table, %ids, %init {axis = 0 : i64, along = false} : (tensor<7x4xf32>, tensor<3x5xi32>, tensor<3x5x4xf32>) -> tensor<3x5x4xf32>
linalgx.scatter %h, %t, %hs {axis = 0 : i64, accumulate = false} : (memref<3x4xf32>, memref<i32>, memref<7x3x4xf32>) -> ()
```
"""

from __future__ import annotations

from xdsl.dialects.builtin import BoolAttr, IntegerAttr, MemRefType, StringAttr, TensorType, i64
from xdsl.ir import Attribute, Dialect, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    attr_def,
    irdl_op_definition,
    operand_def,
    var_result_def,
)
from xdsl.utils.exceptions import VerifyException

SHAPED = TensorType | MemRefType
# Unknown memory effects (no trait): never removed, merged or moved by xDSL's passes.
FORMAT = "attr-dict `:` functional-type(operands, results)"


def _shape(value: SSAValue) -> tuple[int, ...]:
    typ = value.type
    assert isinstance(typ, TensorType | MemRefType)
    return tuple(typ.get_shape())


def _dps_results(dest: SSAValue) -> list[Attribute]:
    """A tensor destination is also the result; a buffer is written in place."""
    return [dest.type] if isinstance(dest.type, TensorType) else []


def _check_results(op: IRDLOperation, dest: SSAValue) -> None:
    if [r.type for r in op.results] != _dps_results(dest):
        raise VerifyException(f"expected results {_dps_results(dest)} (the destination's type on tensors, "
                              "none on buffers)")


@irdl_op_definition
class GatherOp(IRDLOperation):
    """`dest = take(source, indices, axis)` (or, with `along`,
    `take_along_axis`): each entry of `dest` is the entry of `source` at the
    (clamped) index along `axis`.

    ```mlir
    %e = linalgx.gather %table, %ids, %init {axis = 0 : i64, along = false} : (tensor<7x4xf32>, tensor<3x5xi32>, tensor<3x5x4xf32>) -> tensor<3x5x4xf32>
    ```
    """

    name = "linalgx.gather"
    source = operand_def(SHAPED)
    indices = operand_def(SHAPED)
    dest = operand_def(SHAPED)
    res = var_result_def(TensorType)
    axis = attr_def(IntegerAttr)
    along = attr_def(BoolAttr)
    assembly_format = "$source `,` $indices `,` $dest " + FORMAT

    def __init__(self, source: SSAValue, indices: SSAValue, dest: SSAValue, axis: int, along: bool):
        super().__init__(operands=[source, indices, dest], result_types=[_dps_results(dest)],
                         attributes={"axis": IntegerAttr(axis, i64), "along": IntegerAttr.from_bool(along)})

    @property
    def axis_value(self) -> int:
        return self.axis.value.data

    @property
    def is_along(self) -> bool:
        return bool(self.along.value.data)

    def verify_(self) -> None:
        _check_results(self, self.dest)
        src, idx, out = _shape(self.source), _shape(self.indices), _shape(self.dest)
        axis = self.axis_value
        if not 0 <= axis < len(src):
            raise VerifyException(f"expected an axis of the source (rank {len(src)}), got {axis}")
        want = out if self.is_along else (*src[:axis], *idx, *src[axis + 1:])
        if self.is_along and (idx != out or src[:axis] + src[axis + 1:] != out[:axis] + out[axis + 1:]):
            raise VerifyException(f"expected indices of the destination's shape {out} and a source of that "
                                  f"shape off the axis, got {idx} and {src}")
        if tuple(want) != out:
            raise VerifyException(f"expected a destination of shape {tuple(want)}, got {out}")


@irdl_op_definition
class ScatterOp(IRDLOperation):
    """`dest[..., indices, ...] = updates` along `axis` (with `accumulate`:
    `+=`, duplicates adding up), in place on `dest`.

    ```mlir
    %r = linalgx.scatter %h, %t, %hs {axis = 0 : i64, accumulate = false} : (tensor<3x4xf32>, tensor<i32>, tensor<7x3x4xf32>) -> tensor<7x3x4xf32>
    ```
    """

    name = "linalgx.scatter"
    updates = operand_def(SHAPED)
    indices = operand_def(SHAPED)
    dest = operand_def(SHAPED)
    res = var_result_def(TensorType)
    axis = attr_def(IntegerAttr)
    accumulate = attr_def(BoolAttr)
    assembly_format = "$updates `,` $indices `,` $dest " + FORMAT

    def __init__(self, updates: SSAValue, indices: SSAValue, dest: SSAValue, axis: int, accumulate: bool):
        super().__init__(operands=[updates, indices, dest], result_types=[_dps_results(dest)],
                         attributes={"axis": IntegerAttr(axis, i64),
                                     "accumulate": IntegerAttr.from_bool(accumulate)})

    @property
    def axis_value(self) -> int:
        return self.axis.value.data

    @property
    def accumulates(self) -> bool:
        return bool(self.accumulate.value.data)

    def verify_(self) -> None:
        _check_results(self, self.dest)
        dest, idx, upd = _shape(self.dest), _shape(self.indices), _shape(self.updates)
        axis = self.axis_value
        if not 0 <= axis < len(dest):
            raise VerifyException(f"expected an axis of the destination (rank {len(dest)}), got {axis}")
        want = (*dest[:axis], *idx, *dest[axis + 1:])
        if upd != want:
            raise VerifyException(f"expected updates of shape {want}, got {upd}")


@irdl_op_definition
class CheckIndexOp(IRDLOperation):
    """Raises the run-time error of an index outside `[-size, size)` (`[0, size)`
    without `negative`), as `tf.check_index` (whose attributes it keeps); on
    tensors it gives its operand back, so the ops that index with it run after it.

    ```mlir
    %i = linalgx.check_index %idx {size = 5 : i64, axis = 0 : i64, negative = true, what = "take"} : (tensor<4xi32>) -> tensor<4xi32>
    ```
    """

    name = "linalgx.check_index"
    indices = operand_def(SHAPED)
    res = var_result_def(TensorType)
    size = attr_def(IntegerAttr)
    axis = attr_def(IntegerAttr)
    negative = attr_def(BoolAttr)
    what = attr_def(StringAttr)
    assembly_format = "$indices " + FORMAT

    def __init__(self, indices: SSAValue, size: int, axis: int, what: str, negative: bool):
        super().__init__(operands=[indices], result_types=[_dps_results(indices)], attributes={
            "size": IntegerAttr(size, i64), "axis": IntegerAttr(axis, i64),
            "negative": IntegerAttr.from_bool(negative), "what": StringAttr(what)})

    @property
    def size_value(self) -> int:
        return self.size.value.data

    @property
    def allows_negative(self) -> bool:
        return bool(self.negative.value.data)

    def verify_(self) -> None:
        _check_results(self, self.indices)


LINALGX = Dialect("linalgx", [GatherOp, ScatterOp, CheckIndexOp], [])
