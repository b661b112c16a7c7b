"""The Python text of index arithmetic in generated NumPy code: tile bounds as
Python ints (folded when the operands are known), `range(...)` of loops, the
slices of subviews, and the type of a buffer in a comment."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import arith
from xdsl.dialects.builtin import DYNAMIC_INDEX, IndexType, MemRefType
from xdsl.ir import Operation

from tfir.backends.common.numpy_text import dtype_name

# Index arithmetic of tile bounds: Python ints (folded when the operands are known).
INDEX_OPS: dict[str, tuple[str, Callable[[int, int], int]]] = {
    "arith.addi": ("{0} + {1}", lambda a, b: a + b),
    "arith.subi": ("{0} - {1}", lambda a, b: a - b),
    "arith.muli": ("{0} * {1}", lambda a, b: a * b),
    "arith.minsi": ("min({0}, {1})", min), "arith.minui": ("min({0}, {1})", min),
    "arith.maxsi": ("max({0}, {1})", max), "arith.maxui": ("max({0}, {1})", max),
    "arith.floordivsi": ("{0} // {1}", lambda a, b: a // b),
    "arith.divui": ("{0} // {1}", lambda a, b: a // b),
    "arith.ceildivsi": ("-(-{0} // {1})", lambda a, b: -(-a // b)),
    "arith.divsi": ("int({0} / {1})", lambda a, b: int(a / b)),
    "arith.remsi": ("{0} - int({0} / {1}) * {1}", lambda a, b: a - int(a / b) * b),
}


def is_int_text(text: str) -> bool:
    return text.lstrip("-").isdigit()


def is_index_op(op: Operation) -> bool:
    """Arithmetic on `index` values (tile bounds): Python ints."""
    if op.name not in INDEX_OPS and not isinstance(op, arith.IndexCastOp | arith.CmpiOp | arith.SelectOp):
        return False
    values = [*op.operands[-2:], *op.results]
    if isinstance(op, arith.IndexCastOp):
        return any(isinstance(v.type, IndexType) for v in values)
    return all(isinstance(v.type, IndexType) for v in op.operands[-2:])


def type_text(typ) -> str:
    if isinstance(typ, MemRefType):
        dims = ", ".join("?" if d == DYNAMIC_INDEX else str(d) for d in typ.get_shape())
        return f"{dtype_name(typ)}[{dims}]"
    return str(typ)


def range_text(lb: str, ub: str, step: str) -> str:
    if step == "1":
        return f"range({ub})" if lb == "0" else f"range({lb}, {ub})"
    return f"range({lb}, {ub}, {step})"


def slice_text(offset: str, size: str, stride: str) -> str:
    if is_int_text(offset) and is_int_text(size) and is_int_text(stride):
        o, s, st = int(offset), int(size), int(stride)
        stop = o + (s - 1) * st + 1 if s else o
        return f"{o or ''}:{stop}" + (f":{st}" if st != 1 else "")
    start = "" if offset == "0" else offset
    if stride == "1":
        return f"{start}:{size if offset == '0' else f'{offset} + {size}'}"
    return f"{start}:{offset} + ({size} - 1) * {stride} + 1:{stride}"


def dropped_dims(sizes: list[str], result_shape: tuple[int, ...]) -> set[int]:
    """The unit dims a rank-reducing subview drops (matched from the left)."""
    dropped, j = set(), 0
    for d, size in enumerate(sizes):
        want = result_shape[j] if j < len(result_shape) else None
        if want is not None and (want == DYNAMIC_INDEX or not is_int_text(size) or int(size) == want):
            j += 1
        elif size == "1":
            dropped.add(d)
        else:
            raise NotImplementedError(f"numpy backend: subview sizes {sizes} to shape {result_shape}")
    return dropped
