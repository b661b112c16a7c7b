"""The native kernels of one generated NumPy module: their C source, and the
Python that loads and calls them (backends/numpy/native.py at run time).

A module with native ops defines its entry twice: `main`, whose marked ops
call their C kernel (`_nk.k0(x_t.ctypes.data, ...)`), marked loops one C
function that loops over the kernels of their ops, and `_main_numpy`,
all NumPy statements, which replaces `main` when the kernels do not load
(no C compiler, `TFIR_NATIVE=0`, the module run without tfir).
"""

from __future__ import annotations

import math

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import FloatAttr
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Operation, SSAValue

from tfir.backends.numpy.native_c import KernelPrinter, ctype, float_literal, prelude
from tfir.lowering.utils.native_ops import (
    NATIVE,
    loop_bounds,
    native_form,
    native_loop,
    outside_root,
)


class NativeKernels:
    """The kernels of one module, deduplicated by their C text."""

    def __init__(self) -> None:
        self.by_text: dict[str, str] = {}  # C body (named KERNEL) -> kernel name
        self.sources: list[str] = []
        self.arity: dict[str, int] = {}

    @staticmethod
    def takes(op: Operation) -> bool:
        return NATIVE in op.attributes and isinstance(op, linalg.GenericOp) and native_form(op) is not None

    @staticmethod
    def takes_loop(op: Operation) -> bool:
        """A marked loop that is still a native loop (a later pass may have changed its body)."""
        return NATIVE in op.attributes and native_loop(op) is not None

    def add_loop(self, op: scf.ForOp) -> tuple[str, list[SSAValue]]:
        """The kernel of a native loop, and the buffers to pass it: a C loop
        calling the kernels of its ops each step (inlined by the compiler)."""
        body = native_loop(op)
        bounds = loop_bounds(op)
        assert body is not None and bounds is not None
        values: list[SSAValue] = []
        for inner in body:
            for v in inner.outputs if isinstance(inner, linalg.FillOp) else inner.operands:
                root = outside_root(v, op)
                if root is not None and root not in values:
                    values.append(root)
        params = ", ".join(f"{ctype(v.type.get_element_type())} *p{k}"  # type: ignore[attr-defined]
                           for k, v in enumerate(values))
        lb, ub, step = bounds
        lines = [f"void KERNEL({params}) {{",
                 f"    for (int64_t step = {lb}; step < {ub}; step += {step}) {{"]
        for inner in body:
            if isinstance(inner, linalg.FillOp):
                out = inner.outputs[0]
                const = inner.inputs[0].owner
                assert isinstance(const, arith.ConstantOp) and isinstance(const.value, FloatAttr)
                size = math.prod(out.type.get_shape())  # type: ignore[attr-defined]
                lines.append(f"        for (int64_t e = 0; e < {size}; e++) "
                             f"p{values.index(outside_root(out, op))}[e] = "  # type: ignore[arg-type]
                             f"{float_literal(const.value.value.data, const.value.type)};")
                continue
            args = ", ".join(f"p{values.index(outside_root(v, op))}" for v in inner.operands)  # type: ignore[arg-type]
            lines.append(f"        {self.add(inner)}({args});")
        lines += ["    }", "}"]
        return self._named("\n".join(lines) + "\n", len(values)), values

    def add_rows(self, ops: list[linalg.GenericOp], rows: list[int]) -> tuple[str, list[SSAValue]]:
        """The kernel of a row run (backends/numpy/native_rows.py), and the
        buffers to pass it: one loop over the rows that calls a one-row
        version of each op's kernel (inlined by the compiler)."""
        values: list[SSAValue] = []
        for op in ops:
            values += [v for v in op.operands if v not in values]
        params = ", ".join(f"{ctype(v.type.get_element_type())} *p{k}"  # type: ignore[attr-defined]
                           for k, v in enumerate(values))
        count = ops[0].get_static_loop_ranges()[rows[0]]
        lines = [f"void KERNEL({params}) {{", f"    for (int64_t row = 0; row < {count}; row++) {{"]
        for op, row in zip(ops, rows, strict=True):
            name = self._named(KernelPrinter(op, "KERNEL", row).source(), None)
            args = ", ".join(f"p{values.index(v)}" for v in op.operands)
            lines.append(f"        {name}({args}, row);")
        lines += ["    }", "}"]
        return self._named("\n".join(lines) + "\n", len(values)), values

    def _named(self, text: str, arity: int | None) -> str:
        """The name of the function of C text `text` (its name written KERNEL);
        `arity` None: a `static` helper of the other kernels, not loaded."""
        if text not in self.by_text:
            prefix = "k" if arity is not None else "row"  # k0, k1, ...: loaded; row0, ...: helpers
            name = f"{prefix}{sum(n.startswith(prefix) for n in self.by_text.values())}"
            self.by_text[text] = name
            self.sources.append(text.replace(" KERNEL(", f" {name}(", 1))
            if arity is not None:
                self.arity[name] = arity
        return self.by_text[text]

    def add(self, op: linalg.GenericOp) -> str:
        """The name of the kernel of `op` (printed once per distinct text)."""
        return self._named(KernelPrinter(op, "KERNEL").source(), len(op.operands))

    def module_lines(self) -> list[str]:
        """The module-level lines: the C source and the loading of its kernels."""
        kernels = "\n".join(self.sources)
        source = prelude(kernels) + "\n" + kernels
        return ["# The C kernels of the ops marked tfir.native (backends/numpy/native_c.py).",
                f"_NATIVE_C = r'''\n{source}'''",
                f"_nk = _native_kernels(_NATIVE_C, {self.arity!r})"]


def call_text(name: str, args: list[str]) -> str:
    return f"_nk.{name}({', '.join(f'{a}.ctypes.data' for a in args)})"
