"""ONNX ops that index with tensors: `Gather`, `GatherElements`, `GatherND`,
`ScatterElements` (and its old name `Scatter`), `ScatterND`, `OneHot`,
`ReverseSequence`, and the losses that gather labels
(`NegativeLogLikelihoodLoss`, `SoftmaxCrossEntropyLoss`).

ONNX counts negative indices from the end and makes any index outside
`[-n, n)` an error, as `.tf`'s `take` does: every index the translation uses
goes through a `take` (of the data, or of `arange(n)` to normalize it), whose
run-time check raises `tfir.ExecutionError` naming the line of the node. Where
ONNX allows only `[0, n)` (loss labels, sequence lengths), a negative index is
first moved below `-n`, so the same check rejects it. Element-wise scatters are
written as a `scatter` of the flattened data at computed flat indices; that is
exact, and every index was checked on its own axis first.
"""

from __future__ import annotations

from tfir.onnx.model import FLOATS, INTS, Dim
from tfir.onnx.node import NodeCtx, Rule, rule

INDEX: dict[str, Rule] = {}


def _axis(n: NodeCtx, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise n.error(f"axis {axis} is out of range for rank {rank}")
    return axis % rank


def _static(n: NodeCtx, i: int) -> tuple[int, ...]:
    shape = n.shape(i)
    if not all(isinstance(d, int) for d in shape):
        raise n.error(f"needs static sizes, input '{n.t(i).onnx_name}' has {list(shape)}")
    return tuple(int(d) for d in shape)


def _indices(n: NodeCtx, i: int) -> str:
    dtype = n.dtype(i)
    if dtype not in INTS:
        raise n.error(f"indices must be i32 or i64, got {dtype}")
    return n.x(i)


def normalized(n: NodeCtx, idx: str, size: Dim, hint: str = "index") -> str:
    """`idx` with negative entries counted from the end (i64), checked at run time to
    be inside `[-size, size)`."""
    return n.tmp(f"take(arange({size}, i64), {idx})", hint)


def nonnegative(n: NodeCtx, idx: str, size: Dim, hint: str = "index") -> str:
    """`idx` (i64) checked at run time to be inside `[0, size)`: a negative entry is
    moved below `-size`, where `take`'s check rejects it."""
    return n.tmp(f"take(arange({size}, i64), where({idx} >= 0, {idx}, {idx} - {size}))", hint)


def _iota(size: int, axis: int, rank: int) -> str:
    """`arange(size)` (i64) along `axis` of a rank-`rank` tensor, size 1 elsewhere."""
    if rank == 1:
        return f"arange({size}, i64)"
    return f"reshape(arange({size}, i64), {[size if a == axis else 1 for a in range(rank)]})"


@rule(INDEX, "Gather", attrs="axis")
def _gather(n: NodeCtx) -> None:
    rank = n.rank(0)
    axis = _axis(n, int(n.attr("axis", 0)), rank)
    n.out(f"take({n.x(0)}, {_indices(n, 1)}, axis={axis})")


@rule(INDEX, "GatherElements", attrs="axis")
def _gather_elements(n: NodeCtx) -> None:
    shape, ishape = n.shape(0), n.shape(1)
    rank = len(shape)
    if len(ishape) != rank:
        raise n.error(f"indices of rank {len(ishape)} for data of rank {rank}")
    axis = _axis(n, int(n.attr("axis", 0)), rank)
    x = n.x(0)
    # take_along_axis broadcasts; ONNX's indices may be shorter than the data off the axis
    index = []
    for a, (d, k) in enumerate(zip(shape, ishape, strict=True)):
        if a == axis or d == k:
            index.append(":")
        elif isinstance(d, int) and isinstance(k, int) and k < d:
            index.append(f":{k}")
        else:
            raise n.error(f"indices of shape {list(ishape)} do not fit data of shape {list(shape)} "
                          f"off axis {axis}")
    while index and index[-1] == ":":
        index.pop()
    if index:
        x = n.tmp(f"{x}[{', '.join(index)}]", "part")
    n.out(f"take_along_axis({x}, {_indices(n, 1)}, axis={axis})")


def _reduction(n: NodeCtx) -> str:
    reduction = n.attr("reduction", "none")
    if reduction == "none":
        return "scatter"
    if reduction == "add":
        return "scatter_add"
    raise n.error(f"reduction='{reduction}' is not supported (none or add: tfir has scatter and scatter_add)")


def _flat_offsets(shape: tuple[int, ...], ishape: tuple[int, ...], axis: int) -> list[str]:
    """The terms of the flat index contributed by the axes other than `axis`:
    the position along each of them times its stride."""
    strides = [1] * len(shape)
    for a in range(len(shape) - 2, -1, -1):
        strides[a] = strides[a + 1] * shape[a + 1]
    terms = []
    for a, size in enumerate(ishape):
        if a != axis and size > 1:
            iota = _iota(size, a, len(ishape))
            terms.append(iota if strides[a] == 1 else f"{iota} * {strides[a]}")
    return terms


@rule(INDEX, "ScatterElements", "Scatter", attrs="axis reduction")
def _scatter_elements(n: NodeCtx) -> None:
    fn = _reduction(n)
    shape, ishape = _static(n, 0), _static(n, 1)
    rank = len(shape)
    if len(ishape) != rank or _static(n, 2) != ishape:
        raise n.error(f"indices {list(ishape)} and updates {list(_static(n, 2))} must have the data's "
                      f"rank ({rank}) and one shape")
    axis = _axis(n, int(n.attr("axis", 0)), rank)
    if any(k > d for a, (k, d) in enumerate(zip(ishape, shape, strict=True)) if a != axis):
        raise n.error(f"indices of shape {list(ishape)} do not fit data of shape {list(shape)}")
    idx = normalized(n, _indices(n, 1), shape[axis])
    stride = 1
    for d in shape[axis + 1:]:
        stride *= d
    terms = [idx if stride == 1 else f"{idx} * {stride}", *_flat_offsets(shape, ishape, axis)]
    flat = n.tmp(" + ".join(terms), "flat")
    size = 1
    for d in shape:
        size *= d
    scattered = n.tmp(f"{fn}(reshape({n.x(0)}, [{size}]), reshape({flat}, [-1]), reshape({n.x(2)}, [-1]))",
                      "flat_result")
    n.out(f"reshape({scattered}, {list(shape)})")


def _flat_tuple_index(n: NodeCtx, shape: tuple[int, ...], ishape: tuple[int, ...], batch: int = 0) -> str:
    """The flat index into axes `[0, batch + k)` of the data for each index tuple
    (the last axis of input 1, of length `k`): the batch axes by position, then
    the tuple's components, each checked against its axis."""
    idx = _indices(n, 1)
    q, k = len(ishape), ishape[-1]
    terms, stride = [], 1
    for j in range(k - 1, -1, -1):
        axis = batch + j
        component = normalized(n, f"{idx}[{', '.join([':'] * (q - 1) + [str(j)])}]", shape[axis], f"index{j}")
        terms.append(component if stride == 1 else f"{component} * {stride}")
        stride *= shape[axis]
    for a in range(batch - 1, -1, -1):  # batch axis a of the index tensor (rank q - 1)
        if shape[a] > 1:
            iota = _iota(shape[a], a, q - 1)
            terms.append(iota if stride == 1 else f"{iota} * {stride}")
        stride *= shape[a]
    return n.tmp(" + ".join(reversed(terms)) if terms else "0", "flat")


def _tuples(n: NodeCtx, batch: int = 0) -> tuple[tuple[int, ...], tuple[int, ...], int, int]:
    """Data and index shapes of GatherND / ScatterND, the tuple length and the
    product of the data axes the tuples (and batch axes) index."""
    shape, ishape = _static(n, 0), _static(n, 1)
    if not ishape:
        raise n.error("the indices must have rank >= 1")
    k = ishape[-1]
    if batch + k > len(shape) or ishape[:batch] != shape[:batch] or batch >= len(ishape):
        raise n.error(f"indices of shape {list(ishape)} do not fit data of shape {list(shape)} "
                      f"with batch_dims={batch}")
    outer = 1
    for d in shape[:batch + k]:
        outer *= d
    return shape, ishape, k, outer


@rule(INDEX, "ScatterND", attrs="reduction")
def _scatter_nd(n: NodeCtx) -> None:
    fn = _reduction(n)
    shape, ishape, k, outer = _tuples(n)
    flat = _flat_tuple_index(n, shape, ishape)
    data = f"reshape({n.x(0)}, {[outer, *shape[k:]]})"
    scattered = n.tmp(f"{fn}({data}, {flat}, {n.x(2)})", "flat_result")
    n.out(f"reshape({scattered}, {list(shape)})")


@rule(INDEX, "GatherND", attrs="batch_dims")
def _gather_nd(n: NodeCtx) -> None:
    batch = int(n.attr("batch_dims", 0))
    shape, ishape, k, outer = _tuples(n, batch)
    flat = _flat_tuple_index(n, shape, ishape, batch)
    n.out(f"take(reshape({n.x(0)}, {[outer, *shape[batch + k:]]}), {flat}, axis=0)")


@rule(INDEX, "OneHot", attrs="axis")
def _one_hot(n: NodeCtx) -> None:
    rank = n.rank(0)
    depth_values = n.ints(1, "the depth") if n.dtype(1) in INTS else [
        int(v) for v in n.const(1, "the depth").reshape(-1)]
    if len(depth_values) != 1 or depth_values[0] < 0:
        raise n.error(f"the depth must be one value >= 0, got {depth_values}")
    depth = depth_values[0]
    axis = int(n.attr("axis", -1))
    if not -rank - 1 <= axis <= rank:
        raise n.error(f"axis {axis} is out of range for rank {rank + 1}")
    axis %= rank + 1
    idx, dtype = n.x(0), n.dtype(0)
    # ONNX counts an index in [-depth, 0) from the end; any other index outside [0, depth) is all off
    wrapped = n.tmp(f"where({idx} < {_zero(dtype)}, {idx} + {depth}, {idx})", "wrapped")
    if dtype in INTS:
        hot = f"one_hot({wrapped}, {depth}, bool)"
        if axis != rank:
            hot = f"transpose({hot}, perm={[*range(axis), rank, *range(axis, rank)]})"
    else:  # a float index matches the class it equals, as ONNX's reference compares
        hot = f"expand_dims({wrapped}, {axis}) == {_iota_as(depth, axis, rank + 1, dtype)}"
    mask = n.tmp(hot, "hot")
    values = n.x(2)
    n.out(f"where({mask}, {values}[1], {values}[0])")


def _zero(dtype: str) -> str:
    return "0.0" if dtype in FLOATS else "0"


def _iota_as(size: int, axis: int, rank: int, dtype: str) -> str:
    return f"cast({_iota(size, axis, rank)}, {dtype})"


@rule(INDEX, "ReverseSequence", attrs="batch_axis time_axis")
def _reverse_sequence(n: NodeCtx) -> None:
    shape = _static(n, 0)
    rank = len(shape)
    batch_axis, time_axis = int(n.attr("batch_axis", 1)), int(n.attr("time_axis", 0))
    if sorted((batch_axis, time_axis)) != [0, 1] or rank < 2:
        raise n.error(f"batch_axis {batch_axis} and time_axis {time_axis} must be 0 and 1")
    steps = shape[time_axis]
    # a length outside [0, steps] is an error (ONNX: lengths are at most the time axis)
    lens = nonnegative(n, n.x(1), steps + 1, "lengths")
    t = _iota(steps, time_axis, rank)
    lengths = f"reshape({lens}, {[shape[batch_axis] if a == batch_axis else 1 for a in range(rank)]})"
    lengths = n.tmp(lengths, "lengths_b")
    source = f"where({t} < {lengths}, {lengths} - 1 - {t}, {t})"
    source = n.tmp(f"broadcast_to({source}, {list(shape)})" if rank > 2 else source, "source")
    n.out(f"take_along_axis({n.x(0)}, {source}, axis={time_axis})")


# -- losses ---------------------------------------------------------------------------


@rule(INDEX, "NegativeLogLikelihoodLoss", attrs="ignore_index reduction")
def _nll(n: NodeCtx) -> None:
    if n.dtype(0) not in FLOATS:
        raise n.error(f"needs a float input, got {n.dtype(0)}")
    n.out(_nll_loss(n, n.x(0)))


@rule(INDEX, "SoftmaxCrossEntropyLoss", attrs="ignore_index reduction")
def _softmax_cross_entropy(n: NodeCtx) -> None:
    if n.dtype(0) not in FLOATS:
        raise n.error(f"needs float scores, got {n.dtype(0)}")
    log_prob = n.tmp(f"log_softmax({n.x(0)}, axis=1)", "log_prob")
    n.out(_nll_loss(n, log_prob))
    if n.wants(1):
        n.out(log_prob, 1)


def _nll_loss(n: NodeCtx, log_prob: str) -> str:
    """-log_prob[n, label, d...] (times the label's weight), 0 at `ignore_index`,
    reduced as `reduction` says: `mean` divides by the total weight of the labels
    not ignored."""
    shape = n.shape(0)
    if len(shape) < 2:
        raise n.error(f"needs an input of rank >= 2 ([N, C, ...]), got rank {len(shape)}")
    classes = shape[1]
    labels = _indices(n, 1)
    reduction = n.attr("reduction", "mean")
    if reduction not in ("none", "sum", "mean"):
        raise n.error(f"reduction='{reduction}' is not supported (none, sum or mean)")
    ignore = int(n.attr("ignore_index")) if n.has_attr("ignore_index") else None
    kept = None
    if ignore is not None:
        kept = n.tmp(f"{labels} != {ignore}", "kept")
        labels = n.tmp(f"where({kept}, {labels}, 0)", "labels")
    checked = nonnegative(n, labels, classes, "label")
    picked = n.tmp(f"squeeze(take_along_axis({log_prob}, expand_dims({checked}, 1), axis=1), 1)", "picked")
    dtype = n.dtype(0)
    weight = f"take({n.x(2)}, {checked})" if n.has(2) else None
    if kept is not None:
        weight = f"where({kept}, {weight or '1.0'}, 0.0)" if weight else f"cast({kept}, {dtype})"
    if weight is not None:
        weight = n.tmp(weight, "weight")
    loss = f"-{picked}" if weight is None else f"-{picked} * {weight}"
    if reduction == "none":
        return loss
    loss = n.tmp(loss, "losses")
    if reduction == "sum":
        return f"sum({loss})"
    return f"sum({loss}) / sum({weight})" if weight is not None else f"mean({loss})"
