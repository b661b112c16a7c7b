"""ONNX neural-network ops with `.tf` builtins or compositions: `Softmax`,
`LogSoftmax`, `Hardmax` (opset 13 semantics: one axis), the normalizations
(`LayerNormalization`, `RMSNormalization`, `BatchNormalization` in inference
mode, `InstanceNormalization`, `MeanVarianceNormalization`, `LpNormalization`),
global pooling, and `Dropout` at inference."""

from __future__ import annotations

from tfir.onnx.model import FLOATS
from tfir.onnx.node import NodeCtx, Rule, rule
from tfir.onnx.ops_elementwise import float_attr

NN: dict[str, Rule] = {}


def _float_input(n: NodeCtx) -> str:
    if n.dtype(0) not in FLOATS:
        raise n.error(f"needs a float operand, got {n.dtype(0)}")
    return n.x(0)


def _axis(n: NodeCtx, default: int) -> int:
    rank = n.rank(0)
    axis = int(n.attr("axis", default))
    if not -rank <= axis < max(rank, 1):
        raise n.error(f"axis {axis} is out of range for rank {rank}")
    return axis % rank if rank else 0


@rule(NN, "Softmax", "LogSoftmax", attrs="axis")
def _softmax(n: NodeCtx) -> None:
    x = _float_input(n)
    fn = "softmax" if n.op == "Softmax" else "log_softmax"
    _axis(n, -1)  # checked; written as the model has it
    n.out(f"{fn}({x}, axis={int(n.attr('axis', -1))})")


@rule(NN, "Hardmax", attrs="axis")
def _hardmax(n: NodeCtx) -> None:
    x = _float_input(n)
    axis = _axis(n, -1)
    size = n.shape(0)[axis]
    if not isinstance(size, int):
        raise n.error(f"Hardmax needs a static size on axis {axis}")
    rank = n.rank(0)
    iota = f"reshape(arange({size}, i64), {[size if a == axis else 1 for a in range(rank)]})"
    n.out(f"cast(expand_dims(argmax({x}, axis={axis}), {axis}) == {iota}, {n.dtype(0)})")


def _stash_dtype(n: NodeCtx) -> str:
    stash = {1: "f32", 11: "f64", 10: "f16"}.get(int(n.attr("stash_type", 1)))
    if stash is None:
        raise n.error(f"stash_type {n.attr('stash_type')} is not supported")
    return stash


def _stash(n: NodeCtx, x: str) -> tuple[str, str]:
    """The operand in the stash type (f32 by default) and the dtype to cast results back to."""
    dtype, stash = n.dtype(0), _stash_dtype(n)
    return (x, dtype) if stash == dtype else (f"cast({x}, {stash})", dtype)


@rule(NN, "LayerNormalization", attrs="axis epsilon stash_type")
def _layer_norm(n: NodeCtx) -> None:
    x = _float_input(n)
    rank = n.rank(0)
    axis = _axis(n, -1)
    axes = list(range(axis, rank))
    eps = float_attr(n.attr("epsilon", 1e-5))
    xs, dtype = _stash(n, x)
    norm, mean, inv = _normalize(n, xs, axes, eps)
    y = norm if xs == x else f"cast({norm}, {dtype})"
    y = f"{y} * {n.x(1)}"
    if n.has(2):
        y += f" + {n.x(2)}"
    n.out(y, 0)
    for i, v in ((1, mean), (2, inv)):
        if n.wants(i):
            want = n.out_dtype(i)
            n.out(v if want == _stash_dtype(n) else f"cast({v}, {want})", i)


def _normalize(n: NodeCtx, x: str, axes: list[int], eps: str) -> tuple[str, str, str]:
    fn = n.helper("onnx_normalize")
    names = [n.imp.names.fresh(f"{n.node.output[0]}_{s}") for s in ("norm", "mean", "inv_std")]
    n.imp.src.let(names, f"{fn}({x}, axes={axes}, eps={eps})", n.comment())
    return names[0], names[1], names[2]


@rule(NN, "RMSNormalization", attrs="axis epsilon stash_type")
def _rms_norm(n: NodeCtx) -> None:
    x = _float_input(n)
    rank = n.rank(0)
    axes = list(range(_axis(n, -1), rank))
    eps = float_attr(n.attr("epsilon", 1e-5))
    xs, dtype = _stash(n, x)
    r = f"{xs} / sqrt(mean({xs} * {xs}, axis={axes}, keepdims=true) + {eps})"
    n.out(f"{r if xs == x else f'cast({r}, {dtype})'} * {n.x(1)}")


def _channel(n: NodeCtx, i: int, rank: int) -> str:
    """A per-channel [C] parameter shaped to broadcast along axis 1 of a rank-`rank` input."""
    if rank <= 2:
        return n.x(i)
    c = n.shape(i)[0]
    return f"reshape({n.x(i)}, {[c] + [1] * (rank - 2)})"


@rule(NN, "BatchNormalization", attrs="epsilon momentum training_mode")
def _batch_norm(n: NodeCtx) -> None:
    x = _float_input(n)
    if n.attr("training_mode", 0):
        raise n.error("training_mode=1 is not supported (inference only)")
    if n.n_out > 1 and any(n.wants(i) for i in range(1, n.n_out)):
        raise n.error("the running mean and variance outputs (training) are not supported")
    rank = n.rank(0)
    scale, bias, mean, var = (_channel(n, i, rank) for i in (1, 2, 3, 4))
    eps = float_attr(n.attr("epsilon", 1e-5))
    n.out(f"({x} - {mean}) / sqrt({var} + {eps}) * {scale} + {bias}")


@rule(NN, "InstanceNormalization", attrs="epsilon")
def _instance_norm(n: NodeCtx) -> None:
    x = _float_input(n)
    rank = n.rank(0)
    eps = float_attr(n.attr("epsilon", 1e-5))
    norm, _, _ = _normalize(n, x, list(range(2, rank)), eps)
    n.out(f"{norm} * {_channel(n, 1, rank)} + {_channel(n, 2, rank)}")


@rule(NN, "MeanVarianceNormalization", attrs="axes")
def _mvn(n: NodeCtx) -> None:
    x = _float_input(n)
    rank = n.rank(0)
    axes = sorted({int(a) % rank for a in n.attr("axes", [0, 2, 3])})
    m = n.tmp(f"mean({x}, axis={axes}, keepdims=true)", "mean")
    var = f"mean(({x} - {m}) * ({x} - {m}), axis={axes}, keepdims=true)"
    n.out(f"({x} - {m}) / (sqrt({var}) + 1e-9)")


@rule(NN, "LpNormalization", attrs="axis p")
def _lp_norm(n: NodeCtx) -> None:
    x = _float_input(n)
    axis, p = _axis(n, -1), int(n.attr("p", 2))
    if p == 1:
        norm = f"sum(abs({x}), axis={axis}, keepdims=true)"
    elif p == 2:
        norm = f"sqrt(sum({x} * {x}, axis={axis}, keepdims=true))"
    else:
        raise n.error(f"p={p} is not supported (1 or 2)")
    norm = n.tmp(norm, "norm")
    n.out(f"{x} / where({norm} == 0.0, 1.0, {norm})")  # ONNX gives 0 where the norm is 0


@rule(NN, "GlobalAveragePool", "GlobalMaxPool")
def _global_pool(n: NodeCtx) -> None:
    x = _float_input(n)
    axes = list(range(2, n.rank(0)))
    n.out(f"{'mean' if n.op == 'GlobalAveragePool' else 'max'}({x}, axis={axes}, keepdims=true)")


@rule(NN, "LRN", attrs="alpha beta bias size")
def _lrn(n: NodeCtx) -> None:
    """Local response normalization over the channels: each entry divided by
    (bias + alpha / size * the sum of squares of the `size` channels around it)^beta,
    the sum over the channel window as one slice of the padded squares per offset."""
    x = _float_input(n)
    shape = n.shape(0)
    channels, rank, size = shape[1], len(shape), int(n.attr("size"))
    if not isinstance(channels, int) or size < 1:
        raise n.error(f"needs a static channel count and size >= 1, got {channels} and {size}")
    lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
    pads = [[0, 0], [lo, hi]] + [[0, 0]] * (rank - 2)
    squares = n.tmp(f"pad({x} * {x}, {pads}, value=0.0)", "squares")
    window = n.tmp(" + ".join(f"{squares}[:, {k}:{k + channels}]" for k in range(size)), "window")
    alpha, beta = float(n.attr("alpha", 1e-4)), float(n.attr("beta", 0.75))
    bias = float(n.attr("bias", 1.0))
    scale = float_attr(alpha / size)
    n.out(f"{x} / pow({float_attr(bias)} + {scale} * {window}, {float_attr(beta)})")


@rule(NN, "Dropout", attrs="seed")
def _dropout(n: NodeCtx) -> None:
    if n.has(2):
        training = n.const(2, "training_mode")
        if bool(training.reshape(-1)[0]):
            raise n.error("training_mode=true is not supported (random masks; inference only)")
    n.out(n.x(0))
    if n.wants(1):
        dims = n.shape(0)
        n.out(f"zeros({n.dims_text(dims)}, i32) == 0", 1)
