"""ONNX in and out of tfir.

```python
import tfir
model = tfir.from_onnx("model.onnx", target="numpy")   # ONNX -> readable .tf -> compiled
print(model.source)                                      # the .tf program
y = model(x)                                             # or model.run({"x": x}) -> {name: array}

tfir.to_onnx("mlp.tf", entry="mlp", dims={"B": 8}, path="mlp.onnx")  # .tf -> ONNX (opset 17)
```

Importing writes `.tf` source (importer.py, with the op tables in ops*.py)
and compiles it with `tfir.compile_source`, so every target works. Exporting
(exporter.py) writes the optimized `tf` dialect graph as an ONNX model.
`tfir.onnx_backend` runs ONNX's backend test suite on tfir (backend.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import tfir
from tfir.errors import InputError
from tfir.onnx.errors import OnnxError, StaticInputNeeded

__all__ = ["OnnxError", "StaticInputNeeded", "OnnxProgram", "from_onnx", "import_source", "to_onnx"]


class OnnxProgram:
    """An imported ONNX graph, compiled for one target.

    `source` is the `.tf` program; `program` the compiled `tfir.Program` and
    `function` its entry. Call it with the graph's inputs (positional, or by
    their ONNX names); `run(feeds)` returns `{output name: array}` as ONNX
    Runtime's `InferenceSession.run` does. With `initializers="parameters"`
    the initializers are parameters of the entry, bound here from `weights`.

    A graph input used where `.tf` needs a compile-time value (a `Reshape`'s
    shape, reduction axes, slice bounds) makes the program specialized on that
    input's value, as tfir specializes on shapes: `static_inputs` names them,
    and each new value imports and compiles the graph again (cached).
    """

    def __init__(self, model: Any, target: str, initializers: str, name: str | None,
                 options: dict[str, Any], filename: str):
        self.model = model
        self.target = target
        self.initializers = initializers
        self.name = name
        self.options = options
        self.filename = filename
        self.inputs: list[str] = [i.name for i in model.graph.input
                                  if i.name not in {init.name for init in model.graph.initializer}]
        self.outputs: list[str] = [o.name for o in model.graph.output]
        self.static_inputs: list[str] = []
        self._specialized: dict[tuple[Any, ...], tuple[Any, Any]] = {}
        self.imported: Any = None
        self.program: Any = None
        self._specialize({})

    @property
    def source(self) -> str:
        """The `.tf` program (for a specialized graph, that of the latest specialization)."""
        if self.imported is None:
            raise ValueError(f"the graph is specialized on the values of {', '.join(self.static_inputs)}: "
                             f"call it first, or import it with constants={{...}}")
        return self.imported.source

    @property
    def entry(self) -> str:
        return self.imported.entry if self.imported is not None else ""

    @property
    def weights(self) -> dict[str, np.ndarray]:
        return dict(self.imported.weights) if self.imported is not None else {}

    @property
    def function(self) -> Any:
        return self.program[self.imported.entry]

    def _specialize(self, feeds: dict[str, Any]) -> tuple[Any, Any] | None:
        """The (Imported, Program) for the values of the static inputs in `feeds`;
        None at construction when the graph turns out to need some."""
        while True:
            constants = {n: np.asarray(feeds[n]) for n in self.static_inputs}
            key = tuple((n, v.dtype.str, v.shape, v.tobytes()) for n, v in constants.items())
            if key in self._specialized:
                self.imported, self.program = self._specialized[key]
                return self._specialized[key]
            try:
                imported = import_source(self.model, self.initializers, self.name, constants)
            except StaticInputNeeded as err:
                if err.input_name in self.static_inputs:
                    raise
                self.static_inputs.append(err.input_name)
                if err.input_name not in feeds:
                    if not feeds:
                        return None
                    raise
                continue
            program = tfir.compile_source(imported.source, filename=self.filename, target=self.target,
                                          **self.options)
            self._specialized[key] = (imported, program)
            self.imported, self.program = imported, program
            return imported, program

    def __call__(self, *args: Any, **kwargs: Any) -> np.ndarray | tuple[np.ndarray, ...]:
        if len(args) > len(self.inputs):
            raise TypeError(f"the graph has {len(self.inputs)} inputs, got {len(args)} arrays")
        feeds = dict(zip(self.inputs, args, strict=False))
        for name, value in kwargs.items():
            if name in feeds:
                raise TypeError(f"input '{name}' is given twice")
            feeds[name] = value
        results = self._run(feeds)
        return results[0] if len(results) == 1 else tuple(results)

    def run(self, feeds: dict[str, Any]) -> dict[str, np.ndarray]:
        return dict(zip(self.outputs, self._run(feeds), strict=True))

    def _run(self, feeds: dict[str, Any]) -> list[np.ndarray]:
        for name in feeds:
            if name not in self.inputs:
                raise InputError(f"the graph has no input '{name}' (its inputs: {', '.join(self.inputs)})")
        missing = [n for n in self.static_inputs if n not in feeds]
        if missing:
            raise InputError(f"missing input {', '.join(repr(m) for m in missing)}")
        spec = self._specialize(feeds)
        assert spec is not None
        imported, program = spec
        param_of = dict(zip(imported.inputs, imported.params, strict=False))
        kwargs = {param_of[n]: np.asarray(v) for n, v in feeds.items() if n in param_of}
        kwargs.update(imported.weights)
        out = program[imported.entry](**kwargs)
        return list(out) if isinstance(out, tuple) else [out]

    def save(self, path: str | Path) -> list[Path]:
        """Writes the `.tf` source, and the weights (parameters mode) beside it as `.npz`."""
        path = Path(path)
        path.write_text(self.source, encoding="utf-8")
        written = [path]
        if self.weights:
            npz = path.with_suffix(".weights.npz")
            np.savez(npz, **self.weights)
            written.append(npz)
        return written


def import_source(model_or_path: Any, initializers: str = "constants", name: str | None = None,
                  constants: dict[str, Any] | None = None) -> Any:
    """The `.tf` translation of an ONNX model (an `Imported`: source, entry, names, weights).
    `constants` gives values to graph inputs, which then become constants of the program."""
    from tfir.onnx.importer import import_graph
    from tfir.onnx.model import load_model
    return import_graph(load_model(model_or_path), initializers, name, constants)


def from_onnx(model_or_path: Any, target: str = "numpy", initializers: str = "constants",
              name: str | None = None, **options: Any) -> OnnxProgram:
    """Imports an ONNX model (a ModelProto, a path or bytes) and compiles it for `target`.

    `initializers="constants"` writes initializers as tensor literals (folded and
    fused with the graph); `"parameters"` makes them parameters of the entry,
    bound from `OnnxProgram.weights`. Raises `OnnxError` for an op, attribute
    or dtype that tfir does not support, naming the node; other `compile_source`
    options pass through."""
    from tfir.onnx.model import load_model
    model = load_model(model_or_path)
    return OnnxProgram(model, target, initializers, name, options, _filename(model_or_path, model.graph.name))


def _filename(model_or_path: Any, graph_name: str) -> str:
    if isinstance(model_or_path, str | Path):
        return str(Path(model_or_path).with_suffix(".tf"))
    return f"{graph_name or 'model'}.onnx.tf"


def to_onnx(*args: Any, **kwargs: Any) -> Any:
    """See `tfir.onnx.exporter.to_onnx`."""
    from tfir.onnx.exporter import to_onnx as export
    return export(*args, **kwargs)
