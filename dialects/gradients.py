"""The `gradients(y, [x1, ..., xn])` builtin (spec: "Gradients"): its registry
entry, typed like any call; it builds a `tf.gradients` op that the
`differentiate` pass expands before anything runs."""

from __future__ import annotations

from typing import Any

from tfir.dialects import tf
from tfir.dialects.dtypes import FLOAT_DTYPES
from tfir.dialects.registry import REGISTRY, TENSOR, TENSORS, CallInfo, OpEntry, Param, TType


def _infer(call: CallInfo) -> list[TType]:
    y, *xs = call.tensors
    if y.dtype not in FLOAT_DTYPES:
        raise call.error(f"'gradients' differentiates a float tensor; the target is {y}, an "
                         f"{'integer' if y.dtype != 'bool' else 'bool'} tensor (integers pass no gradient; "
                         f"cast to a float dtype before the loss)", "y")
    for x in xs:
        if x.dtype not in FLOAT_DTYPES:
            raise call.error(f"'gradients' is taken with respect to float tensors; got {x}, not "
                             f"differentiable (integer and bool values pass no gradient)", "xs")
    if not xs:
        raise call.error("'gradients' needs at least one tensor to differentiate by", "xs")
    return list(xs)


def _eager(op: Any, *arrays: Any) -> Any:
    raise RuntimeError("tf.gradients runs only once the differentiate pass has expanded it")


GRADIENTS = REGISTRY.register(OpEntry(
    "gradients", (Param("y", TENSOR), Param("xs", TENSORS)), _infer,
    build=lambda xs, attrs, rts: tf.GradientsOp(xs[0], xs[1:]),
    eager=_eager, op_names=(tf.GradientsOp.name,), doc=tf.GradientsOp.__doc__ or ""))
