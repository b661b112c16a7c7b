"""Writing `.tf` source for an imported ONNX graph: names, literals, lines.

The source reads like a hand port: one `let` per ONNX node, named after the
node's output (sanitised), with a `# onnx: <node name> (<OpType>)` comment;
helper functions (integer division that truncates, layer normalization over
several axes, ...) come first, and only those the graph uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from tfir.onnx.model import NUMPY_OF

# Names a `let` must not take: keywords, dtypes, and every builtin or prelude
# function (v1 and v2), so that no binding shadows a call.
RESERVED = frozenset("""
fn let return import use true false int float bool i32 i64 f16 f32 f64 for in range while if else None
add sub mul div pow maximum minimum floordiv mod equal not_equal less less_equal greater greater_equal
logical_and logical_or logical_not neg abs exp log sqrt rsqrt tanh sin cos floor ceil sign erf sigmoid
relu where cast sum mean max min prod argmax argmin matmul transpose reshape broadcast_to expand_dims
squeeze concat stack zeros ones full arange softmax log_softmax layernorm gelu silu logsumexp mse
log1p expm1 tan atan square reciprocal softplus isnan isinf clip leaky_relu elu atan2 any all var std
cumsum cumprod tril triu flip tile repeat pad einsum conv1d conv2d max_pool2d avg_pool2d take
take_along_axis scatter scatter_add one_hot gradients random_uniform random_normal dim cross_entropy
""".split())

_IDENT = re.compile(r"[^A-Za-z0-9_]")


def sanitize(name: str) -> str:
    """An identifier for an ONNX name: `/layer/MatMul_output_0` -> `layer_MatMul_output_0`."""
    ident = _IDENT.sub("_", name).strip("_")
    ident = re.sub(r"__+", "_", ident) or "v"
    if ident[0].isdigit():
        ident = "v" + ident
    return ident


@dataclass
class Names:
    """Unique `.tf` identifiers for ONNX names."""

    taken: set[str] = field(default_factory=lambda: set(RESERVED))
    given: dict[str, str] = field(default_factory=dict)

    def fresh(self, wanted: str) -> str:
        base = sanitize(wanted)
        if base in RESERVED:
            base += "_"
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name

    def of(self, onnx_name: str) -> str:
        if onnx_name not in self.given:
            self.given[onnx_name] = self.fresh(onnx_name)
        return self.given[onnx_name]


# -- literals -------------------------------------------------------------------------


def float_text(value: float, dtype: str) -> str:
    """The shortest decimal text that reads back (f64 literal -> f32 -> dtype) to `value` exactly."""
    v = float(value)
    np_type = NUMPY_OF[dtype].type
    short = str(np_type(v)) if dtype != "f64" else repr(v)
    if np_type(np.float32(float(short))) != np_type(v) or dtype == "f64":
        short = repr(v)
    if not any(c in short for c in ".eE"):
        short += ".0"
    return short


def scalar_text(value: object, dtype: str) -> str:
    if dtype == "bool":
        return "true" if bool(value) else "false"
    if dtype in ("i32", "i64"):
        return str(int(value))  # type: ignore[call-overload]
    return float_text(float(value), dtype)  # type: ignore[arg-type]


def nested_text(arr: np.ndarray, dtype: str, indent: str = "    ") -> str:
    """A tensor literal `[[1.0, 2.0], [3.0, 4.0]]`, one innermost row per line when large."""
    if arr.ndim == 0:
        return scalar_text(arr.item(), dtype)
    if arr.ndim == 1:
        items = [scalar_text(v, dtype) for v in arr.tolist()]
        if len(items) <= 12:
            return "[" + ", ".join(items) + "]"
        rows = [", ".join(items[i:i + 12]) for i in range(0, len(items), 12)]
        return "[" + (",\n" + indent + " ").join(rows) + "]"
    inner = indent + " "
    parts = [nested_text(sub, dtype, inner) for sub in arr]
    sep = ",\n" + inner if arr.size > 12 else ", "
    return "[" + sep.join(parts) + "]"


def shape_text(shape: tuple[object, ...]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _fits_i32(arr: np.ndarray) -> bool:
    return bool(arr.size == 0 or (arr.min() >= -(2**31) and arr.max() < 2**31))


def _exact_in_f32(arr: np.ndarray) -> bool:
    with np.errstate(over="ignore"):
        return bool(np.array_equal(arr.astype(np.float32).astype(arr.dtype), arr, equal_nan=True))


def _splat(flat: np.ndarray) -> bool:
    """All values equal, zeros of both signs not mixed."""
    if not np.all(flat == flat[0]):
        return False
    return flat.dtype.kind != "f" or len(set(np.signbit(flat).tolist())) == 1


def literal(arr: np.ndarray, dtype: str) -> str:
    """A `.tf` expression whose value is exactly `arr` as a `dtype` tensor.

    f32, i32 and bool literals stand alone (their default dtype is theirs); other
    dtypes are cast from a literal that holds them exactly, or combined with a typed
    `zeros`/`ones` where a cast would lose bits. NaN and infinities, which have no
    literal, are put in with `where` from `0.0 / 0.0` and `1.0 / 0.0`."""
    arr = np.asarray(arr, dtype=NUMPY_OF[dtype])
    shape = shape_text(arr.shape)
    if arr.size == 0:
        return f"zeros({shape}, {dtype})"
    if dtype in ("f16", "f32", "f64") and not np.all(np.isfinite(arr)):
        return _non_finite(arr, dtype)
    flat = arr.reshape(-1)
    if arr.size > 1 and _splat(flat):
        if dtype == "bool":
            return f"zeros({shape}, i32) {'==' if flat[0] else '!='} 0"
        return f"full({shape}, {scalar_text(flat[0], dtype)}, {dtype})"
    text = nested_text(arr, dtype)
    if dtype in ("f32", "i32", "bool"):
        return text
    if dtype == "i64":
        return f"cast({text}, i64)" if _fits_i32(arr) else f"{text} + zeros({shape}, i64)"
    if dtype == "f16" or _exact_in_f32(arr):
        return f"cast({text}, {dtype})"
    return f"{text} * ones({shape}, f64)"


def _non_finite(arr: np.ndarray, dtype: str) -> str:
    finite = np.where(np.isfinite(arr), arr, 0).astype(arr.dtype)
    expr = literal(finite, dtype)
    if arr.ndim == 0:
        v = arr.item()
        text = "0.0 / 0.0" if np.isnan(v) else ("1.0 / 0.0" if v > 0 else "-1.0 / 0.0")
        return f"full([], {text}, {dtype})"
    for mask, value in ((np.isnan(arr), "0.0 / 0.0"), (np.isposinf(arr), "1.0 / 0.0"),
                        (np.isneginf(arr), "-1.0 / 0.0")):
        if mask.any():
            expr = f"where({nested_text(mask, 'bool')}, {value}, {expr})"
    return expr


# -- the file -------------------------------------------------------------------------


@dataclass
class Param:
    name: str
    type_text: str
    comment: str


@dataclass
class TfSource:
    """The pieces of the `.tf` file, rendered by `text()`."""

    entry: str
    header: list[str] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    helpers: dict[str, str] = field(default_factory=dict)
    results: list[str] = field(default_factory=list)
    result_types: list[str] | None = None

    def let(self, names: list[str], expr: str, comment: str = "") -> None:
        tail = f"  # {comment}" if comment else ""
        self.lines.append(f"let {', '.join(names)} = {expr};{tail}")

    def text(self) -> str:
        out = [f"# {line}" if line else "#" for line in self.header]
        if out:
            out.append("")
        for source in self.helpers.values():
            out += [source.strip("\n"), ""]
        sig = ",\n".join(f"    {p.name}: {p.type_text}" for p in self.params)
        rtype = ""
        if self.result_types is not None:
            rtype = self.result_types[0] if len(self.result_types) == 1 else f"({', '.join(self.result_types)})"
            rtype = f" -> {rtype}"
        comments = [f"# {p.name}: {p.comment}" for p in self.params if p.comment]
        out += comments
        out.append(f"fn {self.entry}(\n{sig}\n){rtype} {{" if self.params else f"fn {self.entry}(){rtype} {{")
        out += ["    " + line.replace("\n", "\n    ") for line in self.lines]
        out.append(f"    return {', '.join(self.results)};")
        out.append("}")
        return "\n".join(out) + "\n"
