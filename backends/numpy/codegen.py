"""Loop-level IR (docs/ir-levels.md section 4) -> a standalone NumPy module.

Precondition: a module in the `loops` form: one public `func.func` per entry
taking and returning memrefs; linalg ops on memrefs and `memref.subview`s,
inside `scf.parallel` / `scf.for` tile loops or not; `memref.alloc`,
`get_global` / `global`, `subview`, `collapse_shape`, `expand_shape`, `copy`;
`arith` index arithmetic for the tile bounds; `func.return`.

Produces the Python source of a module that defines `def <entry>(args)`:
NumPy arrays in, a tuple of NumPy arrays out. One statement per IR op: a
`memref.alloc` is an `np.empty`, a view is NumPy slicing or `.reshape`, a
linalg op is ufunc calls writing with `out=` (linalg.py, body.py), an
`scf.for` is a `for` loop, and the tiles of an `scf.parallel` that
`numpy-threads` marked `tfir.threads` are a nested function `tile(chunk)`
run on a thread pool, once per worker, each call taking tiles from one
shared iterator until none is left (an unmarked one is a plain loop);
scratch buffers, and buffers allocated inside a tile loop (a row group's
tile buffers), are allocated once before the loop, not per tile. A
`# file.tf:LINE  text` comment precedes the code of each source line. The
IR is printed as it is: every decision about how loops run was made by the
passes of stage `schedule`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    DenseIntOrFPElementsAttr,
    FileLineColLoc,
    IndexType,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block, Operation, SSAValue

from tfir.backends.common.emitter import PyEmitter
from tfir.backends.common.numpy_text import literal, np_dtype, typed_literal
from tfir.backends.numpy import native_rows
from tfir.backends.numpy.body import subscript, tuple_text
from tfir.backends.numpy.control import emit_if, emit_indexing, emit_while
from tfir.backends.numpy.index_text import (
    INDEX_OPS,
    dropped_dims,
    is_index_op,
    is_int_text,
    range_text,
    slice_text,
    type_text,
)
from tfir.backends.numpy.linalg import emit_linalg
from tfir.backends.numpy.native_emit import NativeKernels, call_text
from tfir.backends.numpy.ops import kernel_of
from tfir.backends.numpy.pointers import hoist_pointers
from tfir.dialects import linalgx
from tfir.dialects.plugins import ExternalCall
from tfir.lowering.utils.linalg_ops import is_contraction
from tfir.lowering.utils.memref_views import root_of
from tfir.lowering.utils.tile_loops import KEEP_BLAS_THREADS, ONE_BLAS_THREAD, THREADS

_LINALG = (LinalgStructuredOperation, linalg.BroadcastOp, linalg.ReduceOp)

# Buffers (not returned) from this size on are kept per thread between calls
# (`new_buffer`): below it, `np.empty` is as cheap (no page faults).
MIN_KEPT_BYTES = 1 << 16

class FunctionCodegen:
    """Emits one `func.func` as a Python function (the `Codegen` of linalg.py)."""

    def __init__(self, em: PyEmitter, globals_: dict[str, str], helpers: set[str],
                 reuse_buffers: bool = False, native: NativeKernels | None = None):
        self.em, self.globals, self.helpers = em, globals_, helpers
        self.reuse_buffers = reuse_buffers
        self.native = native  # the module's C kernels: marked ops call them (native_emit.py)
        self.returned: set[SSAValue] = set()  # buffers under the results: always fresh
        self.values: dict[SSAValue, str] = {}
        self.typed: dict[SSAValue, str] = {}
        self.consts: dict[SSAValue, float | int] = {}
        self.in_tile = False
        self.keep_blas_threads = False  # the function is marked tfir.keep_blas_threads (numpy-threads)
        self.scratch: list[str] = []
        self.pending: Operation | None = None
        self.scalar_globals: dict[str, tuple[str, str]] = {}
        self.scalars: dict[SSAValue, tuple[str, str]] = {}
        self.externals: dict[str, tuple[ExternalCall, str]] = {}
        self.global_of: dict[SSAValue, str] = {}  # get_global results: their symbol
        self.used_globals: set[str] = set()  # the constants the code reads as arrays
        # (k, shape, dtype) -> name of the scratch buffers allocated before a tile loop.
        self.hoist: dict[tuple[int, str, str], str] | None = None

    # -- the Codegen protocol of linalg.py --------------------------------------------------

    def expr(self, value: SSAValue) -> str:
        if value not in self.values:
            raise NotImplementedError(f"numpy backend: no value for {value} (defined by an unsupported op?)")
        if value in self.global_of:
            self.used_globals.add(self.global_of[value])
        return self.values[value]

    def fresh(self, hint: str) -> str:
        return self.em.fresh(hint)

    def scratch_name(self, k: int) -> str:
        """`t0`, `t1`, ...: scratch buffers are locals of one op, so each op reuses the names."""
        while len(self.scratch) <= k:
            self.scratch.append(self.fresh(f"t{len(self.scratch)}"))
        return self.scratch[k]

    def line(self, text: str) -> None:
        self._flush()
        self.em.line(text)

    def use_helper(self, name: str) -> None:
        """The generated module needs helper `name` of numpy/prelude.py."""
        self.helpers.add(name)

    def comment(self, op: Operation) -> None:
        """Cite `op`'s source line above the next statement (unless a later op with a
        location comes first: a linalg op's body ops cite their own lines)."""
        if isinstance(op.location, FileLineColLoc) or self.pending is None:
            self.pending = op

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self._flush()
        with self.em.block(header):
            yield

    def _flush(self) -> None:
        if self.pending is not None:
            self.em.source_comment(self.pending)
            self.pending = None

    def root(self, value: SSAValue) -> SSAValue:
        return root_of(value)

    def scalar(self, value: SSAValue) -> tuple[str, str] | None:
        """A scalar constant, or a rank-0 constant buffer, as literals (plain, typed):
        read as a number, not an array."""
        if value in self.typed:
            return self.values[value], self.typed[value]
        return self.scalars.get(value)

    # -- functions and blocks ---------------------------------------------------------------

    def emit_func(self, fn: func.FuncOp, entry: str) -> None:
        args = fn.body.block.args
        names = [self.fresh(a.name_hint or f"arg{i}") for i, a in enumerate(args)]
        self.values.update(zip(args, names, strict=True))
        sig = ", ".join(f"{n}: {type_text(a.type)}" for n, a in zip(names, args, strict=True))
        results = ", ".join(type_text(t) for t in fn.function_type.outputs)
        self.returned = {self.root(v) for op in fn.walk() if isinstance(op, func.ReturnOp)
                         for v in op.arguments}
        with self.block(f"def {entry}({', '.join(names)})"):
            self.line(f'"""{entry}({sig}) -> ({results}{"," if len(fn.function_type.outputs) == 1 else ""})"""')
            if self.native is not None:  # C reads them as laid out in the IR: row-major
                for name in names:
                    self.line(f"{name} = np.require({name}, requirements=\"C\")")  # 0-d stays 0-d
            self.keep_blas_threads = KEEP_BLAS_THREADS in fn.attributes
            if ONE_BLAS_THREAD in fn.attributes:  # the pool shares out the contractions
                self.helpers.add("blas")
                with self.block("with _one_blas_thread()"):
                    self.emit_block(fn.body.block)
            elif self.keep_blas_threads:  # the BLAS's threads, unless other work keeps the cores busy
                self.helpers.add("blas")
                with self.block("with _blas_threads_unless_busy()"):
                    self.emit_block(fn.body.block)
            else:
                self.emit_block(fn.body.block)

    def emit_block(self, block: Block) -> None:
        self.emit_ops(list(block.ops))

    def emit_op(self, op: Operation) -> None:
        if isinstance(op, arith.ConstantOp):
            self._constant(op)
        elif is_index_op(op):
            self._index(op)
        elif isinstance(op, _LINALG):
            self.comment(op)
            if self.native is not None and NativeKernels.takes(op):
                name = self.native.add(op)  # type: ignore[arg-type]
                self.line(call_text(name, [self.expr(v) for v in op.operands]))
            else:
                emit_linalg(self, op)
        elif isinstance(op, memref.AllocOp):
            self._alloc(op)
        elif isinstance(op, memref.GetGlobalOp):
            sym = op.name_.root_reference.data
            self.values[op.memref] = self.globals[sym]
            self.global_of[op.memref] = sym
            if sym in self.scalar_globals:
                self.scalars[op.memref] = self.scalar_globals[sym]
        elif isinstance(op, memref.SubviewOp):
            self._subview(op)
        elif isinstance(op, memref.CollapseShapeOp | memref.ExpandShapeOp):
            self._reshape(op)
        elif isinstance(op, memref.CastOp):
            self.values[op.results[0]] = self.expr(op.operands[0])
        elif isinstance(op, memref.CopyOp):
            self.comment(op)
            self.line(f"np.copyto({self.expr(op.destination)}, {self.expr(op.source)})")
        elif isinstance(op, memref.LoadOp | memref.StoreOp):
            self._load_store(op)
        elif isinstance(op, memref.DeallocOp | scf.ReduceOp | scf.YieldOp):
            pass
        elif isinstance(op, scf.ParallelOp):
            self._parallel(op)
        elif isinstance(op, scf.ForOp) and self.native is not None and NativeKernels.takes_loop(op):
            self.comment(op)
            name, values = self.native.add_loop(op)
            self.line(call_text(name, [self.expr(v) for v in values]))
        elif isinstance(op, scf.ForOp):
            self._for(op)
        elif isinstance(op, scf.WhileOp):
            emit_while(self, op)
        elif isinstance(op, scf.IfOp):
            emit_if(self, op)
        elif isinstance(op, linalgx.GatherOp | linalgx.ScatterOp | linalgx.CheckIndexOp):
            emit_indexing(self, op)
        elif isinstance(op, func.ReturnOp):
            self._return(op)
        elif isinstance(op, func.CallOp):
            self._call(op)
        elif op.name.startswith(("arith.", "math.")) and len(op.results) == 1:
            self._scalar(op)
        else:
            raise NotImplementedError(f"numpy backend: no rule for {op.name}")

    # -- scalars ---------------------------------------------------------------------------

    def _constant(self, op: arith.ConstantOp) -> None:
        attr, res = op.value, op.result
        if isinstance(attr, DenseIntOrFPElementsAttr):
            raise NotImplementedError("numpy backend: a tensor constant at the loop level")
        value = attr.value.data
        self.consts[res] = value
        self.values[res] = literal(value, res.type)
        self.typed[res] = str(int(value)) if isinstance(res.type, IndexType) else typed_literal(value, res.type)

    def _index(self, op: Operation) -> None:
        args = [self.expr(v) for v in op.operands]
        res = op.results[0]
        if op.name in INDEX_OPS:
            template, fold = INDEX_OPS[op.name]
        elif isinstance(op, arith.IndexCastOp):
            template, fold = "{0}", None
        elif isinstance(op, arith.CmpiOp):
            pred = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
            sym = {"eq": "==", "ne": "!=", "slt": "<", "sle": "<=", "sgt": ">", "sge": ">="}[pred]
            template, fold = f"{{0}} {sym} {{1}}", None
        else:
            template, fold = "{1} if {0} else {2}", None
        if fold is not None and all(is_int_text(a) for a in args):
            self.values[res] = str(fold(*(int(a) for a in args)))
            self.consts[res] = int(self.values[res])
            return
        if template == "{0}":
            self.values[res] = args[0]
            return
        name = self.fresh(res.name_hint or "n")
        self.comment(op)
        self.line(f"{name} = {template.format(*args)}")
        self.values[res] = name

    def _scalar(self, op: Operation) -> None:
        res = op.results[0]
        args = [self.typed.get(v, self.expr(v)) for v in op.operands]
        name = self.fresh(res.name_hint or "s")
        self.comment(op)
        kernel = kernel_of(op)
        for helper in kernel.helpers:
            self.use_helper(helper)
        self.line(f"{name} = {kernel.scalar.format(*args, dtype=np_dtype(res.type))}")
        self.values[res] = name

    # -- buffers and views -----------------------------------------------------------------

    def _alloc(self, op: memref.AllocOp) -> None:
        typ = op.memref.type
        number = op.attributes.get("tfir.buffer")
        hint = op.memref.name_hint or (f"buf{number.value.data}" if number is not None else "buf")
        dyn = iter(op.dynamic_sizes)
        shape = [str(d) if d != DYNAMIC_INDEX else self.expr(next(dyn)) for d in typ.get_shape()]
        shape_text = tuple_text(shape) if shape else "()"
        if self.hoist is not None and not op.dynamic_sizes and op.memref not in self.returned:
            # A buffer of one tile (a row group's): allocated once per worker, not per tile.
            key = (-1 - len(self.hoist), shape_text, np_dtype(typ))
            self.values[op.memref] = self.hoist[key] = self.fresh(hint)
            return
        name = self.fresh(hint)
        self.comment(op)
        fresh = op.memref in self.returned or bool(op.dynamic_sizes)
        self.line(f"{name} = {self.new_buffer(name, shape_text, np_dtype(typ), fresh)}")
        self.values[op.memref] = name

    def new_buffer(self, site: str, shape: str, dtype: str, fresh: bool = False) -> str:
        """The expression of a new buffer: `np.empty`, or, for a large buffer
        that is not returned, the calling thread's buffer of this site kept
        from its last call (`_buffer`: no page faults for a fresh allocation
        on every call; one per thread, so concurrent calls never share)."""
        dims = [d.strip() for d in shape.strip("()").split(",") if d.strip()]
        size = math.prod(int(d) for d in dims) if all(d.isdigit() for d in dims) else 0
        itemsize = np.dtype(getattr(np, dtype.removeprefix("np."))).itemsize
        if fresh or not self.reuse_buffers or size * itemsize < MIN_KEPT_BYTES:
            return f"np.empty({shape}, dtype={dtype})"
        self.helpers.add("buffers")
        return f"_buffer({site!r}, {shape}, {dtype})"

    def _view_name(self, op: Operation, suffix: str) -> str:
        """`x_t` for a tile of `x` (a subview in a loop), `x_s` for a slice, `x_r` for a reshape."""
        res = op.results[0]
        if res.name_hint:
            return self.fresh(res.name_hint)
        base = self.expr(self.root(op.operands[0])).split("[")[0].split(".")[0]
        if suffix == "s" and isinstance(op.parent_op(), scf.ParallelOp | scf.ForOp):
            suffix = "t"
        return self.fresh(f"{base}_{suffix}")

    def _subview(self, op: memref.SubviewOp) -> None:
        src_shape = op.source.type.get_shape()
        res_shape = op.result.type.get_shape()
        parts = []
        for statics, dyn in ((op.static_offsets, op.offsets), (op.static_sizes, op.sizes),
                             (op.static_strides, op.strides)):
            it = iter(dyn)
            parts.append([str(s) if s != DYNAMIC_INDEX else self.expr(next(it)) for s in statics.get_values()])
        offsets, sizes, strides = parts
        dropped = dropped_dims(sizes, res_shape)
        items = []
        for d, (o, s, st) in enumerate(zip(offsets, sizes, strides, strict=True)):
            if d in dropped:
                items.append(o)
            elif st == "1" and o == "0" and s == str(src_shape[d]):
                items.append(":")
            else:
                items.append(slice_text(o, s, st))
        if len(dropped) == len(items):
            items.append("...")  # keep a 0-d view, not a NumPy scalar
        source = self.expr(op.source)
        name = self._view_name(op, "s")
        self.comment(op)
        self.line(f"{name} = {subscript(source, items)}")
        self.values[op.result] = name

    def _reshape(self, op: memref.CollapseShapeOp | memref.ExpandShapeOp) -> None:
        source = self.expr(op.src)
        shape = [str(d) for d in op.result.type.get_shape()]
        if isinstance(op, memref.ExpandShapeOp):
            dyn = iter(op.output_shape)
            shape = [d if int(d) != DYNAMIC_INDEX else self.expr(next(dyn)) for d in shape]
        elif str(DYNAMIC_INDEX) in shape:
            groups = [[int(i.data) for i in g.data] for g in op.reassociation.data]
            shape = [d if d != str(DYNAMIC_INDEX) else " * ".join(f"{source}.shape[{i}]" for i in g)
                     for d, g in zip(shape, groups, strict=True)]
        name = self._view_name(op, "r")
        self.comment(op)
        self.line(f"{name} = {source}.reshape({tuple_text(shape) if shape else '()'})")
        self.values[op.result] = name

    def _load_store(self, op: memref.LoadOp | memref.StoreOp) -> None:
        index = ", ".join(self.expr(v) for v in op.indices) or "()"
        self.comment(op)
        if isinstance(op, memref.LoadOp):
            name = self.fresh(op.res.name_hint or "s")
            self.line(f"{name} = {self.expr(op.memref)}[{index}]")
            self.values[op.res] = name
        else:
            self.line(f"{self.expr(op.memref)}[{index}] = {self.expr(op.value)}")

    # -- loops and return ------------------------------------------------------------------

    def _body(self, ops: list[Operation]) -> None:
        before = len(self.em._lines)
        self.emit_ops(ops)
        if len(self.em._lines) == before:
            self.line("pass")

    body = _body

    def hoisting(self) -> Any:
        """Scratch buffers of the code emitted inside are allocated before it (a loop's: once)."""
        return self._hoisting()

    def emit_ops(self, ops: list[Operation]) -> None:
        """`ops` in order; consecutive C kernels that can, as one row by row (native_rows.py)."""
        for item in native_rows.plan(ops, self.native):
            if not isinstance(item, native_rows.RowRun):
                self.emit_op(item)
                continue
            for view in item.views:
                self.emit_op(view)
            self.comment(item.ops[0])
            assert self.native is not None
            name, values = self.native.add_rows(item.ops, item.rows())
            self.line(call_text(name, [self.expr(v) for v in values]))

    def _parallel(self, op: scf.ParallelOp) -> None:
        if op.initVals:
            raise NotImplementedError("numpy backend: scf.parallel with reductions")
        ivs = [self.fresh(a.name_hint or "i") for a in op.body.block.args]
        self.values.update(zip(op.body.block.args, ivs, strict=True))
        ranges = [range_text(self.expr(lb), self.expr(ub), self.expr(st))
                  for lb, ub, st in zip(op.lowerBound, op.upperBound, op.step, strict=True)]
        ops = [o for o in op.body.block.ops if not isinstance(o, scf.ReduceOp)]
        self.comment(op)
        if THREADS in op.attributes and not self.in_tile:
            # One call per worker, taking tile indices from one shared iterator;
            # the scratch buffers are allocated once per call, not per tile.
            name, chunk = self.fresh("tile"), self.fresh("chunk")
            with self.block(f"def {name}({chunk})"):
                self.in_tile = True
                with self._hoisting():
                    with self.block(f"for {', '.join(ivs)} in {chunk}"):
                        self._body(ops)
                self.in_tile = False
            self.helpers.add("parallel")
            blas = any(is_contraction(inner) for inner in op.walk())
            if blas:  # on the pool only with the BLAS on one thread
                self.helpers.add("blas")
            runner = ("_blas_or_parallel" if self.keep_blas_threads else "_parallel_blas") if blas else "_parallel"
            self.line(f"{runner}({name}, {', '.join(ranges)})")
        else:
            with self._hoisting():
                self._nested_loops(list(zip(ivs, ranges, strict=True)), ops)

    @contextmanager
    def _hoisting(self) -> Iterator[None]:
        """Scratch buffers asked for inside go before the code emitted inside
        (allocated once, before a loop); nested uses keep the outer place."""
        if self.hoist is not None:
            yield
            return
        self._flush()
        mark, self.hoist = len(self.em._lines), {}
        try:
            yield
        finally:
            pad = self.em._indent * self.em._depth
            allocs = [f"{pad}{name} = {self.new_buffer(name, shape, dtype)}"
                      for (_, shape, dtype), name in self.hoist.items()]
            self.em._lines[mark:mark] = allocs
            self.hoist = None

    def scratch_buffer(self, k: int, shape: str, dtype: str) -> str:
        """The name of scratch buffer `k` of a body: allocated here, or once
        before the enclosing tile loop (one buffer per shape and dtype)."""
        if self.hoist is None:
            name = self.scratch_name(k)
            self.line(f"{name} = {self.new_buffer(name, shape, dtype)}")
            return name
        key = (k, shape, dtype)
        if key not in self.hoist:
            self.hoist[key] = self.fresh(f"t{k}")
        return self.hoist[key]

    def _nested_loops(self, loops: list[tuple[str, str]], ops: list[Operation]) -> None:
        if not loops:
            self._body(ops)
            return
        with self.block(f"for {loops[0][0]} in {loops[0][1]}"):
            self._nested_loops(loops[1:], ops)

    def _for(self, op: scf.ForOp) -> None:
        iv, *carried = op.body.block.args
        self.values[iv] = self.fresh(iv.name_hint or "k")
        self.comment(op)
        names = []
        for arg, init, res in zip(carried, op.iter_args, op.res, strict=True):
            name = self.fresh(arg.name_hint or res.name_hint or "acc")
            self.line(f"{name} = {self.expr(init)}")
            self.values[arg] = self.values[res] = name
            names.append(name)
        header = range_text(self.expr(op.lb), self.expr(op.ub), self.expr(op.step))
        loop = f"for {self.values[iv]} in {header}"
        mark = len(self.em._lines)
        with self._hoisting(), self.block(loop):  # scratch: once, before
            self._body(list(op.body.block.ops))
            last = op.body.block.last_op
            if isinstance(last, scf.YieldOp):
                for name, v in zip(names, last.operands, strict=True):
                    if self.expr(v) != name:
                        self.line(f"{name} = {self.expr(v)}")
        if self.native is not None and not self.in_tile:  # C kernels' addresses: once, before
            lines = self.em._lines
            at = next(k for k in range(mark, len(lines)) if lines[k].strip() == f"{loop}:")
            hoist_pointers(lines, at, self.fresh)

    def _call(self, op: func.CallOp) -> None:
        """A call of a custom op's hand-written NumPy implementation (destination-passing)."""
        symbol = op.callee.root_reference.data
        if symbol not in self.externals or op.results:
            raise NotImplementedError(f"numpy backend: a call of @{symbol} that is not an external "
                                      "destination-passing declaration")
        call, alias = self.externals[symbol]
        self.comment(op)
        self.line(call.call(alias, [self.expr(v) for v in op.arguments]))

    def _return(self, op: func.ReturnOp) -> None:
        seen: set[SSAValue] = set()
        items = []
        for v in op.arguments:
            root = self.root(v)
            owned = isinstance(root.owner, memref.AllocOp) and root not in seen
            seen.add(root)
            # A constant, an argument or a second result in one buffer is not the caller's to keep.
            items.append(self.expr(v) if owned else f"{self.expr(v)}.copy()")
        self.comment(op)
        self.line(f"return {tuple_text(items) if items else '()'}")
