"""`tfir.onnx_backend`: tfir as an ONNX backend (`onnx.backend.base.Backend`).

```python
import tfir.onnx_backend as backend
outputs = backend.run_model(model, [x])          # or backend.prepare(model).run([x])
```

See tfir/onnx/backend.py; importing this module imports `onnx`.
"""

from tfir.onnx.backend import (
    TfirBackend,
    TfirBackendRep,
    TfirEagerBackend,
    TfirTritonBackend,
    prepare,
    run_model,
    run_node,
    supports_device,
)

__all__ = ["TfirBackend", "TfirBackendRep", "TfirEagerBackend", "TfirTritonBackend", "prepare", "run_model",
           "run_node", "supports_device"]
