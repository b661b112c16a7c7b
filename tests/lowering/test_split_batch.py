"""`split-batch`: the entry split into chunk, combine and finalize functions
gives the entry's results (run chunk by chunk in this process, ragged last
chunk included), and an entry that mixes rows is a CompileError naming the
op. The cluster runs are in tests/integration/test_dask.py."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from xdsl.utils.exceptions import PassFailedException

import tfir
from tfir.dialects.context import make_context
from tfir.dialects.registry import TType
from tfir.lowering.split_batch import SplitBatchPass
from tfir.pipeline import PASSES, pass_names
from tfir.split import SplitEntry, run_local

FILECHECK = Path(__file__).resolve().parents[1] / "filecheck" / "split-batch.mlir"

PROGRAMS = {
    # per-row results only: elementwise ops, matmul, softmax over features, a reshape keeping the batch
    "rows": ("fn f(x: f32[B, 8], w: f32[8, 4], b: f32[4]) -> (f32[B, 4], f32[B, 2, 2]) {\n"
             "    let h = softmax(tanh(x @ w + b), axis=1);\n"
             "    return h, reshape(h * 2.0, [B, 2, 2]);\n}\n"),
    # reductions over the batch: sum, mean, max, min, logsumexp, and results computed from them
    "reduced": ("fn f(x: f32[B, 8], w: f32[8, 4]) -> (f32, f32[4], f32[4], f32[4], f32[4], f32[B]) {\n"
                "    let h = x @ w;\n"
                "    let loss = mean(h * h) + sum(w * w);\n"
                "    return loss, max(h, axis=0) - min(h, axis=0), logsumexp(h, axis=0),\n"
                "           sum(h, axis=0) / mean(h + 10.0, axis=0), prod(tanh(h) * 0.5 + 1.0, axis=0),\n"
                "           sum(h, axis=1);\n}\n"),
    # a gradient written by hand: the batch contracted by a matmul (summed over chunks)
    "gradient": ("fn f(x: f32[B, 8], y: f32[B], w: f32[8]) -> (f32, f32[8]) {\n"
                 "    let r = x @ w - y;\n"
                 "    return mean(r * r), transpose(x) @ r * 2.0;\n}\n"),
    # the batch on axis 1, reductions over both axes
    "axis1": ("fn f(x: f32[3, B], v: f32[B]) -> (f32[3, B], f32[3], f32) {\n"
              "    let t = x * v;\n"
              "    return t, sum(t, axis=1), max(t);\n}\n"),
}


def _split(name: str, size: int, target: str = "numpy") -> tuple[tfir.Function, SplitEntry, list[np.ndarray]]:
    fn = tfir.compile_source(PROGRAMS[name], f"{name}.tf", target=target)["f"]
    rng = np.random.default_rng(1)
    types, arrays = {}, []
    for p in fn.params:
        shape = tuple(size if d == "B" else d for d in p.type.dims)
        types[p.name] = TType(p.type.dtype, shape)
        arrays.append(rng.standard_normal(shape).astype(np.float32))
    return fn, SplitEntry(fn, "B", types, {}), arrays


@pytest.mark.parametrize("target", ["numpy", "eager"])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
@pytest.mark.parametrize("rows", [10, 4, 3, 1])
def test_chunked_results_equal_the_entry(name: str, rows: int, target: str) -> None:
    fn, split, arrays = _split(name, 10, target)
    want = fn(*arrays)
    want = want if isinstance(want, tuple) else (want,)
    got = run_local(split, arrays, rows)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-5)
    if rows == 10 and name == "rows":
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)  # one chunk: the very same computation


def test_plan_says_where_results_go() -> None:
    _, split, _ = _split("reduced", 10)
    plan = split.plan(4)
    assert plan.row_results == (5,) and plan.row_axes == (0,)
    assert plan.final_results == (0, 1, 2, 3, 4)
    assert plan.finalize_args == (1,)  # w: the finalize function adds sum(w * w)
    assert "f_chunk" in plan.module and "f_combine" in plan.module and "f_finalize" in plan.module
    assert "tensor<4x8xf32>" in plan.chunk.ir and "tensor<10x8xf32>" not in plan.chunk.ir
    assert plan.combine is not None and plan.finalize is not None
    # The finalize function and the combine function do not depend on the chunk's rows.
    other = split.plan(3)
    assert other.combine == plan.combine and other.finalize == plan.finalize and other.chunk != plan.chunk


def test_rows_only_entry_has_no_combine() -> None:
    _, split, _ = _split("rows", 10)
    plan = split.plan(5)
    assert plan.combine is None and plan.finalize is None and plan.partials == 0
    assert plan.row_results == (0, 1) and plan.row_axes == (0, 0)


MIXING = {
    "softmax": ("return softmax(x, axis=0);", "f32[B, 4]", "softmax(...) mixes the rows", "softmax"),
    "centered": ("return x - mean(x, axis=0);", "f32[B, 4]", "uses the result of 'tf.mean'", "x - mean"),
    "argmax": ("return argmax(x, axis=0);", "i64[4]", "'tf.argmax' along the batch axis", "argmax"),
    "gram": ("return x @ transpose(x);", "f32[B, B]", "multiplies rows of the batch with other rows", "x @"),
    "slice": ("return sum(x[1:], axis=0);", "f32[4]", "'tf.slice' does not keep the batch axis whole", "x[1:]"),
    "concat": ("return sum(concat([x, x], axis=0), axis=0);", "f32[4]", "joins values along the batch axis",
               "concat"),
}


@pytest.mark.parametrize("name", sorted(MIXING))
def test_an_entry_that_mixes_rows_is_a_compile_error(name: str) -> None:
    body, result, message, caret = MIXING[name]
    text = f"fn f(x: f32[B, 4]) -> {result} {{\n    {body}\n}}\n"
    fn = tfir.compile_source(text, f"{name}.tf")["f"]
    split = SplitEntry(fn, "B", {"x": TType("f32", (6, 4))}, {})
    with pytest.raises(tfir.CompileError) as info:
        split.plan(3)
    diag = info.value.diagnostics[0]
    assert diag.filename == f"{name}.tf" and diag.line == 2
    assert "cannot split 'f' along dimension B" in diag.message and message in diag.message
    lines = str(info.value).splitlines()
    assert lines[1].strip() == body  # the source line, then the caret under the op's call
    assert lines[2].index("^") == lines[1].index(caret)


def test_unbatched_value_as_long_as_the_batch_is_an_error() -> None:
    text = "fn f(x: f32[B, 4]) -> f32[B, 4] {\n    return x + cast(expand_dims(arange(B), 1), f32);\n}\n"
    fn = tfir.compile_source(text, "pos.tf")["f"]
    with pytest.raises(tfir.CompileError, match="pairs each row of the batch with a row of an unbatched value"):
        SplitEntry(fn, "B", {"x": TType("f32", (6, 4))}, {}).plan(3)


def test_a_value_uniform_along_the_batch_is_rebuilt_per_chunk() -> None:
    text = "fn f(x: f32[B, 4]) -> f32[B, 4] {\n    return x * broadcast_to(2.0, [B, 4]);\n}\n"
    fn = tfir.compile_source(text, "u.tf")["f"]
    x = np.arange(24, dtype=np.float32).reshape(6, 4)
    split = SplitEntry(fn, "B", {"x": TType("f32", (6, 4))}, {})
    np.testing.assert_array_equal(run_local(split, [x], 4)[0], x * 2)
    assert "tensor<4x4xf32>" in split.plan(4).chunk.ir


def test_no_parameter_with_the_dimension() -> None:
    fn = tfir.compile_source(PROGRAMS["rows"], "rows.tf")["f"]
    with pytest.raises(tfir.InputError, match="no parameter of 'f' has dimension N .*symbolic dimensions: B"):
        SplitEntry(fn, "N", {}, {})


def test_pass_options_are_checked() -> None:
    module = tfir.compile_source(PROGRAMS["rows"], "rows.tf", target="eager")["f"]
    arrays = {"x": np.zeros((6, 8), np.float32), "w": np.zeros((8, 4), np.float32), "b": np.zeros(4, np.float32)}
    tf_module = module.specialize(arrays, {}).tf_module
    for bad, why in [(dict(batch_axes=(0,)), "batch_axes has 1 axes for 3 arguments"),
                     (dict(batch_axes=(0, 5, -1)), "no axis 5"),
                     (dict(batch_axes=(0, 0, -1)), "different sizes"),
                     (dict(batch_axes=(0, -1, -1), rows=7), "rows=7 is not within the batch of 6"),
                     (dict(batch_axes=(-1, -1, -1)), "no argument has a batch axis"),
                     (dict(entry="g", batch_axes=(0, -1, -1)), "no function @g"),
                     (dict(batch_axes=(0, -1, -1)), r"the entry has calls \(run inline-calls first\)")]:
        with pytest.raises(PassFailedException, match=why):
            SplitBatchPass(**bad).apply(make_context(), tf_module.clone())


def test_split_batch_is_a_pass_on_demand() -> None:
    assert "split-batch" in PASSES and "split-batch" not in pass_names()  # not in the default pipeline
    from xdsl.universe import Universe
    assert "split-batch" in Universe.get_multiverse().all_passes


def test_filecheck() -> None:
    xdsl_opt = Path(sys.executable).with_name("xdsl-opt")
    if not xdsl_opt.exists():
        found = shutil.which("xdsl-opt")
        if found is None:
            pytest.skip("xdsl-opt is not installed")
        xdsl_opt = Path(found)
    run_line = next(line for line in FILECHECK.read_text().splitlines() if line.startswith("// RUN:"))
    pipeline = run_line.split("-p ", 1)[1].split(" %s", 1)[0].strip("'")
    opt = subprocess.run([str(xdsl_opt), "-p", pipeline, str(FILECHECK)], capture_output=True, text=True)
    assert opt.returncode == 0, opt.stderr
    check = subprocess.run([sys.executable, "-m", "filecheck", str(FILECHECK)], input=opt.stdout,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr + "\n--- output ---\n" + opt.stdout


def test_tfir_lower_batch_prints_the_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tfir.cli import main

    path = tmp_path / "reduced.tf"
    path.write_text(PROGRAMS["reduced"])
    assert main(["lower", str(path), "--batch", "B", "--dim", "B=10", "--rows", "4"]) == 0
    out = capsys.readouterr().out
    assert "func.func @f_chunk(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>)" in out
    assert "func.func @f_combine(" in out and "func.func @f_finalize(" in out
    assert main(["lower", str(path), "--batch", "B", "--dim", "B=10"]) == 0  # default: two chunks
    assert "tensor<5x8xf32>" in capsys.readouterr().out

    path.write_text("fn f(x: f32[B, 4]) -> f32[B, 4] {\n    return softmax(x, axis=0);\n}\n")
    assert main(["lower", str(path), "--batch", "B"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2:12: error: cannot split 'f' along dimension B: softmax(...) mixes the rows" in err
    assert main(["lower", str(path), "--batch", "B", "--emit", "linalg"]) == 1
    assert "--emit cannot go with it" in capsys.readouterr().err
    assert main(["lower", str(path), "--rows", "2"]) == 1
    assert "give --batch DIM too" in capsys.readouterr().err
