"""The contract of each stage (docs/ir-levels.md), checked by the pipeline
after the last pass of the stage whenever `verify_each` is on (the tests
set TFIR_VERIFY_EACH=1), and by the tests of single passes.

- `linalg` (section 2): in each function only the linalg-stage ops, generic
  bodies of `arith` / `math` on scalars, indexing maps of the allowed
  shapes, every linalg output a fresh `tensor.empty` or a `linalg.fill`;
- `buffers`, `loops`, `schedule`, `scalar-loops` (sections 3 to 5): no
  tensors, no `bufferization` or `tensor` ops;
- `device` (section 6): in each entry only buffers, views, constants,
  `device.launch`es and calls of external implementations (and the
  program's loops and branches around them);

and, in each, every op keeps a source location (`locations=False` skips
that, for IR written by hand without them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

from xdsl.dialects import bufferization, func, memref, tensor
from xdsl.dialects.builtin import FileLineColLoc, ModuleOp, ShapedType, TensorType
from xdsl.ir import Attribute, Operation
from xdsl.ir.affine import AffineBinaryOpExpr, AffineBinaryOpKind, AffineConstantExpr, AffineDimExpr

from tfir.errors import InternalError
from tfir.lowering.utils.control_blocks import structured_blocks

CONTROL_OPS = ("scf.for", "scf.while", "scf.if", "scf.yield", "scf.condition", "arith.index_cast",
               "arith.addi", "arith.muli")
"""The program's control flow at every stage (`index` arithmetic of a loop variable with a negative step)."""


class ContractError(InternalError):
    """IR that is not in the form of its stage: a pass broke the contract."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ContractError(message)


def _functions(module: ModuleOp) -> Iterator[func.FuncOp]:
    for op in module.ops:
        if isinstance(op, func.FuncOp) and not op.is_declaration:
            yield op


def _check_locations(op: Operation) -> None:
    for inner in op.walk():
        _require(isinstance(inner.location, FileLineColLoc), f"{inner.name} has no source location")


# -- linalg on tensors (section 2) ------------------------------------------------------

LINALG_STAGE_OPS = frozenset({
    "linalg.generic", "linalg.matmul", "linalg.transpose", "linalg.fill", "tensor.empty",
    "tensor.collapse_shape", "tensor.expand_shape", "tensor.extract_slice", "tensor.insert_slice",
    "arith.constant", "func.call", "func.return",
    # (v2) the program's loops and branches, their scalars, the gathers, scatters and checks
    *CONTROL_OPS, "tensor.extract", "tensor.from_elements", "linalgx.gather", "linalgx.scatter",
    "linalgx.check_index",
})
"""The ops of a function at the `linalg` stage (`func.call`: of an external implementation)."""


def _structured_ops(fn: func.FuncOp) -> Iterator[Operation]:
    """The ops of a function's block and of its loops' and branches' blocks."""
    for block in structured_blocks(fn):
        yield from block.ops


def _check_map_expr(expr: object, op: Operation) -> None:
    if isinstance(expr, AffineDimExpr | AffineConstantExpr):
        return
    # Only slices read through `dI * stride + start` (or `dI * stride`).
    _require(isinstance(expr, AffineBinaryOpExpr), f"{op.name}: map result {expr}")
    assert isinstance(expr, AffineBinaryOpExpr)
    term = expr.lhs if expr.kind == AffineBinaryOpKind.Add else expr
    if expr.kind == AffineBinaryOpKind.Add:
        _require(isinstance(expr.rhs, AffineConstantExpr), f"{op.name}: map result {expr}")
    _require(isinstance(term, AffineBinaryOpExpr) and term.kind == AffineBinaryOpKind.Mul
             and isinstance(term.lhs, AffineDimExpr) and isinstance(term.rhs, AffineConstantExpr),
             f"{op.name}: map result {expr}")


def _check_generic(op: Operation) -> None:
    n_in = len(op.inputs)  # type: ignore[attr-defined]
    maps = [m.data for m in op.indexing_maps]  # type: ignore[attr-defined]
    for m in maps[:n_in]:
        for expr in m.results:
            _check_map_expr(expr, op)
    for m in maps[n_in:]:
        _require(m.is_projected_permutation(), f"output map {m} is not a projected permutation")
    for inner in op.body.block.ops:  # type: ignore[attr-defined]
        _require(inner.dialect_name() in ("arith", "math") or inner.name in ("linalg.yield", "linalg.index"),
                 f"{inner.name} in a linalg.generic body")
        for operand in inner.operands:
            _require(not isinstance(operand.type, TensorType), "tensor op in a generic body")


def check_linalg(module: ModuleOp, locations: bool = True) -> None:
    """The module is in the `linalg` form (docs/ir-levels.md section 2)."""
    for fn in _functions(module):
        for op in _structured_ops(fn):
            _require(op.name in LINALG_STAGE_OPS, f"{op.name} is not a linalg-stage op")
            if op.name == "linalg.generic":
                _check_generic(op)
            if op.name.startswith("linalg."):
                # Destination-passing: every `outs` is a fresh tensor.empty,
                # or one a linalg.fill initialised.
                for out in op.outputs:  # type: ignore[attr-defined]
                    owner = out.owner
                    _require(isinstance(owner, Operation) and owner.name in ("tensor.empty", "linalg.fill"),
                             f"{op.name} writes into {out}")
            if locations:
                _check_locations(op)


# -- buffers and loops (sections 3 to 5) ----------------------------------------------------


def _value_types(op: Operation) -> Iterator[Attribute]:
    yield from op.operand_types
    yield from op.result_types
    for region in op.regions:
        for block in region.blocks:
            yield from (arg.type for arg in block.args)


def check_buffers(module: ModuleOp, locations: bool = True) -> None:
    """No tensors, no `bufferization` or `tensor` ops (docs/ir-levels.md sections 3 to 5)."""
    for op in module.walk():
        if op is module:
            continue
        _require(not any(isinstance(t, TensorType) for t in _value_types(op)), f"a tensor in {op}")
        _require(op.dialect_name() not in (bufferization.Bufferization.name, tensor.Tensor.name),
                 f"{op.name} at the buffer level")
        if locations:
            _require(isinstance(op.location, FileLineColLoc), f"{op.name} has no source location")


# -- device (section 6) -------------------------------------------------------------------

DEVICE_HOST_OPS = frozenset({
    "memref.alloc", "memref.get_global", "memref.subview", "memref.collapse_shape",
    "memref.expand_shape", "arith.constant", "device.launch", "func.call", "func.return",
    # (v2) the program's loops and branches on the host, the scalars they read
    # and write (a condition, the loop variable) and the check of a flag
    *CONTROL_OPS, "memref.load", "memref.store", "device.check_flag",
})
"""The ops of an entry at the `device` stage: the host side."""


def check_device(module: ModuleOp, locations: bool = True) -> None:
    """Entries hold only buffers, views and launches (docs/ir-levels.md section 6)."""
    for op in module.ops:
        _require(op.name in ("func.func", "memref.global", "device.kernel"),
                 f"{op.name} at the module level of the device stage")
    for fn in _functions(module):
        for op in _structured_ops(fn):
            _require(op.name in DEVICE_HOST_OPS, f"{op.name} is not a device-stage host op")
            if locations and op.name != "arith.constant":
                _require(isinstance(op.location, FileLineColLoc), f"{op.name} has no source location")


def check_uses(module: ModuleOp) -> None:
    """Every user of every value is in the module: a pass that builds an op and then
    drops it without erasing it leaves a user that xDSL's verifier does not see
    (and that later passes trip over)."""
    for op in module.walk():
        values = [*op.results, *(a for region in op.regions for block in region.blocks for a in block.args)]
        for value in values:
            for use in value.uses:
                user: Operation | None = use.operation
                while user is not None and user is not module:
                    user = user.parent_op()
                _require(user is module, f"{use.operation.name} uses a result of {op.name} but is not in the module")
    check_reshapes(module)


def check_reshapes(module: ModuleOp) -> None:
    """Every reshape of static shapes keeps each group's element count: xDSL's
    verifier of `collapse_shape` / `expand_shape` does not check it, and a pass
    that rewrites a reshape's shapes can break it (numpy-row-groups did)."""
    for op in module.walk():
        if not isinstance(op, memref.CollapseShapeOp | memref.ExpandShapeOp | tensor.CollapseShapeOp
                          | tensor.ExpandShapeOp):
            continue
        src, res = op.operands[0].type, op.results[0].type
        big, small = (src, res) if op.name.endswith("collapse_shape") else (res, src)
        if not (isinstance(big, ShapedType) and isinstance(small, ShapedType)):
            continue
        big_shape, small_shape = big.get_shape(), small.get_shape()
        groups = [[i.value.data for i in g.data] for g in op.reassociation.data]
        if any(d < 0 for d in (*big_shape, *small_shape)) or len(groups) != len(small_shape):
            continue
        for k, group in enumerate(groups):
            count = math.prod(big_shape[i] for i in group)
            _require(count == small_shape[k], f"{op.name}: group {group} of {list(big_shape)} has {count} "
                                              f"elements, dim {k} of {list(small_shape)} has {small_shape[k]}")


CONTRACTS: dict[str, Callable[[ModuleOp], None]] = {
    "linalg": check_linalg,
    "buffers": check_buffers,
    "loops": check_buffers,
    "scalar-loops": check_buffers,
    "schedule": check_buffers,
    "device": check_device,
}
"""The check of each stage's output, by stage."""
