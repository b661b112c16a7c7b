"""`split-batch`: an entry split along its batch axis into a function per
chunk of rows and a combine step, for running it over chunked arrays (Dask).

Not in the default pipeline: `Function.on_dask` and `tfir lower --batch B`
run it on the `tf` form after the `tf` stage (calls inlined, gradients
expanded), with the entry specialized for the whole batch.

Options: `entry` (default: the first function), `batch_axes` (for each
argument of the entry, the axis that holds the batch; -1: not batched) and
`rows` (the rows of a chunk; 0: the whole batch).

Precondition: the `tf` form (docs/ir-levels.md, level 1) with no calls in
the entry. Produces, in place of the entry `@f` (analysis: classify.py,
construction: build.py):

```mlir
// the entry on `rows` rows: its per-row results, then the partial results
func.func @f_chunk(%x: tensor<ROWSx8xf32>, %w: tensor<8x4xf32>) -> (tensor<ROWSx4xf32>, tensor<1x4xf32>)
    attributes {tfir.split = {...}}
// two sets of partial results to one (associative: chunks combine as a tree)
func.func @f_combine(%a: tensor<1x4xf32>, %b: tensor<1x4xf32>) -> tensor<1x4xf32>
// the combined partial results and the unbatched arguments to the other results
func.func @f_finalize(%p: tensor<1x4xf32>, %w: tensor<8x4xf32>) -> tensor<f32>
```

`@f_combine` and `@f_finalize` exist when the entry reduces over the batch
or has a result without it. `tfir.split` on `@f_chunk` says how to put the
entry's results back together: `row_results` (the entry's results that
`@f_chunk` returns first) with their batch axes `row_axes`,
`final_results` (those `@f_finalize` returns), `partials` (how many partial
results follow the row results), `batch` (the rows of the whole batch),
`rows`, and `finalize_args` (the entry's arguments `@f_finalize` takes after
the partial results). A constant that depends on the whole batch (the
`1/N` of a mean's gradient) is right in every chunk because the entry is
specialized for the whole batch and only the rows of a chunk are retyped.

An op that mixes rows of different chunks (`softmax` over the batch, a
slice of it, a FIN value used in every row) is a `CompileError` at its
location that names it.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    DictionaryAttr,
    FileLineColLoc,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    i64,
)
from xdsl.ir import Attribute
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination
from xdsl.utils.exceptions import PassFailedException

from tfir.dialects.tf.base import shape_of
from tfir.errors import CompileError, Diagnostic, Span
from tfir.lowering.split_batch.build import SplitBuilder
from tfir.lowering.split_batch.classify import Analysis, NotSplittable
from tfir.lowering.utils.split_attrs import SPLIT_ATTR


@dataclass(frozen=True)
class SplitBatchPass(ModulePass):
    """Split an entry into per-chunk, combine and finalize functions."""

    name = "split-batch"

    entry: str = ""
    batch_axes: tuple[int, ...] = ()
    rows: int = 0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        entry = self._entry(op)
        batch = self._batch(entry)
        rows = self.rows or batch
        if not 0 < rows <= max(batch, 1):
            raise PassFailedException(f"split-batch: rows={rows} is not within the batch of {batch}")
        if any(isinstance(o, func.CallOp) for o in entry.walk()):
            raise PassFailedException("split-batch: the entry has calls (run inline-calls first)")
        try:
            analysis = Analysis(entry, self.batch_axes)
        except NotSplittable as err:
            raise _diagnostic(err) from None
        name = entry.sym_name.data
        builder = SplitBuilder(analysis, rows)
        funcs = [builder.chunk(f"{name}_chunk")]
        if builder.slots or builder.final_results():
            funcs += [builder.combine(f"{name}_combine"), builder.finalize(f"{name}_finalize")]
        funcs[0].attributes[SPLIT_ATTR] = _plan(builder, analysis.rows, rows)
        for fn in reversed(funcs):
            Rewriter.insert_op(fn, InsertPoint.after(entry))
        Rewriter.erase_op(entry)
        # One partial per op: the max a logsumexp shifts by is often also a max of the entry.
        CommonSubexpressionElimination().apply(ctx, op)

    def _entry(self, module: ModuleOp) -> func.FuncOp:
        funcs = [f for f in module.ops if isinstance(f, func.FuncOp) and not f.is_declaration]
        found = [f for f in funcs if f.sym_name.data == self.entry] if self.entry else funcs[:1]
        if not found:
            raise PassFailedException(f"split-batch: no function @{self.entry or '?'} in the module")
        return found[0]

    def _batch(self, entry: func.FuncOp) -> int:
        """The rows of the batch, the batch axes checked."""
        args = entry.body.block.args
        if len(self.batch_axes) != len(args):
            raise PassFailedException(f"split-batch: batch_axes has {len(self.batch_axes)} axes for "
                                      f"{len(args)} arguments of @{entry.sym_name.data}")
        sizes = set()
        for arg, axis in zip(args, self.batch_axes, strict=True):
            if not -1 <= axis < len(shape_of(arg)):
                raise PassFailedException(f"split-batch: no axis {axis} in argument {arg.type}")
            if axis >= 0:
                sizes.add(shape_of(arg)[axis])
        if len(sizes) > 1:
            raise PassFailedException(f"split-batch: the batch axes have different sizes {sorted(sizes)}")
        if not sizes:
            raise PassFailedException("split-batch: no argument has a batch axis (batch_axes all -1)")
        return sizes.pop()


def _ints(values: list[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, values)


def _plan(builder: SplitBuilder, batch: int, rows: int) -> DictionaryAttr:
    axes = [builder.analysis.kind(builder.results[i]).axis for i in builder.row_results()]  # type: ignore[union-attr]
    fields: dict[str, Attribute] = {
        "batch": IntegerAttr(batch, i64), "rows": IntegerAttr(rows, i64),
        "row_results": _ints(builder.row_results()), "row_axes": _ints(axes),
        "final_results": _ints(builder.final_results()), "partials": IntegerAttr(len(builder.slots), i64),
        "finalize_args": _ints(builder.finalize_args()),
        "combine": ArrayAttr([StringAttr(s.kind) for s in builder.slots]),
    }
    return DictionaryAttr(fields)


def _diagnostic(err: NotSplittable) -> CompileError:
    loc = err.op.location
    if isinstance(loc, FileLineColLoc):
        span = Span.point(loc.filename.data, loc.line.data, loc.column.data)
    else:
        span = Span.point("<unknown>", 1, 1)
    return CompileError([Diagnostic(err.message, span)])
