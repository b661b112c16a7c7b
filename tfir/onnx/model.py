"""Reading ONNX models: loading, opset checks, element types and the static
type (dtype and shape) of every value, from ONNX's own shape inference.

ONNX element types map to `.tf` dtypes one to one where `.tf` has the type;
any other type (uint8, bfloat16, string, ...) is an `OnnxError` that names the
value that has it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto

from tfir.onnx.errors import OnnxError, StaticInputNeeded

MIN_OPSET = 13  # the default domain's oldest opset whose semantics the importer follows

# ONNX element type -> `.tf` dtype, for the types `.tf` has.
DTYPE_OF: dict[int, str] = {
    TensorProto.BOOL: "bool",
    TensorProto.INT32: "i32",
    TensorProto.INT64: "i64",
    TensorProto.FLOAT16: "f16",
    TensorProto.FLOAT: "f32",
    TensorProto.DOUBLE: "f64",
}
ELEM_OF: dict[str, int] = {v: k for k, v in DTYPE_OF.items()}
NUMPY_OF: dict[str, np.dtype] = {
    "bool": np.dtype(np.bool_), "i32": np.dtype(np.int32), "i64": np.dtype(np.int64),
    "f16": np.dtype(np.float16), "f32": np.dtype(np.float32), "f64": np.dtype(np.float64),
}
FLOATS = frozenset({"f16", "f32", "f64"})
INTS = frozenset({"i32", "i64"})

Dim = int | str  # a size, or the name of a symbolic dimension
__all__ = ["OnnxError", "StaticInputNeeded", "Dim", "ValueType", "load_model", "default_opset", "infer_types"]


def elem_name(elem: int) -> str:
    try:
        return TensorProto.DataType.Name(elem)
    except ValueError:
        return f"element type {elem}"


def dtype_of(elem: int, what: str) -> str:
    """The `.tf` dtype of ONNX element type `elem`; `what` names the value in the error."""
    if elem not in DTYPE_OF:
        raise OnnxError(f"{what} has type {elem_name(elem)}, which tfir does not have "
                        f"(tfir's dtypes: bool, i32, i64, f16, f32, f64)")
    return DTYPE_OF[elem]


def dtype_of_numpy(dtype: np.dtype, what: str) -> str:
    for name, np_dtype in NUMPY_OF.items():
        if np_dtype == dtype:
            return name
    raise OnnxError(f"{what} has NumPy type {dtype}, which tfir does not have "
                    f"(tfir's dtypes: bool, i32, i64, f16, f32, f64)")


@dataclass(frozen=True)
class ValueType:
    """The static type of an ONNX value: element type and shape (None: rank unknown;
    a dim is an int, a symbolic name, or None when ONNX knows nothing of it)."""

    elem: int
    shape: tuple[int | str | None, ...] | None

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)


def value_type(info: onnx.ValueInfoProto) -> ValueType | None:
    if not info.type.HasField("tensor_type"):
        return None
    tt = info.type.tensor_type
    if not tt.HasField("shape"):
        return ValueType(tt.elem_type, None)
    dims: list[int | str | None] = []
    for d in tt.shape.dim:
        if d.HasField("dim_value"):
            dims.append(int(d.dim_value))
        elif d.HasField("dim_param"):
            dims.append(d.dim_param)
        else:
            dims.append(None)
    return ValueType(tt.elem_type, tuple(dims))


def load_model(model_or_path: Any) -> onnx.ModelProto:
    """A ModelProto from a ModelProto, a path, or serialized bytes."""
    if isinstance(model_or_path, onnx.ModelProto):
        return model_or_path
    if isinstance(model_or_path, bytes | bytearray):
        return onnx.load_from_string(bytes(model_or_path))
    path = Path(model_or_path)
    try:
        return onnx.load(str(path))
    except (OSError, onnx.onnx_cpp2py_export.checker.ValidationError) as err:  # type: ignore[attr-defined]
        raise OnnxError(f"cannot read the ONNX model {path}: {err}") from None
    except Exception as err:  # noqa: BLE001 - protobuf's DecodeError and kin: not a model
        raise OnnxError(f"{path} is not an ONNX model: {type(err).__name__}: {err}") from None


def default_opset(model: onnx.ModelProto) -> int:
    """The version of the default (ai.onnx) domain; OnnxError when it is too old or absent."""
    versions = {o.domain: o.version for o in model.opset_import}
    version = versions.get("", versions.get("ai.onnx"))
    if version is None:
        raise OnnxError("the model imports no version of the default ONNX domain (ai.onnx)")
    if version < MIN_OPSET:
        raise OnnxError(f"the model uses opset {version}; tfir imports opset {MIN_OPSET} and later "
                        f"(convert it with onnx.version_converter.convert_version(model, {MIN_OPSET}))")
    return version


def infer_types(model: onnx.ModelProto) -> dict[str, ValueType]:
    """Every value's type that ONNX's shape inference knows (inputs, outputs, intermediates)."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception:  # noqa: BLE001 - inference is best effort; the declared types remain
        inferred = model
    types: dict[str, ValueType] = {}
    graph = inferred.graph
    for info in [*graph.value_info, *graph.input, *graph.output]:
        vt = value_type(info)
        if vt is not None and (info.name not in types or types[info.name].shape is None):
            types[info.name] = vt
    return types
