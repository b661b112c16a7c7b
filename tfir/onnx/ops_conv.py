"""ONNX convolution and pooling: `Conv` (1-D and 2-D: `conv1d`/`conv2d` with
strides, dilations and groups; asymmetric and `auto_pad` padding as a `pad`
first), `MaxPool`, `AveragePool` and `LpPool` (any number of spatial axes, strides,
dilations, asymmetric pads, `auto_pad`, `ceil_mode`, `count_include_pad`).

Pooling that fits `max_pool2d`/`avg_pool2d` (2-D, no dilation, symmetric pads
of at most half the kernel, no `ceil_mode` window past the pads, and for the
average every pad counted) uses them; any other pooling is written as what
they compute: the elementwise maximum (or sum, divided by the count of the
window's counted entries, known at import time) of one strided slice of the
padded input per kernel offset.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from tfir.onnx.model import FLOATS
from tfir.onnx.node import NodeCtx, Rule, rule

CONV: dict[str, Rule] = {}


@dataclass
class Window:
    """One spatial axis of a convolution or pooling window."""

    size: int  # the input's size on this axis
    kernel: int
    stride: int
    dilation: int
    before: int  # padding
    after: int
    out: int

    @property
    def span(self) -> int:
        return (self.kernel - 1) * self.dilation + 1


def _ints_attr(n: NodeCtx, name: str, count: int, default: int) -> list[int]:
    values = [int(v) for v in n.attr(name, [default] * count)]
    if len(values) != count:
        raise n.error(f"{name} has {len(values)} values for {count} spatial axes")
    return values


def windows(n: NodeCtx, sizes: list[int], kernel: list[int], ceil_mode: bool = False) -> list[Window]:
    """The windows of a node's spatial axes from its attributes (ONNX's rules for
    `pads`, `auto_pad` and `ceil_mode`)."""
    nd = len(sizes)
    strides = _ints_attr(n, "strides", nd, 1)
    dilations = _ints_attr(n, "dilations", nd, 1)
    pads = _ints_attr(n, "pads", 2 * nd, 0)
    auto_pad = n.attr("auto_pad", "NOTSET")
    if any(v <= 0 for v in strides + dilations + kernel) or any(p < 0 for p in pads):
        raise n.error(f"strides {strides}, dilations {dilations}, kernel {kernel} must be positive, "
                      f"pads {pads} non-negative")
    out = []
    for a in range(nd):
        w = Window(sizes[a], kernel[a], strides[a], dilations[a], pads[a], pads[nd + a], 0)
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            w.out = -(-w.size // w.stride)
            total = max(0, (w.out - 1) * w.stride + w.span - w.size)
            small, large = total // 2, total - total // 2
            w.before, w.after = (small, large) if auto_pad == "SAME_UPPER" else (large, small)
        elif auto_pad in ("VALID", "NOTSET"):
            if auto_pad == "VALID":
                w.before = w.after = 0
            extent = w.size + w.before + w.after - w.span
            if extent < 0:
                raise n.error(f"the window ({w.span}) is larger than the padded input "
                              f"({w.size + w.before + w.after}) on spatial axis {a}")
            w.out = (-(-extent // w.stride) if ceil_mode else extent // w.stride) + 1
            if ceil_mode and (w.out - 1) * w.stride >= w.size + w.before:
                w.out -= 1  # the last window starts inside the input or its leading pad
        else:
            raise n.error(f"auto_pad='{auto_pad}' is not supported")
        out.append(w)
    return out


def _spatial(n: NodeCtx) -> tuple[tuple[object, ...], list[int]]:
    shape = n.shape(0)
    if len(shape) < 3:
        raise n.error(f"needs an input [N, C, spatial...], got rank {len(shape)}")
    sizes = shape[2:]
    if not all(isinstance(d, int) for d in sizes):
        raise n.error(f"needs static spatial sizes, got {list(sizes)}")
    return shape, [int(d) for d in sizes]  # type: ignore[arg-type]


def _one_or_list(values: list[int]) -> str:
    return str(values[0]) if len(set(values)) == 1 else str(values)


@rule(CONV, "Conv", attrs="auto_pad dilations group kernel_shape pads strides")
def _conv(n: NodeCtx) -> None:
    if n.dtype(0) not in FLOATS:
        raise n.error(f"needs float operands, got {n.dtype(0)}")
    _, sizes = _spatial(n)
    nd = len(sizes)
    if nd not in (1, 2):
        raise n.error(f"convolution over {nd} spatial axes is not supported (tfir has conv1d and conv2d)")
    wshape = n.shape(1)
    kernel = [int(k) for k in n.attr("kernel_shape", list(wshape[2:]))]
    if list(wshape[2:]) != kernel:
        raise n.error(f"kernel_shape {kernel} does not match the weights' {list(wshape[2:])}")
    ws = windows(n, sizes, kernel)
    x = n.x(0)
    args = [x, n.x(1)]
    if any(w.before != w.after for w in ws):  # conv pads both sides alike: pad first
        pairs = [[0, 0], [0, 0]] + [[w.before, w.after] for w in ws]
        args[0] = n.tmp(f"pad({x}, {pairs}, value=0.0)", "padded")
        for w in ws:
            w.before = w.after = 0
    for name, values, default in (("stride", [w.stride for w in ws], 1), ("padding", [w.before for w in ws], 0),
                                  ("dilation", [w.dilation for w in ws], 1)):
        if any(v != default for v in values):
            args.append(f"{name}={_one_or_list(values)}")
    group = int(n.attr("group", 1))
    if group != 1:
        args.append(f"groups={group}")
    expr = f"conv{nd}d({', '.join(args)})"
    if n.has(2):
        channels = wshape[0]
        expr += f" + reshape({n.x(2)}, {[channels] + [1] * nd})"
    n.out(expr)


@rule(CONV, "MaxPool", attrs="auto_pad ceil_mode dilations kernel_shape pads storage_order strides")
def _max_pool(n: NodeCtx) -> None:
    if n.wants(1):
        raise n.error("the Indices output is not supported")
    _pool(n, "max")


@rule(CONV, "AveragePool", attrs="auto_pad ceil_mode count_include_pad dilations kernel_shape pads strides")
def _average_pool(n: NodeCtx) -> None:
    _pool(n, "avg")


@rule(CONV, "LpPool", attrs="auto_pad ceil_mode dilations kernel_shape p pads strides")
def _lp_pool(n: NodeCtx) -> None:
    _pool(n, "lp")


def _pool(n: NodeCtx, kind: str) -> None:
    dtype = n.dtype(0)
    if dtype not in FLOATS:
        raise n.error(f"needs a float operand, got {dtype}")
    _, sizes = _spatial(n)
    kernel = [int(k) for k in n.attr("kernel_shape")]
    if len(kernel) != len(sizes):
        raise n.error(f"kernel_shape {kernel} for {len(sizes)} spatial axes")
    ws = windows(n, sizes, kernel, bool(n.attr("ceil_mode", 0)))
    counted = bool(n.attr("count_include_pad", 0))
    if kind != "lp" and _fits_builtin(ws, kind, counted):
        stride, pad = [w.stride for w in ws], [w.before for w in ws]
        args = [n.x(0), str(kernel), f"stride={_one_or_list(stride)}"]
        if any(pad):
            args.append(f"padding={_one_or_list(pad)}")
        n.out(f"{kind}_pool2d({', '.join(args)})")
        return
    _pool_slices(n, ws, kind, counted, dtype)


def _fits_builtin(ws: list[Window], kind: str, counted: bool) -> bool:
    """Whether max_pool2d / avg_pool2d compute exactly this pooling."""
    if len(ws) != 2:
        return False
    for w in ws:
        floor_out = (w.size + 2 * w.before - w.kernel) // w.stride + 1
        if w.dilation != 1 or w.before != w.after or 2 * w.before > w.kernel or w.out != floor_out:
            return False
        if kind == "avg" and w.before and not counted:
            return False
    return True


def _pool_slices(n: NodeCtx, ws: list[Window], kind: str, counted: bool, dtype: str) -> None:
    x = n.x(0)
    pairs = [[w.before, max(0, (w.out - 1) * w.stride + w.span - w.size - w.before)] for w in ws]
    if any(b or e for b, e in pairs):
        value = "-1.0 / 0.0" if kind == "max" else "0.0"
        x = n.tmp(f"pad({x}, {[[0, 0], [0, 0], *pairs]}, value={value})", "padded")
    terms = []
    for offsets in itertools.product(*(range(w.kernel) for w in ws)):
        index = [":", ":"]
        for w, j in zip(ws, offsets, strict=True):
            start = j * w.dilation
            stop = start + (w.out - 1) * w.stride + 1
            index.append(f"{start}:{stop}" + (f":{w.stride}" if w.stride != 1 else ""))
        terms.append(f"{x}[{', '.join(index)}]")
    if kind == "lp":
        p = int(n.attr("p", 2))
        if p < 1:
            raise n.error(f"p={p} is not supported (p >= 1)")
        power = [f"{t} * {t}" if p == 2 else (f"abs({t})" if p == 1 else f"pow(abs({t}), {float(p)})")
                 for t in terms]
        total = n.tmp(" + ".join(power), "sum")
        n.out(total if p == 1 else (f"sqrt({total})" if p == 2 else f"pow({total}, {1.0 / p!r})"))
        return
    if kind == "max":
        expr = terms[0]
        for t in terms[1:]:
            expr = f"maximum({expr}, {t})"
        n.out(expr)
        return
    total = n.tmp(" + ".join(terms), "sum")
    count = _counts(ws, counted)
    if np.all(count == count.reshape(-1)[0]):
        n.out(f"{total} / {float(count.reshape(-1)[0])}")
    else:
        n.out(f"{total} / {n.lit(count.astype(np.float64), dtype)}")


def _counts(ws: list[Window], counted: bool) -> np.ndarray:
    """How many entries of each window are averaged: those inside the input, and
    with `count_include_pad` those in the declared pads (never the entries past
    them that `ceil_mode` adds)."""
    per_axis = []
    for w in ws:
        lo, hi = (-w.before, w.size + w.after) if counted else (0, w.size)
        starts = np.arange(w.out) * w.stride - w.before
        positions = starts[:, None] + np.arange(w.kernel)[None, :] * w.dilation
        per_axis.append(((positions >= lo) & (positions < hi)).sum(axis=1))
    count = per_axis[0]
    for c in per_axis[1:]:
        count = np.multiply.outer(count, c)
    return count
