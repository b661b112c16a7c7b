"""Decompositions of the `tf` primitives that lower through other `tf` ops.

`DECOMPOSITIONS[op_name](b, op)` builds, with a `TfBuilder`, the `tf` ops
that compute `op`'s result and returns that value. `decompose-tf-ops`
applies them before `convert-tf-to-linalg`; a gradient rule may also
differentiate through them. Each keeps the op's meaning exactly (its
docstring in `dialects/tf/`); how it is built is chosen so that the later
passes make fast code of it:

- `var` / `std`: `mean`, the squared deviations and one `sum` (two passes,
  as NumPy), divided by `max(n - ddof, 0)`;
- `any` / `all`: `max` / `min` of the operand cast to `i32`, compared with 0;
- `tril` / `triu`: a mask from two `iota`s (`col - row <= k`) and `select`,
  which `fuse-elementwise` makes one loop;
- `flip`: a strided slice with stride -1; `tile` / `repeat`: reshape,
  `broadcast_to`, reshape;
- `einsum`: diagonals, sums over letters used once, then per operand pair a
  transpose and reshape of each side to `[batch, rows, k]` / `[batch, k, cols]`
  and one batched `matmul` (the contraction machinery), then a transpose to
  the output order;
- convolution: im2col: the padded input's strided slices for each kernel
  offset, transposed and gathered by a `concat` into `[G, C/G * K, N * L]`
  columns (each written in place by bufferization), one `matmul` with the
  weight `[G, O/G, C/G * K]` (a single large GEMM per group), and a transpose
  of the product to `[N, O, ...]`;
- pooling: padding (-inf or the smallest integer for max, 0 for avg), then an
  elementwise `maximum` / `add` over the window's strided slices, which
  `fuse-elementwise` makes one loop reading the input in place (a windowed
  reduction with the window unrolled), and the division for avg.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue

from tfir.dialects import tf
from tfir.dialects.dtypes import from_xdsl, to_numpy
from tfir.dialects.tf_builder import TfBuilder

Decomposition = Callable[[TfBuilder, Any], SSAValue]


def shape_of(value: SSAValue) -> tuple[int, ...]:
    typ = value.type
    assert isinstance(typ, TensorType)
    return tuple(typ.get_shape())


def dtype_of(value: SSAValue) -> str:
    typ = value.type
    assert isinstance(typ, TensorType)
    return from_xdsl(typ.get_element_type())


def reshape(b: TfBuilder, x: SSAValue, shape: Sequence[int]) -> SSAValue:
    return x if shape_of(x) == tuple(shape) else b.reshape(x, list(shape))


def transpose(b: TfBuilder, x: SSAValue, perm: Sequence[int]) -> SSAValue:
    return x if list(perm) == sorted(perm) else b.transpose(x, perm=list(perm))


def strided_slice(b: TfBuilder, x: SSAValue, start: Sequence[int], stride: Sequence[int],
                  size: Sequence[int]) -> SSAValue:
    """`x[start[i] : ... : stride[i]]` with `size[i]` elements per axis."""
    if list(start) == [0] * len(start) and list(stride) == [1] * len(stride) and tuple(size) == shape_of(x):
        return x
    typ = TensorType(x.type.get_element_type(), list(size))  # type: ignore[attr-defined]
    return b.add_op(tf.SliceOp(x, start, stride, typ))


# -- statistics --------------------------------------------------------------------


def _var(b: TfBuilder, op: tf.VarOp | tf.StdOp) -> SSAValue:
    x, axes = op.input, op.axes_tuple
    d = b.sub(x, b.mean(x, axis=list(axes), keepdims=True))
    total = b.sum(b.mul(d, d), axis=list(axes), keepdims=op.keeps_dims)
    count = math.prod(shape_of(x)[a] for a in axes)
    var = b.div(total, float(max(count - op.ddof_value, 0)))
    return b.sqrt(var) if isinstance(op, tf.StdOp) else var


def _any_all(b: TfBuilder, op: tf.AnyOp | tf.AllOp) -> SSAValue:
    ints = b.cast(op.input, "i32")
    reduce = b.max if isinstance(op, tf.AnyOp) else b.min
    # over no elements max gives INT_MIN (any: false) and min INT_MAX (all: true)
    return b.greater(reduce(ints, axis=list(op.axes_tuple), keepdims=op.keeps_dims), 0)


# -- array ops -----------------------------------------------------------------------


def _triangle(b: TfBuilder, op: tf.TrilOp | tf.TriuOp) -> SSAValue:
    x = op.input
    rows, cols = shape_of(x)[-2:]
    diff = b.sub(b.arange(cols), b.reshape(b.arange(rows), [rows, 1]))
    keep = b.less_equal(diff, op.k_value) if isinstance(op, tf.TrilOp) else b.greater_equal(diff, op.k_value)
    return b.where(keep, x, False if dtype_of(x) == "bool" else 0)


def _flip(b: TfBuilder, op: tf.FlipOp) -> SSAValue:
    shape = shape_of(op.input)
    start = [n - 1 if a in op.axes_tuple and n else 0 for a, n in enumerate(shape)]
    stride = [-1 if a in op.axes_tuple else 1 for a in range(len(shape))]
    return strided_slice(b, op.input, start, stride, shape)


def _interleave(b: TfBuilder, x: SSAValue, counts: Sequence[int], after: bool) -> SSAValue:
    """Axis `i` of `x` repeated `counts[i]` times: as whole copies (tile, a new
    axis before it) or element by element (repeat, a new axis after it)."""
    shape = shape_of(x)
    split: list[int] = []
    wide: list[int] = []
    for d, n in zip(shape, counts, strict=True):
        split += [d, 1] if after else [1, d]
        wide += [d, n] if after else [n, d]
    out = [d * n for d, n in zip(shape, counts, strict=True)]
    if split == wide:
        return reshape(b, x, out)
    return reshape(b, b.broadcast_to(reshape(b, x, split), wide), out)


def _tile(b: TfBuilder, op: tf.TileOp) -> SSAValue:
    shape, reps = shape_of(op.input), op.reps_tuple
    rank = max(len(shape), len(reps))
    x = reshape(b, op.input, [1] * (rank - len(shape)) + list(shape))
    return _interleave(b, x, [1] * (rank - len(reps)) + list(reps), after=False)


def _repeat(b: TfBuilder, op: tf.RepeatOp) -> SSAValue:
    counts = [1] * len(shape_of(op.input))
    counts[op.axis_value] = op.repeats_value
    return _interleave(b, op.input, counts, after=True)


# -- einsum ---------------------------------------------------------------------------


def _diagonal(b: TfBuilder, x: SSAValue, sub: str) -> tuple[SSAValue, str]:
    """Takes the diagonal of every letter repeated in `sub`."""
    while len(set(sub)) < len(sub):
        ch = next(c for c in sub if sub.count(c) > 1)
        p = sub.index(ch)
        q = sub.index(ch, p + 1)
        n = shape_of(x)[p]
        eye_shape = [n if a in (p, q) else 1 for a in range(len(sub))]
        rows = b.reshape(b.arange(n), [n if a == p else 1 for a in range(len(sub))])
        cols = b.reshape(b.arange(n), [n if a == q else 1 for a in range(len(sub))])
        eye = b.broadcast_to(b.equal(rows, cols), eye_shape)
        x = b.sum(b.where(eye, x, 0), axis=q)
        sub = sub[:q] + sub[q + 1:]
    return x, sub


def _sum_letters(b: TfBuilder, x: SSAValue, sub: str, keep: set[str]) -> tuple[SSAValue, str]:
    axes = [a for a, ch in enumerate(sub) if ch not in keep]
    if not axes:
        return x, sub
    return b.sum(x, axis=axes), "".join(ch for ch in sub if ch in keep)


def _arrange(b: TfBuilder, x: SSAValue, sub: str, groups: Sequence[str]) -> SSAValue:
    """`x` transposed to the letter groups' order, each group one axis."""
    order = "".join(groups)
    x = transpose(b, x, [sub.index(ch) for ch in order])
    sizes = dict(zip(order, shape_of(x), strict=True))
    return reshape(b, x, [math.prod(sizes[ch] for ch in g) for g in groups])


def _contract(b: TfBuilder, a: SSAValue, la: str, c: SSAValue, lc: str, needed: set[str]) -> tuple[SSAValue, str]:
    """The product of two operands, summing the letters they share that are not `needed`."""
    batch = "".join(ch for ch in la if ch in lc and ch in needed)
    k = "".join(ch for ch in la if ch in lc and ch not in needed)
    left = "".join(ch for ch in la if ch not in lc)
    right = "".join(ch for ch in lc if ch not in la)
    sizes = dict(zip(la, shape_of(a), strict=True)) | dict(zip(lc, shape_of(c), strict=True))
    outer = [batch] if batch else []  # no batch letters: a 2-D matmul
    lhs = _arrange(b, a, la, [*outer, left, k])
    rhs = _arrange(b, c, lc, [*outer, k, right])
    out = b.matmul(lhs, rhs)
    letters = batch + left + right
    return reshape(b, out, [sizes[ch] for ch in letters]), letters


def _einsum(b: TfBuilder, op: tf.EinsumOp) -> SSAValue:
    subs, out, _ = tf.parse_equation(op.equation_text, [shape_of(v) for v in op.inputs])
    xs = list(op.inputs)
    for i, (x, sub) in enumerate(zip(xs, subs, strict=True)):
        x, sub = _diagonal(b, x, sub)
        others = set(out).union(*(s for j, s in enumerate(subs) if j != i))
        xs[i], subs[i] = _sum_letters(b, x, sub, others)
    acc, letters = xs[0], subs[0]
    for i in range(1, len(xs)):
        needed = set(out).union(*subs[i + 1:])
        acc, letters = _contract(b, acc, letters, xs[i], subs[i], needed)
    acc, letters = _sum_letters(b, acc, letters, set(out))
    result = transpose(b, acc, [letters.index(ch) for ch in out])
    return reshape(b, result, shape_of(op.result))


# -- convolution and pooling -------------------------------------------------------------


def _pad(b: TfBuilder, x: SSAValue, pads: Sequence[tuple[int, int]], value: float | int) -> SSAValue:
    if all(p == (0, 0) for p in pads):
        return x
    return b.pad(x, [list(p) for p in pads], value=value)


def _windows(b: TfBuilder, x: SSAValue, kernel: Sequence[int], stride: Sequence[int],
             dilation: Sequence[int], outs: Sequence[int]) -> list[SSAValue]:
    """The strided slices of `x` (padded) for each kernel offset, in row-major order:
    slice `(k1, .., kn)` holds `x[..., o * stride + k * dilation]` for each output `o`."""
    lead = shape_of(x)[:-len(kernel)]
    out = []
    for offset in itertools.product(*(range(k) for k in kernel)):
        start = [0] * len(lead) + [k * d for k, d in zip(offset, dilation, strict=True)]
        step = [1] * len(lead) + list(stride)
        out.append(strided_slice(b, x, start, step, [*lead, *outs]))
    return out


def _conv_shifted(b: TfBuilder, op: tf.ConvOp) -> SSAValue | None:
    """A 2-D convolution of stride 1 and one group as one matmul per kernel
    offset, summed, with no columns built: each image's padded input is
    read flat (`[N, C, Hp * Wp]`), and offset `(a, b)` multiplies the
    weight `w[:, :, a, b]` (`[O, C]`) by the flat slice that starts at
    `a * Wp + b` (with dilation) and spans `Ho * Wp` elements: output row
    `h` at column `j` reads padded input `(h + a, j + b)`. The `Wp - Wo`
    extra columns per row are computed and dropped at the end (one more row
    of padding keeps the last offset's slice in bounds). Each slice is a
    strided view of the padded input, so nothing the size of the columns
    (`C * kh * kw` times the output) is ever written. None when this form
    does not apply."""
    x, w = op.lhs, op.rhs
    stride, padding, dilation, groups = op.params
    if groups != 1 or len(padding) != 2 or any(s != 1 for s in stride):
        return None
    (n, c, h, wd), (o, _, kh, kw) = shape_of(x), shape_of(w)
    ho, wo = shape_of(op.result)[2:]
    wp = wd + 2 * padding[1]
    tail = (kw - 1) * dilation[1]  # the last offset's slice reads this far past its rows
    extra = -(-tail // wp) if tail else 0
    xp = _pad(b, x, [(0, 0), (0, 0), (padding[0], padding[0] + extra), (padding[1], padding[1])], 0.0)
    hp = h + 2 * padding[0] + extra
    flat = reshape(b, xp, [n, c, hp * wp])
    acc: SSAValue | None = None
    for i, j in itertools.product(range(kh), range(kw)):
        start = i * dilation[0] * wp + j * dilation[1]
        view = strided_slice(b, flat, [0, 0, start], [1, 1, 1], [n, c, ho * wp])
        tap = reshape(b, strided_slice(b, w, [0, 0, i, j], [1, 1, 1, 1], [o, c, 1, 1]), [o, c])
        product = b.matmul(tap, view)  # [n, o, ho * wp]
        acc = product if acc is None else b.add(acc, product)
    assert acc is not None
    rows = reshape(b, acc, [n, o, ho, wp])
    return strided_slice(b, rows, [0, 0, 0, 0], [1, 1, 1, 1], [n, o, ho, wo])


def _conv(b: TfBuilder, op: tf.ConvOp) -> SSAValue:
    """A convolution: `_conv_shifted` where it applies, else im2col.

    im2col with the batch among the columns: `cols[g, c, k, n, p]` is the
    padded input at channel `c` of group `g`, image `n`, output position `p`
    and kernel offset `k`; then `out[g] = w[g] @ cols[g]`, one (batched over
    groups) matmul whose columns are all the images' positions (one large
    GEMM), and a transpose of the product to `[N, O, *out]`."""
    shifted = _conv_shifted(b, op)
    if shifted is not None:
        return shifted
    x, w = op.lhs, op.rhs
    stride, padding, dilation, groups = op.params
    n, (o, cg, *kernel) = shape_of(x)[0], shape_of(w)
    outs = list(shape_of(op.result)[2:])
    xp = _pad(b, x, [(0, 0), (0, 0), *((p, p) for p in padding)], 0.0)
    kk, length = math.prod(kernel), math.prod(outs)
    spatial = list(range(3, 3 + len(outs)))
    cols = []
    for part in _windows(b, xp, kernel, stride, dilation, outs):  # [n, c, *outs] each
        split = reshape(b, part, [n, groups, cg, *outs])
        moved = transpose(b, split, [1, 2, 0, *spatial])  # [groups, cg, n, *outs]
        cols.append(reshape(b, moved, [groups, cg, 1, n, *outs]))
    gathered = cols[0] if kk == 1 else b.concat(cols, axis=2)  # [groups, cg, kk, n, *outs]
    lead = [groups] if groups > 1 else []  # one group: 2-D operands, one linalg.matmul
    columns = reshape(b, gathered, [*lead, cg * kk, n * length])
    weight = reshape(b, w, [*lead, o // groups, cg * kk])
    product = reshape(b, b.matmul(weight, columns), [groups, o // groups, n, *outs])
    result = transpose(b, product, [2, 0, 1, *[3 + i for i in range(len(outs))]])  # [n, groups, o/g, *outs]
    return reshape(b, result, shape_of(op.result))


def _pool(b: TfBuilder, op: tf.MaxPool2dOp | tf.AvgPool2dOp) -> SSAValue:
    x = op.input
    kernel, stride, padding = op.params
    is_max = isinstance(op, tf.MaxPool2dOp)
    dtype = dtype_of(x)
    fill: float | int = 0.0
    if is_max:
        fill = int(np.iinfo(to_numpy(dtype)).min) if dtype.startswith("i") else -math.inf
    lead = len(shape_of(x)) - 2
    xp = _pad(b, x, [(0, 0)] * lead + [(p, p) for p in padding], fill)
    parts = _windows(b, xp, kernel, stride, (1, 1), shape_of(op.result)[-2:])
    acc = parts[0]
    for part in parts[1:]:
        acc = b.maximum(acc, part) if is_max else b.add(acc, part)
    if is_max:
        return acc
    return b.div(acc, float(kernel[0] * kernel[1]))


DECOMPOSITIONS: dict[str, Decomposition] = {
    tf.VarOp.name: _var, tf.StdOp.name: _var,
    tf.AnyOp.name: _any_all, tf.AllOp.name: _any_all,
    tf.TrilOp.name: _triangle, tf.TriuOp.name: _triangle,
    tf.FlipOp.name: _flip, tf.TileOp.name: _tile, tf.RepeatOp.name: _repeat,
    tf.EinsumOp.name: _einsum,
    tf.ConvOp.name: _conv,
    tf.MaxPool2dOp.name: _pool, tf.AvgPool2dOp.name: _pool,
}


def decompose(op: Operation) -> tuple[list[Operation], SSAValue] | None:
    """The ops computing `op`'s result and that result, or None when `op` has no decomposition."""
    fn = DECOMPOSITIONS.get(op.name)
    if fn is None:
        return None
    b = TfBuilder()
    value = fn(b, op)
    return b.ops, value
