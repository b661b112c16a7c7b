"""`Function.on_dask`: an entry run over Dask arrays chunked along its batch
dimension, split by the compiler (tfir/split.py, the `split-batch` pass).

```python
import dask.array as da
x = da.from_array(big, chunks=(100_000, 64))
scores, loss = prog["score"].on_dask(x, w, b, batch="B")   # lazy Dask arrays
scores.compute(); loss.compute()
```

The task graph, built with Dask's graph API: one task per chunk runs
`<entry>_chunk` on the chunk's rows (its per-row results are the chunks of
the results that have the batch axis); the partial results of the chunks
are combined pairwise as a tree by `<entry>_combine`; one task runs
`<entry>_finalize` on the total (the results without the batch axis).
The pieces and the unbatched arrays are keys of the graph, so each worker
receives them once; each worker process compiles a piece once (the disk
cache makes that cheap when another process compiled it first). A ragged
last chunk uses one more specialization of `<entry>_chunk`.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tfir.dialects.dtypes import from_numpy, to_numpy
from tfir.dialects.registry import TType
from tfir.errors import InputError
from tfir.frontend import ast
from tfir.split import Piece, SplitEntry, SplitPlan, batch_axes

try:
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError("Function.on_dask needs Dask: pip install 'tfir[dask]' "
                      "(dask[array] and distributed)") from err

if TYPE_CHECKING:
    from tfir.api import Function


def on_dask(function: Function, args: tuple[Any, ...], kwargs: dict[str, Any], batch: str) -> Any:
    """The results of `function` on inputs given as Dask arrays chunked
    along dimension `batch` (the others as NumPy arrays): lazy Dask arrays,
    one or a tuple, as a call of `function` returns them."""
    given = _given(function, args, kwargs)
    axes = batch_axes(function.fn, batch)
    batched, chunks = _batched_inputs(function, given, axes, batch)
    metas = {n: _meta(v) if isinstance(v, da.Array) else v for n, v in given.items()}
    arrays, statics = function.bind_inputs((), metas)
    types = {n: TType(from_numpy(a.dtype) or "", a.shape) for n, a in arrays.items()}
    split = _split_entry(function, batch, types, statics)
    sizes = sorted(set(chunks))
    plans = {rows: split.plan(rows) for rows in sizes}
    inputs = {n: batched.get(n, arrays[n] if not isinstance(given[n], da.Array) else given[n])
              for n in split.tensor_params}
    results = _graph(split, plans, chunks, inputs)
    return results[0] if len(results) == 1 else tuple(results)


_SPLITS: weakref.WeakKeyDictionary[Function, dict[Any, SplitEntry]] = weakref.WeakKeyDictionary()


def _split_entry(function: Function, batch: str, types: dict[str, TType], statics: dict[str, Any]) -> SplitEntry:
    """The split of `function` for this signature, made once (like a call's specialization)."""
    splits = _SPLITS.setdefault(function, {})
    key = (batch, tuple(sorted((n, str(t)) for n, t in types.items())), repr(sorted(statics.items())))
    if key not in splits:
        splits[key] = SplitEntry(function, batch, types, statics)
    return splits[key]


def _given(function: Function, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    names = [p.name for p in function.params]
    if len(args) > len(names):
        raise InputError(f"'{function.name}' takes {len(names)} inputs, got {len(args)}")
    given = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in names:
            raise InputError(f"'{function.name}' has no input '{key}'")
        if key in given:
            raise InputError(f"input '{key}' of '{function.name}' given twice")
        given[key] = value
    return given


def _meta(x: da.Array) -> np.ndarray:
    """An array of `x`'s shape and dtype that takes no memory: what the input checks see."""
    return np.lib.stride_tricks.as_strided(np.zeros((), x.dtype), shape=x.shape, strides=(0,) * x.ndim)


def _batched_inputs(function: Function, given: dict[str, Any], axes: dict[str, int],
                    batch: str) -> tuple[dict[str, da.Array], tuple[int, ...]]:
    """The batched inputs as Dask arrays chunked alike along the batch axis and
    not along any other, and the chunks' rows."""
    params = {p.name: p for p in function.params}
    first = next((n for n in axes if isinstance(given.get(n), da.Array)), None)
    if first is None:
        names = ", ".join(axes)
        raise InputError(f"on_dask: none of the inputs with dimension {batch} ({names}) is a Dask array, "
                         "so nothing says how to chunk them")
    chunks = _regular(given[first].chunks[axes[first]])
    out: dict[str, da.Array] = {}
    for name, axis in axes.items():
        if name not in given:
            continue
        value = given[name]
        if not isinstance(value, da.Array):
            value = da.from_array(np.asarray(value), chunks=-1)
        if value.ndim != len(params[name].type.dims):  # type: ignore[union-attr]
            continue  # the input checks report it
        value = _cast(function, params[name], value)
        want = tuple(chunks if i == axis else (d,) for i, d in enumerate(value.shape))
        if value.chunks != want and value.shape[axis] == sum(chunks):
            value = value.rechunk(want)  # along the batch as the first input; other axes whole
        out[name] = value
    return out, chunks


def _regular(chunks: Sequence[int]) -> tuple[int, ...]:
    """`chunks` if all but the last have one size (at most two specializations), else rechunked so."""
    chunks = tuple(chunks)
    if len(chunks) <= 1 or (len(set(chunks[:-1])) == 1 and chunks[-1] <= chunks[0]):
        return chunks
    rows, total = max(chunks), sum(chunks)
    return tuple(min(rows, total - start) for start in range(0, total, rows))


def _cast(function: Function, param: ast.Param, value: da.Array) -> da.Array:
    want = param.type.dtype if isinstance(param.type, ast.TensorTypeExpr) else None
    if function.program.options.cast_inputs and want is not None and from_numpy(value.dtype) != want:
        return value.astype(to_numpy(want))
    return value


# -- the graph -----------------------------------------------------------------------


def _run_chunk(piece: Piece, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    return piece(*(np.asarray(a) for a in arrays))


def _combine(piece: Piece, left: tuple[np.ndarray, ...], left_at: int, right: tuple[np.ndarray, ...],
             right_at: int) -> tuple[np.ndarray, ...]:
    return piece(*left[left_at:], *right[right_at:])


def _finalize(piece: Piece, total: tuple[np.ndarray, ...] | None, total_at: int,
              *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    return piece(*(total[total_at:] if total is not None else ()), *arrays)


class _Graph:
    """The tasks of one `on_dask` call, in one layer of a HighLevelGraph."""

    def __init__(self, split: SplitEntry, token: str):
        self.split = split
        self.token = token
        self.tasks: dict[Any, Any] = {}
        self.pieces: dict[str, Any] = {}

    def key(self, what: str, *index: Any) -> tuple[Any, ...]:
        return (f"tfir-{what}-{self.token}", *index)

    def piece(self, piece: Piece) -> tuple[Any, ...]:
        """The key holding `piece`: each worker receives it once."""
        if piece.key not in self.pieces:
            self.pieces[piece.key] = self.key("piece", len(self.pieces))
            self.tasks[self.pieces[piece.key]] = piece
        return self.pieces[piece.key]


def _graph(split: SplitEntry, plans: dict[int, SplitPlan], chunks: tuple[int, ...],
           inputs: dict[str, Any]) -> list[da.Array]:
    plan = plans[chunks[0]]
    token = tokenize(plan.chunk.key, plan.module, chunks, *[v.name if isinstance(v, da.Array) else v
                                                            for v in inputs.values()])
    g = _Graph(split, token)
    arg_keys = _input_keys(g, split, inputs)
    dask_inputs = [v for v in inputs.values() if isinstance(v, da.Array)]
    chunk_keys = []
    for i, rows in enumerate(chunks):
        key = g.key("chunk", i)
        keys = [k(i) if callable(k) else k for k in arg_keys]
        g.tasks[key] = (_run_chunk, g.piece(plans[rows].chunk), *keys)
        chunk_keys.append(key)
    layer = f"tfir-{plan.entry}-{token}"
    outputs: dict[int, tuple[str, tuple[tuple[int, ...], ...], dict[Any, Any]]] = {}
    for j, (i, axis) in enumerate(zip(plan.row_results, plan.row_axes, strict=True)):
        outputs[i] = _row_output(split, plan, i, j, axis, chunks, chunk_keys, token)
    if plan.finalize is not None:
        final = _reduce_and_finalize(g, plan, chunk_keys, arg_keys)
        for j, i in enumerate(plan.final_results):
            name = f"{plan.entry}-result{i}-{token}"
            shape = split.result_types[i].shape
            outputs[i] = (name, tuple((d,) for d in shape),
                          {(name, *([0] * len(shape))): (operator.getitem, final, j)})
    layers: dict[str, Any] = {layer: g.tasks}
    deps: dict[str, set[str]] = {layer: set()}
    for v in dask_inputs:
        layers.update(v.dask.layers)
        deps.update(v.dask.dependencies)
        deps[layer] |= set(v.__dask_layers__())
    results = []
    for i in range(len(split.result_types)):
        name, out_chunks, tasks = outputs[i]
        graph = HighLevelGraph({**layers, name: tasks}, {**deps, name: {layer}})
        dtype = to_numpy(split.result_types[i].dtype)
        results.append(da.Array(graph, name, out_chunks, dtype=dtype,
                                meta=np.empty((0,) * len(out_chunks), dtype)))
    return results


def _input_keys(g: _Graph, split: SplitEntry, inputs: dict[str, Any]) -> list[Any]:
    """Per tensor argument, its key in chunk i (a function of i) or its one key."""
    keys: list[Any] = []
    for j, (name, axis) in enumerate(zip(split.tensor_params, split.axes, strict=True)):
        value = inputs[name]
        if axis >= 0:
            keys.append(lambda i, v=value, a=axis: (v.name, *[i if d == a else 0 for d in range(v.ndim)]))
        elif isinstance(value, da.Array):
            value = value.rechunk(-1)
            inputs[name] = value
            keys.append((value.name, *[0] * value.ndim))
        else:
            key = g.key("arg", j)
            g.tasks[key] = value  # sent to each worker once
            keys.append(key)
    return keys


def _row_output(split: SplitEntry, plan: SplitPlan, i: int, j: int, axis: int, chunks: tuple[int, ...],
                chunk_keys: list[Any], token: str) -> tuple[str, tuple[tuple[int, ...], ...], dict[Any, Any]]:
    name = f"{plan.entry}-result{i}-{token}"
    shape = split.result_types[i].shape
    out_chunks = tuple(chunks if d == axis else (n,) for d, n in enumerate(shape))
    tasks = {(name, *[c if d == axis else 0 for d in range(len(shape))]): (operator.getitem, key, j)
             for c, key in enumerate(chunk_keys)}
    return name, out_chunks, tasks


def _reduce_and_finalize(g: _Graph, plan: SplitPlan, chunk_keys: list[Any], arg_keys: list[Any]) -> Any:
    """The tree of combine tasks over the chunks' partial results, then the finalize task."""
    assert plan.finalize is not None
    at = len(plan.row_results)
    level: list[tuple[Any, int]] = [(k, at) for k in chunk_keys] if plan.partials else []
    depth = 0
    while len(level) > 1:
        assert plan.combine is not None
        nxt = []
        for j in range(0, len(level) - 1, 2):
            key = g.key("combine", depth, j // 2)
            (left, la), (right, ra) = level[j], level[j + 1]
            g.tasks[key] = (_combine, g.piece(plan.combine), left, la, right, ra)
            nxt.append((key, 0))
        if len(level) % 2:
            nxt.append(level[-1])
        level, depth = nxt, depth + 1
    total, total_at = level[0] if level else (None, 0)
    key = g.key("finalize")
    unbatched = [arg_keys[i] for i in plan.finalize_args]
    g.tasks[key] = (_finalize, g.piece(plan.finalize), total, total_at, *unbatched)
    return key
