"""Whole gradient programs of the shapes users write (a scan that scatters
its states, masked attention, a CNN, embeddings with negative ids,
`gradients` inside a loop and an `if`, mixed precision, gradients by
intermediates in a loop body and second order) against the JAX reference:
the same source run by JAX, `gradients` as `jax.grad`
(tfir.testing.jax_reference; optional: skipped without jax). Each program is
tests/integration/programs/grad_*.tf; its sizes and integer ranges are here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tfir
from tests.support.triton_cli import run_triton
from tfir.inputs import random_inputs
from tfir.testing import jax_reference

pytestmark = pytest.mark.skipif(not jax_reference.available(), reason="jax is not installed")

PROGRAMS = Path(__file__).parent / "programs"
DIMS = {"rnn_scatter": {"T": 5, "B": 3, "D": 4, "H": 6}, "attention": {"B": 2, "T": 5, "D": 8}, "cnn": {"N": 2},
        "embed": {"V": 7, "D": 5, "B": 4, "S": 3, "C": 3}, "loop_if": {"N": 8, "D": 3}, "mixed": {}, "inner": {},
        "shapes": {}}
INTS = {"labels": (0, 3), "ids": (-7, 7), "y": (0, 3)}  # class labels; ids count from the end too
TARGETS = ["eager", "numpy", "triton"]  # triton: under its interpreter, in a process of its own


def inputs_of(name: str, fn: object) -> dict:
    inputs = random_inputs(fn, {}, DIMS[name], 1)  # type: ignore[arg-type]
    rng = np.random.default_rng(2)
    for key, (lo, hi) in INTS.items():
        if key in inputs and inputs[key].dtype.kind == "i":
            inputs[key] = rng.integers(lo, hi, inputs[key].shape).astype(inputs[key].dtype)
    if "lr" in inputs:
        inputs["lr"] = np.float64(0.3)
    return inputs


def test_every_program_has_sizes() -> None:
    assert sorted(p.stem.removeprefix("grad_") for p in PROGRAMS.glob("grad_*.tf")) == sorted(DIMS)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(DIMS))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_gradient_program_equals_jax(name: str, target: str, tmp_path: Path) -> None:
    path = PROGRAMS / f"grad_{name}.tf"
    reference = jax_reference.Interpreter(path.read_text(), path.name)
    inputs = inputs_of(name, reference.fns["main"])
    want = [np.asarray(v) for v in reference("main", inputs)]
    if target == "triton":
        pytest.importorskip("triton")
        got = tuple(run_triton(path, "main", inputs, tmp_path))
    else:
        got = tfir.compile_file(path, target=target)["main"](**inputs)
        got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert (g.dtype, g.shape) == (w.dtype, w.shape), f"result {k}"
        tol = 1e-9 if w.dtype == np.float64 else 3e-4
        scale = max(1.0, float(np.nanmax(np.abs(w), initial=0.0)))
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * scale, err_msg=f"{name} result {k} on {target}")
