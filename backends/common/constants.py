"""Constant `memref.global`s as module-level NumPy arrays of a generated module.

A splat is `np.full`, a small array a literal list, a large one its bytes in
base64 (`import base64`); the NumPy module marks them read-only (the code
never writes a constant; a caller who got one back gets a copy).
"""

from __future__ import annotations

import base64
import math
import textwrap
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import memref
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr

from tfir.backends.common.numpy_text import dtype_name, literal, np_dtype
from tfir.lowering.utils.constants import splat_element


@dataclass(frozen=True)
class ConstantLines:
    lines: list[str]
    imports: tuple[str, ...] = ()  # modules the lines need besides numpy


def tuple_text(items: list[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def constant_lines(name: str, op: memref.GlobalOp, readonly: bool = True) -> ConstantLines:
    """The lines defining `name` as the value of constant global `op`."""
    typ = op.type
    shape = tuple(typ.get_shape())
    dt = np_dtype(typ)
    init = op.initial_value
    size = math.prod(shape)
    if not isinstance(init, DenseIntOrFPElementsAttr):
        return ConstantLines([f"{name} = np.zeros({tuple_text([str(d) for d in shape]) if shape else '()'}, dtype={dt})"])
    values = init.get_values()
    elem = typ.get_element_type()
    imports: tuple[str, ...] = ()
    shape_text = tuple_text([str(d) for d in shape]) if shape else "()"
    if size > 1 and splat_element(init) is not None:
        lines = [f"{name} = np.full({shape_text}, {literal(values[0], elem)}, dtype={dt})"]
    elif not shape:
        lines = [f"{name} = np.array({literal(values[0], elem)}, dtype={dt})"]
    elif size <= 512:
        body = ", ".join(literal(v, elem) for v in values)
        text = f"{name} = np.array([{body}], dtype={dt})" + (f".reshape({shape_text})" if len(shape) != 1 else "")
        lines = textwrap.wrap(text, 96, subsequent_indent="    ", break_on_hyphens=False)
    else:
        raw = np.asarray(values, dtype=dtype_name(typ)).tobytes()
        data = base64.b64encode(raw).decode()
        chunks = [f"    {data[k:k + 88]!r}" for k in range(0, len(data), 88)]
        lines = [f"{name} = np.frombuffer(base64.b64decode(", *chunks, f"), dtype={dt}).reshape({shape_text})"]
        imports = ("import base64",)
    if readonly:
        lines.append(f"{name}.flags.writeable = False")
    return ConstantLines(lines, imports)
