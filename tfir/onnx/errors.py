"""The errors of tfir's ONNX import and export (no `onnx` import here, so the CLI
and `tfir` itself load without the onnx extra)."""

from __future__ import annotations

from tfir.errors import TfirError


class OnnxError(TfirError, ValueError):
    """An ONNX model (or a `.tf` program, for export) that cannot be translated:
    the message names the node, its op type and what is not supported."""


class StaticInputNeeded(OnnxError):
    """A graph input is used where `.tf` needs a value known at compile time (a shape,
    axes, slice bounds): the program is then specialized on that input's value."""

    def __init__(self, message: str, input_name: str):
        super().__init__(message)
        self.input_name = input_name
