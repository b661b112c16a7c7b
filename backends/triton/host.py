"""The host side of the Triton code generator and the module it assembles.

`generate_module` puts together the `@triton.jit` kernels (triton_codegen.py),
the `KERNELS` table and the host function of an entry, which converts the
NumPy arguments to device buffers, allocates the buffers of the device level,
launches the kernels (and calls hand-written external implementations) in
program order and returns NumPy copies of the results. Launches look
hand-written: `kernel[grid](bufs..., BLOCK=1024)`, num_warps only where it is
not Triton's default; only the constant globals the entry reads are emitted.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import func, memref
from xdsl.dialects.builtin import MemRefType, ModuleOp
from xdsl.ir import Operation, SSAValue

from tfir.backends.common.constants import constant_lines
from tfir.backends.common.emitter import (
    IMPORTED_NAMES,
    PYTHON_NAMES,
    PyEmitter,
    SourceLine,
    entry_def_name,
)
from tfir.backends.common.externals import Externals, called_externals, import_lines
from tfir.backends.common.numpy_text import np_dtype
from tfir.backends.triton.control import print_control
from tfir.backends.triton.kernels import (
    HELPERS,
    MODULE_NAMES,
    TritonCodegenError,
    kernel_table_entry,
    print_kernel,
)
from tfir.dialects import device
from tfir.lowering.utils.memref_views import VIEW_OPS, root_of

DEFAULT_NUM_WARPS = 4  # what a Triton launch uses when it names none


class HostPrinter:
    """Prints an entry `func.func` of the device level as the host function.

    Buffers keep their IR names; the others are `out` (returned) or `tmpN`,
    named up front so that kernel parameters can take the same names. A
    buffer is allocated just before its first use, below that use's source
    comment.
    """

    def __init__(self, entry: func.FuncOp, em: PyEmitter, kernels: dict[str, device.KernelOp],
                 globals_: dict[str, str], externals: Externals):
        self.entry, self.em, self.kernels, self.globals = entry, em, kernels, globals_
        self.externals = externals
        self.names: dict[SSAValue, str] = {}
        self.pending: dict[SSAValue, str] = {}  # allocations not printed yet
        self._name_values()

    def _name_values(self) -> None:
        for arg in self.entry.args:
            self.names[arg] = self.em.fresh(arg.name_hint or "arg")
        returned = [v for op in self.entry.body.block.ops if isinstance(op, func.ReturnOp)
                    for v in op.operands]
        temps = 0
        for op in self.entry.walk():
            if isinstance(op, memref.AllocOp):
                value = op.memref
                out = ""
                if value in returned:
                    out = "out" if len(returned) == 1 else f"out{returned.index(value)}"
                hint = value.name_hint or out or f"tmp{temps}"
                temps += not value.name_hint and value not in returned
                self.names[value] = self.em.fresh(hint)
            elif isinstance(op, (memref.GetGlobalOp, *VIEW_OPS)):
                value = op.results[0]
                hint = "const" if isinstance(op, memref.GetGlobalOp) else "view"
                self.names[value] = self.em.fresh(value.name_hint or hint)

    def launch_names(self) -> dict[str, list[str | None]]:
        """Per kernel, the host names of its buffers where all launches agree."""
        seen: dict[str, list[str | None]] = {}
        for op in self.entry.walk():
            if not isinstance(op, device.LaunchOp):
                continue
            names = [self.names.get(a) for a in op.args]
            old = seen.setdefault(op.kernel.root_reference.data, names)
            seen[op.kernel.root_reference.data] = [a if a == b else None
                                                   for a, b in zip(old, names, strict=True)]
        return seen

    def print(self) -> None:
        args = [self.names[a] for a in self.entry.args]
        with self.em.block(f"def {def_name(self.entry.sym_name.data)}({', '.join(args)})"):
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
        name = self.names.get(value) or self.em.fresh(value.name_hint or hint)
        self.names[value] = name
        self.em.line(f"{name} = {expr}")

    def _allocate(self, values) -> None:
        for value in values:
            if value in self.pending:
                self.em.line(f"{self.names[value]} = {self.pending.pop(value)}")

    def op(self, op: Operation) -> None:
        if isinstance(op, device.LaunchOp | func.CallOp):
            self.em.source_comment(op)
        self._allocate(op.operands)
        if print_control(self, op):
            return
        if isinstance(op, memref.AllocOp):
            typ = op.memref.type
            make = "rt.zeros" if "tfir.zeroed" in op.attributes else "rt.empty"
            self.pending[op.memref] = (f"{make}({tuple(typ.get_shape())!r}, "
                                       f"{np_dtype(typ.element_type)})")
        elif isinstance(op, memref.GetGlobalOp):
            typ = op.memref.type
            self.pending[op.memref] = (f"rt.to_device({self.globals[op.name_.root_reference.data]}"
                                       f", {tuple(typ.get_shape())!r}, "
                                       f"{np_dtype(typ.element_type)})")
        elif isinstance(op, VIEW_OPS):
            typ = op.results[0].type
            assert isinstance(typ, MemRefType)
            src = root_of(op.operands[0])
            self._bind(op.results[0], f"rt.view({self.names[src]}, {tuple(typ.get_shape())!r}, "
                                      f"{tuple(typ.get_strides())!r}, {typ.get_offset()})", "view")
        elif isinstance(op, device.LaunchOp):
            kernel = self.kernels[op.kernel.root_reference.data]
            args = [self.names[a] for a in op.args]
            args += [f"{n}={v}" for n, v in kernel.blocks().items()]
            if kernel.num_warps.value.data != DEFAULT_NUM_WARPS:
                args.append(f"num_warps={kernel.num_warps.value.data}")
            self.em.line(f"{kernel.sym_name.data}[{kernel.grid_sizes()!r}]({', '.join(args)})")
        elif isinstance(op, func.CallOp):
            symbol = op.callee.root_reference.data
            if symbol not in self.externals or op.results:
                raise TritonCodegenError(f"the Triton host code cannot call @{symbol}")
            call, alias = self.externals[symbol]
            self.em.line(call.call(alias, [self.names[a] for a in op.arguments]))
        elif isinstance(op, func.ReturnOp):
            results = [f"rt.to_host({self.names[v]})" for v in op.operands]
            self.em.line(f"return ({', '.join(results)}{',' if len(results) == 1 else ''})")
        elif op.name == "arith.constant":
            pass  # scalars are literals where they are used (print_control names them)
        else:
            raise TritonCodegenError(f"the Triton host code cannot run {op.name}")


RESERVED = (*HELPERS, *MODULE_NAMES, *PYTHON_NAMES, *IMPORTED_NAMES)
"""The module-level names of generated modules: never a value's or the entry's."""


def def_name(entry: str) -> str:
    """The name of the host function of `entry` in its generated module."""
    return entry_def_name(entry, RESERVED)


def generate_module(module: ModuleOp, entry: str, source_line: SourceLine | None = None,
                    header: Callable[[], str] | None = None) -> str:
    kernels = {k.sym_name.data: k for k in module.ops if isinstance(k, device.KernelOp)}
    entries = [f for f in module.ops if isinstance(f, func.FuncOp) and f.sym_name.data == entry
               and not f.is_declaration]
    if not entries:
        raise TritonCodegenError(f"no entry function named {entry!r}")
    em = PyEmitter(source_line=source_line)
    em.reserve(def_name(entry), *kernels, *RESERVED)
    used = {op.name_.root_reference.data for op in entries[0].walk()
            if isinstance(op, memref.GetGlobalOp)}
    globals_: dict[str, str] = {}
    for glob in [g for g in module.ops if isinstance(g, memref.GlobalOp)]:
        if glob.sym_name.data in used:
            globals_[glob.sym_name.data] = em.fresh("_" + glob.sym_name.data.upper().lstrip("_"))
    externals = called_externals(module, entries[0], "triton", em)
    host = HostPrinter(entries[0], em, kernels, globals_, externals)
    arg_names = host.launch_names()
    helpers: set[str] = set()
    bodies = [print_kernel(k, source_line, helpers, arg_names.get(n, ()))
              for n, k in kernels.items()]
    em.lines(f'"""Triton kernels and host code generated by tfir for `{entry}`."""')
    em.line()
    constants = {g.sym_name.data: constant_lines(globals_[g.sym_name.data], g, readonly=False)
                 for g in module.ops if isinstance(g, memref.GlobalOp) and g.sym_name.data in globals_}
    stdlib = sorted({line for c in constants.values() for line in c.imports})
    em.lines("\n".join([*stdlib, "import numpy as np", "import triton", "import triton.language as tl", "",
                        "from tfir.backends.triton import runtime as rt"]))
    for line in import_lines(externals):
        em.line(line)
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
        em.line(kernel_table_entry(k, arg_names.get(k.sym_name.data, ())))
    em.line("}")
    for constant in constants.values():
        em.lines("\n".join(constant.lines))
    em.line()
    em.line()
    host.print()
    return em.text()
