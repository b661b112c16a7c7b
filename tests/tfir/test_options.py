"""Typed compile options: `tfir.CompileOptions`, the backend's own options,
and the errors a misspelled name gets."""

from __future__ import annotations

import numpy as np
import pytest

import tfir
from tfir.backends.registry import BACKENDS
from tfir.options import CompileOptions

SRC = "fn main(x: f32[8]) -> f32[8] {\n    return tanh(x * 2.0) + 1.0;\n}\n"


def test_keyword_options_are_compile_options() -> None:
    prog = tfir.compile_source(SRC, disable=["fuse-elementwise"], cache=False,
                               backend_options={"threads": False})
    assert isinstance(prog.options, CompileOptions)
    assert prog.options.disable == ("fuse-elementwise",) and prog.options.cache is False
    x = np.linspace(-1, 1, 8, dtype=np.float32)
    np.testing.assert_allclose(prog.main(x), np.tanh(x * 2) + 1, rtol=1e-6)
    again = tfir.compile_source(SRC, options=prog.options, verify_each=True)
    assert again.options.disable == ("fuse-elementwise",) and again.options.verify_each is True
    with pytest.raises(dataclasses_frozen()):
        prog.options.cache = True  # type: ignore[misc]


def dataclasses_frozen() -> type[Exception]:
    import dataclasses
    return dataclasses.FrozenInstanceError


@pytest.mark.parametrize("kwargs, message", [
    ({"dissable": ("cse",)}, "unknown compile option 'dissable'; did you mean 'disable'?"),
    ({"codegen": {"threads": False}}, "backend_options="),
    ({"disable": ("fuse-elementwse",)}, "no pass 'fuse-elementwse' in the pipeline; did you mean 'fuse-elementwise'?"),
    ({"pass_options": {"tile-linalg": {"max_tile_byte": 1}}}, "did you mean 'max_tile_bytes'?"),
    ({"backend_options": {"thread": False}}, "unknown numpy option 'thread'; did you mean 'threads'?"),
    ({"backend_options": 3}, "must be NumpyOptions"),
])
def test_a_misspelled_option_is_an_error_naming_the_closest(kwargs, message) -> None:
    with pytest.raises((TypeError, ValueError)) as err:
        tfir.compile_source(SRC, **kwargs)
    assert message in str(err.value)


def test_backend_options_belong_to_the_target() -> None:
    assert BACKENDS["numpy"].options_type is tfir.NumpyOptions
    prog = tfir.compile_source(SRC, backend_options=tfir.NumpyOptions(reuse_buffers=True), cache=False)
    assert prog.options.backend_options == tfir.NumpyOptions(reuse_buffers=True)
    with pytest.raises(TypeError, match="unknown eager option 'threads'"):
        tfir.compile_source(SRC, target="eager", backend_options={"threads": False})
    with pytest.raises(ValueError, match="unknown target 'numpyy'; did you mean 'numpy'"):
        tfir.compile_source(SRC, target="numpyy")


def test_options_are_part_of_the_cache_key() -> None:
    keys = {CompileOptions().key(), CompileOptions(disable=("cse",)).key(),
            CompileOptions(backend_options={"threads": False}).key(),
            CompileOptions(pass_options={"tile-linalg": {"min_points": 1}}).key()}
    assert len(keys) == 4
    assert CompileOptions(cache=False).key() == CompileOptions().key()
