"""Host side of the Triton backend: buffers, views and transfers.

Kernels run either on an NVIDIA GPU (buffers are CUDA `torch` tensors; the
only use of torch) or on the CPU under Triton's interpreter
(`TRITON_INTERPRET=1` in the environment before Triton is imported), where
buffers are NumPy arrays behind `NumpyBuffer`, the few tensor methods the
interpreter calls. Generated host code calls only `to_device`, `empty`,
`view` and `to_host`.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from tfir.errors import TfirError, index_error

INSTALL_HINT = 'target "triton" needs Triton: pip install -e ".[triton]"'
NO_DEVICE_HINT = (
    "no GPU to run Triton kernels on: use a machine with an NVIDIA GPU and PyTorch "
    "with CUDA (pip install torch), or set TRITON_INTERPRET=1 in the environment "
    "before starting Python to run the kernels on the CPU with Triton's interpreter"
)


class TritonUnavailable(TfirError, RuntimeError):
    """Triton, or a device to run its kernels on, is missing."""


def interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


INTERPRETER_MODULE = r"triton\.runtime\.interpreter"


@contextmanager
def quiet_interpreter() -> Iterator[None]:
    """Hides the RuntimeWarnings of Triton's interpreter while the block runs:
    it computes masked-out lanes too (a `log` of a padding zero), which is
    harmless; every other warning still shows."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=INTERPRETER_MODULE)
        yield


def quietly(host: Callable[..., Any]) -> Callable[..., Any]:
    """`host` calling its kernels under `quiet_interpreter` when interpreting."""
    if not interpreting():
        return host

    @functools.wraps(host)
    def run(*args: Any, **kwargs: Any) -> Any:
        with quiet_interpreter():
            return host(*args, **kwargs)

    return run


def require_triton() -> None:
    if importlib.util.find_spec("triton") is None:
        raise TritonUnavailable(INSTALL_HINT)


def _cuda_torch():
    """torch when it can reach a CUDA device, else None."""
    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    return torch if torch.cuda.is_available() else None


def require_device() -> None:
    require_triton()
    if not interpreting() and _cuda_torch() is None:
        raise TritonUnavailable(NO_DEVICE_HINT)


class _DType:
    """Stands for a torch dtype where Triton reads its name. One instance per
    dtype, kept forever: Triton caches argument types by the dtype object's
    identity, so a freed one whose address is reused would pass for another
    type (and a kernel would write 4-byte floats into a bool buffer)."""

    _interned: dict[np.dtype, _DType] = {}

    def __init__(self, dtype: np.dtype):
        self.np = np.dtype(dtype)

    @classmethod
    def of(cls, dtype: np.dtype) -> _DType:
        key = np.dtype(dtype)
        if key not in cls._interned:
            cls._interned[key] = cls(key)
        return cls._interned[key]

    def __str__(self) -> str:
        return "torch.bool" if self.np == np.bool_ else f"torch.{self.np.name}"


class NumpyBuffer:
    """A NumPy array as Triton's interpreter sees a CPU tensor: a base pointer
    (`data_ptr`), a dtype, and a storage it copies to and from the "device"
    (the same memory here, so those copies are no-ops)."""

    def __init__(self, array: np.ndarray):
        self.array = array
        self.dtype = _DType.of(array.dtype)

    def data_ptr(self) -> int:
        return self.array.__array_interface__["data"][0]

    def untyped_storage(self) -> NumpyBuffer:
        return self

    def cpu(self) -> NumpyBuffer:
        return self

    def copy_(self, other: NumpyBuffer) -> None:
        if other.data_ptr() != self.data_ptr():
            np.copyto(self.array, other.array)

    def new_empty(self, *args, **kwargs) -> NumpyBuffer:
        return NumpyBuffer(self.array)

    def set_(self, storage, offset, size, stride) -> NumpyBuffer:
        return self

    def storage_offset(self) -> int:
        return 0

    def size(self) -> tuple[int, ...]:
        return self.array.shape

    def stride(self) -> tuple[int, ...]:
        return tuple(s // self.array.itemsize for s in self.array.strides)


def to_device(array: np.ndarray, shape: Sequence[int], dtype: type):
    """An entry argument as a device buffer, after checking its signature."""
    array = np.asarray(array)
    if array.shape != tuple(shape) or array.dtype != np.dtype(dtype):
        raise TypeError(f"expected an array of shape {tuple(shape)} and dtype "
                        f"{np.dtype(dtype)}, got {array.shape} {array.dtype}")
    array = np.require(array, requirements="C")  # ascontiguousarray would make 0-d 1-d
    if interpreting():
        return NumpyBuffer(array)
    torch = _cuda_torch()
    if torch is None:
        raise TritonUnavailable(NO_DEVICE_HINT)
    return torch.from_numpy(array).cuda()


def empty(shape: Sequence[int], dtype: type):
    return to_device(np.empty(tuple(shape), dtype), shape, dtype)


def zeros(shape: Sequence[int], dtype: type):
    return to_device(np.zeros(tuple(shape), dtype), shape, dtype)


def fill(buffer, value, index: tuple[int, ...] = ()) -> None:
    """Writes one element of a device buffer from the host (a loop variable)."""
    if isinstance(buffer, NumpyBuffer):
        buffer.array[index] = value
    elif index:
        buffer[index] = value
    else:
        buffer.fill_(value)


def item(buffer, index: tuple[int, ...] = ()):
    """One element of a device buffer on the host (a loop condition)."""
    if isinstance(buffer, NumpyBuffer):
        return buffer.array[index].item()
    return buffer[index].item()


def check_index(flag, location: str, what: str, size: int, axis: int, negative: bool) -> None:
    """After an index check kernel: raises the error it flagged (`[found, index]`)."""
    found, index = to_host(flag).tolist()
    if found:
        raise index_error(location, what, index, size, axis, negative)


def view(buffer, shape: Sequence[int], strides: Sequence[int], offset: int):
    """A strided view of a buffer (strides and offset in elements)."""
    if isinstance(buffer, NumpyBuffer):
        flat = buffer.array.reshape(-1)[offset:]
        itemsize = flat.itemsize
        return NumpyBuffer(np.lib.stride_tricks.as_strided(
            flat, tuple(shape), tuple(s * itemsize for s in strides)))
    return buffer.as_strided(tuple(shape), tuple(strides), offset)


def to_host(buffer) -> np.ndarray:
    if isinstance(buffer, NumpyBuffer):
        return np.array(buffer.array, copy=True)
    return buffer.cpu().numpy().copy()
