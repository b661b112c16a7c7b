"""tfir as an ONNX backend (`onnx.backend.base.Backend`), so that ONNX's own
backend test suite (`onnx.backend.test.BackendTest`) runs on it:

```python
from tfir.onnx_backend import TfirBackend
rep = TfirBackend.prepare(model, "CPU")          # import + compile (numpy target)
outputs = rep.run([x, y])                        # a tuple, in the graph's output order
```

`prepare(model, device, target=...)` picks the target; the classes
`TfirEagerBackend` and `TfirTritonBackend` fix it for `BackendTest`, which
passes no options. The device is always the CPU (the triton target runs in
Triton's interpreter there, or on a GPU when there is one).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import onnx
from onnx.backend.base import Backend, BackendRep, Device, DeviceType, namedtupledict

from tfir.onnx import OnnxProgram, from_onnx


class TfirBackendRep(BackendRep):
    """A prepared model: `run(inputs)` takes the graph's inputs (a list in the
    graph's order, a dict by name, or one array) and returns its outputs."""

    def __init__(self, program: OnnxProgram):
        self.program = program

    def run(self, inputs: Any, **kwargs: Any) -> tuple[Any, ...]:
        if isinstance(inputs, dict):
            feeds = dict(inputs)
        elif isinstance(inputs, np.ndarray):
            feeds = {self.program.inputs[0]: inputs}
        else:
            feeds = dict(zip(self.program.inputs, inputs, strict=False))
        outputs = self.program._run(feeds)
        return namedtupledict("Outputs", self.program.outputs)(*outputs)


class TfirBackend(Backend):
    """ONNX backend on tfir's numpy target (the default; `target=` overrides it)."""

    target: ClassVar[str] = "numpy"

    @classmethod
    def is_compatible(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> bool:
        from tfir.onnx import OnnxError, StaticInputNeeded, import_source
        try:
            import_source(model)
        except StaticInputNeeded:  # specialized on an input's value at run time
            return True
        except OnnxError:
            return False
        return True

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> TfirBackendRep:
        super().prepare(model, device, **kwargs)  # onnx.checker
        if not cls.supports_device(device):
            raise RuntimeError(f"tfir's ONNX backend runs on the CPU, not on {device}")
        target = kwargs.pop("target", cls.target)
        initializers = kwargs.pop("initializers", "constants")
        return TfirBackendRep(from_onnx(model, target=target, initializers=initializers))

    @classmethod
    def run_model(cls, model: onnx.ModelProto, inputs: Any, device: str = "CPU", **kwargs: Any) -> tuple[Any, ...]:
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(cls, node: onnx.NodeProto, inputs: Any, device: str = "CPU",
                 outputs_info: Any = None, **kwargs: Any) -> tuple[Any, ...]:
        """Runs one node on `inputs` (a list of arrays, in the node's input order)."""
        super().run_node(node, inputs, device=device, outputs_info=outputs_info, **kwargs)
        opset = kwargs.pop("opset_version", onnx.defs.onnx_opset_version())
        arrays = [np.asarray(a) for a in inputs]
        names = [n for n in node.input if n]
        graph_inputs = [onnx.helper.make_tensor_value_info(n, onnx.helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
                        for n, a in zip(names, arrays, strict=False)]
        graph_outputs = [onnx.helper.make_empty_tensor_value_info(o) for o in node.output if o]
        graph = onnx.helper.make_graph([node], "run_node", graph_inputs, graph_outputs)
        model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset)])
        model = onnx.shape_inference.infer_shapes(model)
        return cls.prepare(model, device, **kwargs).run(arrays)

    @classmethod
    def supports_device(cls, device: str) -> bool:
        return Device(device).type == DeviceType.CPU


class TfirEagerBackend(TfirBackend):
    """The same on the eager target (tfir's reference, op by op)."""

    target: ClassVar[str] = "eager"


class TfirTritonBackend(TfirBackend):
    """The same on the triton target (a GPU, or Triton's interpreter with TRITON_INTERPRET=1)."""

    target: ClassVar[str] = "triton"


prepare = TfirBackend.prepare
run_model = TfirBackend.run_model
run_node = TfirBackend.run_node
supports_device = TfirBackend.supports_device

__all__ = ["TfirBackend", "TfirBackendRep", "TfirEagerBackend", "TfirTritonBackend", "prepare", "run_model",
           "run_node", "supports_device"]
