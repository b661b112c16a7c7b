"""The host side of the Triton code generator and the module it assembles.

`generate_module` puts together the `@triton.jit` kernels (triton_codegen.py),
the `KERNELS` table and the host function of an entry, which converts the NumPy arguments to device buffers, allocates the buffers of
the device level, launches the kernels (and calls hand-written external
implementations) in program order and returns NumPy copies of the results.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, MemRefType, ModuleOp
from xdsl.ir import Operation, SSAValue

from tfir.backends.pyemit import PyEmitter, SourceLine
from tfir.backends.triton_codegen import (
    HELPERS,
    TritonCodegenError,
    kernel_table_entry,
    np_dtype,
    print_kernel,
)
from tfir.dialects import device
from tfir.dialects.plugins import ExternalCall, external_calls


def _global_array(glob: memref.GlobalOp) -> str:
    typ = glob.type
    assert isinstance(typ, MemRefType)
    init = glob.initial_value
    if not isinstance(init, DenseIntOrFPElementsAttr):
        raise TritonCodegenError(f"memref.global {glob.sym_name.data} has no dense value")
    values = np.array(init.get_values()).tolist()
    shape = tuple(typ.get_shape())
    if len(values) == 1 and math.prod(shape) != 1:
        return f"np.full({shape!r}, {values[0]!r}, dtype={np_dtype(typ.element_type)})"
    return f"np.array({values!r}, dtype={np_dtype(typ.element_type)}).reshape({shape!r})"


class HostPrinter:
    """Prints an entry `func.func` of the device level as the host function."""

    def __init__(self, entry: func.FuncOp, em: PyEmitter, kernels: dict[str, device.KernelOp],
                 globals_: dict[str, str], externals: dict[str, tuple[ExternalCall, str]]):
        self.entry, self.em, self.kernels, self.globals = entry, em, kernels, globals_
        self.externals = externals
        self.names: dict[SSAValue, str] = {}

    def print(self) -> None:
        args = [self.em.fresh(a.name_hint or "arg") for a in self.entry.args]
        self.names.update(zip(self.entry.args, args, strict=True))
        with self.em.block(f"def {self.entry.sym_name.data}({', '.join(args)})"):
            self.em.line(f'"""Runs `{self.entry.sym_name.data}` on NumPy arrays; '
                         'returns a tuple of NumPy arrays."""')
            for arg, name in zip(self.entry.args, args, strict=True):
                typ = arg.type
                assert isinstance(typ, MemRefType)
                self.em.line(f"{name} = rt.to_device({name}, {tuple(typ.get_shape())!r}, "
                             f"{np_dtype(typ.element_type)})")
            for op in self.entry.body.block.ops:
                self.op(op)

    def _bind(self, value: SSAValue, expr: str, hint: str) -> None:
        name = self.em.fresh(value.name_hint or hint)
        self.names[value] = name
        self.em.line(f"{name} = {expr}")

    def op(self, op: Operation) -> None:
        if isinstance(op, memref.AllocOp):
            typ = op.memref.type
            self._bind(op.memref, f"rt.empty({tuple(typ.get_shape())!r}, "
                                  f"{np_dtype(typ.element_type)})", "buf")
        elif isinstance(op, memref.GetGlobalOp):
            typ = op.memref.type
            self._bind(op.memref, f"rt.to_device({self.globals[op.name_.root_reference.data]}, "
                                  f"{tuple(typ.get_shape())!r}, {np_dtype(typ.element_type)})",
                       "const")
        elif isinstance(op, memref.SubviewOp | memref.CollapseShapeOp | memref.ExpandShapeOp):
            typ = op.results[0].type
            assert isinstance(typ, MemRefType)
            src = op.operands[0]
            while isinstance(src.owner, memref.SubviewOp | memref.CollapseShapeOp |
                             memref.ExpandShapeOp):
                src = src.owner.operands[0]
            self._bind(op.results[0], f"rt.view({self.names[src]}, {tuple(typ.get_shape())!r}, "
                                      f"{tuple(typ.get_strides())!r}, {typ.get_offset()})", "view")
        elif isinstance(op, device.LaunchOp):
            self.em.source_comment(op)
            kernel = self.kernels[op.kernel.root_reference.data]
            args = [self.names[a] for a in op.args]
            args += [f"{n}={v}" for n, v in kernel.blocks().items()]
            args.append(f"num_warps={kernel.num_warps.value.data}")
            self.em.line(f"{kernel.sym_name.data}[{kernel.grid_sizes()!r}]({', '.join(args)})")
        elif isinstance(op, func.CallOp):
            symbol = op.callee.root_reference.data
            if symbol not in self.externals or op.results:
                raise TritonCodegenError(f"the Triton host code cannot call @{symbol}")
            self.em.source_comment(op)
            call, alias = self.externals[symbol]
            self.em.line(call.call(alias, [self.names[a] for a in op.arguments]))
        elif isinstance(op, func.ReturnOp):
            results = [f"rt.to_host({self.names[v]})" for v in op.operands]
            self.em.line(f"return ({', '.join(results)}{',' if len(results) == 1 else ''})")
        elif op.name == "arith.constant":
            pass  # index constants of views that were folded away
        else:
            raise TritonCodegenError(f"the Triton host code cannot run {op.name}")


def _externals(module: ModuleOp, entry: func.FuncOp, em: PyEmitter
               ) -> dict[str, tuple[ExternalCall, str]]:
    """The hand-written triton implementations the entry calls, with their
    import aliases (docs/ir-levels.md section 7)."""
    called = {op.callee.root_reference.data for op in entry.walk() if isinstance(op, func.CallOp)}
    if not called:
        return {}
    return {symbol: (call, em.fresh(symbol))
            for symbol, call in external_calls(module, "triton").items() if symbol in called}


def generate_module(module: ModuleOp, entry: str, source_line: SourceLine | None = None,
                    header: Callable[[], str] | None = None) -> str:
    kernels = {k.sym_name.data: k for k in module.ops if isinstance(k, device.KernelOp)}
    entries = [f for f in module.ops if isinstance(f, func.FuncOp) and f.sym_name.data == entry
               and not f.is_declaration]
    if not entries:
        raise TritonCodegenError(f"no entry function named {entry!r}")
    helpers: set[str] = set()
    bodies = [print_kernel(k, source_line, helpers) for k in kernels.values()]
    em = PyEmitter(source_line=source_line)
    for name in [*kernels, *HELPERS, "rt", "tl", "triton", "KERNELS", "INF"]:
        em.fresh(name)
    em.lines(f'"""Triton kernels and host code generated by tfir for `{entry}`."""')
    em.line()
    em.lines("import numpy as np\nimport triton\nimport triton.language as tl\n\n"
             "from tfir.backends import triton_runtime as rt")
    externals = _externals(module, entries[0], em)
    for call, alias in externals.values():
        em.line(call.import_line(alias))
    em.line()
    em.line('INF = tl.constexpr(float("inf"))')
    for name in sorted(helpers):
        em.line()
        em.line()
        em.lines(HELPERS[name])
    for body in bodies:
        em.line()
        em.line()
        em.lines(body.rstrip("\n"))
    em.line()
    em.line()
    em.line("KERNELS = {")
    for k in kernels.values():
        em.line(kernel_table_entry(k))
    em.line("}")
    globals_: dict[str, str] = {}
    for glob in [g for g in module.ops if isinstance(g, memref.GlobalOp)]:
        name = em.fresh("_" + glob.sym_name.data.upper().lstrip("_"))
        globals_[glob.sym_name.data] = name
        em.line(f"{name} = {_global_array(glob)}")
    em.line()
    em.line()
    HostPrinter(entries[0], em, kernels, globals_, externals).print()
    return em.text()
