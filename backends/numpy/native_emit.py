"""The native kernels of one generated NumPy module: their C source, and the
Python that loads and calls them (backends/numpy/native.py at run time).

A module with native ops defines its entry twice: `main`, whose marked ops
call their C kernel (`_nk.k0(x_t.ctypes.data, ...)`), and `_main_numpy`,
all NumPy statements, which replaces `main` when the kernels do not load
(no C compiler, `TFIR_NATIVE=0`, the module run without tfir).
"""

from __future__ import annotations

from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Operation

from tfir.backends.numpy.native_c import KernelPrinter, prelude
from tfir.lowering.utils.native_ops import NATIVE, native_form


class NativeKernels:
    """The kernels of one module, deduplicated by their C text."""

    def __init__(self) -> None:
        self.by_text: dict[str, str] = {}  # C body (named KERNEL) -> kernel name
        self.sources: list[str] = []
        self.arity: dict[str, int] = {}

    @staticmethod
    def takes(op: Operation) -> bool:
        return NATIVE in op.attributes and isinstance(op, linalg.GenericOp) and native_form(op) is not None

    def add(self, op: linalg.GenericOp) -> str:
        """The name of the kernel of `op` (printed once per distinct text)."""
        text = KernelPrinter(op, "KERNEL").source()
        if text not in self.by_text:
            name = f"k{len(self.by_text)}"
            self.by_text[text] = name
            self.sources.append(text.replace("void KERNEL(", f"void {name}(", 1))
            self.arity[name] = len(op.operands)
        return self.by_text[text]

    def module_lines(self) -> list[str]:
        """The module-level lines: the C source and the loading of its kernels."""
        kernels = "\n".join(self.sources)
        source = prelude(kernels) + "\n" + kernels
        return ["# The C kernels of the ops marked tfir.native (backends/numpy/native_c.py).",
                f"_NATIVE_C = r'''\n{source}'''",
                f"_nk = _native_kernels(_NATIVE_C, {self.arity!r})"]


def call_text(name: str, args: list[str]) -> str:
    return f"_nk.{name}({', '.join(f'{a}.ctypes.data' for a in args)})"
