"""`tfir lower`, `passes`, `compile`, `graph` and `tfir.lower`: dumps, timings,
the pass list, the dataflow graph, and their errors (tfir/inspect/)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.support.common import CONFORMANCE_PROGRAMS, ROOT, needs_conformance, parse_ir
from tfir.cli import main
from tfir.inspect import trace as trace_mod
from tfir.inspect.trace import lower, plan
from tfir.pipeline import PIPELINE, STAGES, steps_for

MLP = ROOT / "examples" / "mlp.tf"
HEADER = re.compile(r"^// -----// IR Dump (After|Before) (\S+?)(\{.*\})? \[stage (\S+)\] //----- //$", re.M)


def _extra_args(path: Path, tmp_path: Path) -> list[str]:
    """The generic library entry needs an array for its parameter."""
    if path.name == "lib_activations.tf":
        np.save(tmp_path / "x.npy", np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
        return ["--input", f"x={tmp_path / 'x.npy'}"]
    return []


@needs_conformance()
@pytest.mark.parametrize("path", CONFORMANCE_PROGRAMS, ids=lambda p: p.name)
def test_dump_dir_parses_back_in_pipeline_order(path: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "dumps"
    rc = main(["lower", str(path), "--dump-dir", str(out), *_extra_args(path, tmp_path)])
    err = capsys.readouterr().err
    files = sorted(out.iterdir())
    runnable, _ = plan("numpy")
    expected = [f"{i:02d}-{name}.mlir" for i, name in enumerate(["frontend", *(s.pass_name for s in runnable)])]
    # A pass that breaks on this program (another part's bug) still leaves the dumps before it.
    bug = rc != 0 and "error: compiler bug: pass" in err
    assert rc == 0 or bug, err
    assert [f.name for f in files] == (expected[:len(files)] if bug else expected)
    for f in files:
        text = f.read_text()
        module = parse_ir(text)  # the header is an MLIR comment
        module.verify()
        body = text.split("\n", 1)[1].rstrip("\n")
        assert str(module) == body, f"{f.name} does not print back the same"
    if bug:
        pytest.xfail(err.splitlines()[-2] if len(err.splitlines()) > 1 else err)


def test_dump_dir_with_locations_parses_and_keeps_them(tmp_path: Path) -> None:
    assert main(["lower", str(MLP), "--dump-dir", str(tmp_path), "--debuginfo", "--stop-after", "cse"]) == 0
    first = tmp_path / "01-inline-calls.mlir"
    text = first.read_text()
    assert f'loc("{MLP}":3:' in text  # the body of `dense`, inlined, keeps its own line
    parse_ir(text).verify()


def test_dump_dir_replaces_the_dumps_of_an_earlier_run(tmp_path: Path) -> None:
    (tmp_path / "07-old-pass.mlir").write_text("stale")
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["lower", str(MLP), "--dump-dir", str(tmp_path), "--stop-after", "inline-calls"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["00-frontend.mlir", "01-inline-calls.mlir", "notes.txt"]


def test_print_ir_after_change_omits_passes_that_changed_nothing(capsys) -> None:
    stages = lower(MLP)
    changed = [s.pass_name for s in stages[1:] if s.changed]
    same = [s.pass_name for s in stages[1:] if not s.changed]
    assert changed and same, "mlp.tf should have passes of both kinds"
    assert main(["lower", str(MLP), "--print-ir-after-change"]) == 0
    printed = [m.group(2) for m in HEADER.finditer(capsys.readouterr().out)]
    assert printed == changed
    for a, b in zip(stages, stages[1:], strict=False):
        assert (a.ir != b.ir) == b.changed


def test_print_ir_after_all_before_and_after(capsys) -> None:
    assert main(["lower", str(MLP), "--print-ir-after-all"]) == 0
    out = capsys.readouterr().out
    runnable, _ = plan("numpy")
    assert [m.group(2) for m in HEADER.finditer(out)] == [s.pass_name for s in runnable]
    assert [m.group(4) for m in HEADER.finditer(out)] == [s.stage for s in runnable]
    assert "IR Dump After fold-constants{max_elements=" in out  # options are in the header

    assert main(["lower", str(MLP), "--print-ir-before=cse", "--print-ir-after=fold-constants"]) == 0
    out = capsys.readouterr().out
    dumps = HEADER.findall(out)
    assert [(d[0], d[1]) for d in dumps] == [("After", "fold-constants"), ("Before", "cse")]
    before_cse, after_fold = out.split("// -----// IR Dump Before cse")[1], out.split("//----- //\n")[1]
    assert before_cse.split("\n", 1)[1].strip() == after_fold.split("// -----//")[0].strip()


def test_stop_after_and_emit(capsys) -> None:
    assert main(["lower", str(MLP), "--stop-after", "fold-constants"]) == 0
    out = capsys.readouterr().out
    assert "tf.matmul" in out and "linalg" not in out
    assert main(["lower", str(MLP), "--emit", "tf"]) == 0
    assert "tf.relu" in capsys.readouterr().out
    assert main(["lower", str(MLP), "--emit", "linalg"]) == 0
    out = capsys.readouterr().out
    assert "linalg.generic" in out and "tf." not in out and "memref" not in out
    assert main(["lower", str(MLP)]) == 0  # default: the last IR before code generation
    assert capsys.readouterr().out.strip() == lower(MLP)[-1].ir.strip()


LAYERNORM = ROOT / "examples" / "layernorm.tf"


def test_explain_fusion_lists_the_pairs_left_unfused(capsys) -> None:
    assert main(["lower", str(LAYERNORM), "--explain-fusion"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"fusion: block in {LAYERNORM}, target numpy: 8 producer/consumer pairs not fused")
    assert "  contraction: 6, reduction: 2" in out
    # The mean's sum, then its division: a reduction in between (layernorm is on line 8).
    assert re.search(r"^1\. %_ = reduction \{addf\} : 16 at layernorm\.tf:8\n"
                     r"   -> %_ = elementwise \{divf\} : 16 at layernorm\.tf:8\n"
                     r"   not fused: reduction$", out, re.M)
    assert "not fused: contraction (the consumer is a linalg.matmul)" in out
    assert "\nreasons:\n  reduction: a reduction in between" in out
    assert "linalg.generic {" not in out and "tfir.fusion" not in out  # decisions, not IR


def test_explain_fusion_on_triton_and_with_dumps(tmp_path: Path, capsys) -> None:
    assert main(["lower", str(ROOT / "examples" / "stats.tf"), "--target", "triton", "--explain-fusion"]) == 0
    out = capsys.readouterr().out
    assert "target triton: 4 producer/consumer pairs not fused" in out
    assert "not fused: other-use (it is a result of the function)" in out
    # With --dump-dir the whole pipeline runs, and no dump carries the record.
    assert main(["lower", str(MLP), "--explain-fusion", "--dump-dir", str(tmp_path)]) == 0
    assert "fusion: mlp in" in capsys.readouterr().out
    dumps = sorted(tmp_path.iterdir())
    assert len(dumps) == len(plan("numpy")[0]) + 1
    assert not any("tfir.fusion" in f.read_text() for f in dumps)


@pytest.mark.parametrize(("argv", "message"), [
    (["--target", "eager"], "the eager pipeline has no pass fuse-elementwise"),
    (["--stop-after", "cse"], "--stop-after cse stops before fuse-elementwise"),
    (["--emit", "linalg"], "drop --emit"),
])
def test_explain_fusion_errors(argv: list[str], message: str, capsys) -> None:
    assert main(["lower", str(MLP), "--explain-fusion", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_timing_table_has_every_pass_and_stage(capsys) -> None:
    assert main(["lower", str(MLP), "--timing"]) == 0
    out = capsys.readouterr().out
    runnable, _ = plan("numpy")
    for step in runnable:
        assert re.search(rf"^{re.escape(step.pass_name)}\s+{step.stage}\s+\d+\.\d\d\s+\d+\s+\d+", out, re.M), step
    for stage in {s.stage for s in runnable}:
        assert re.search(rf"^{stage}\s+\d+\s+\d+\.\d\d", out, re.M)
    assert "total (passes)" in out


def test_verify_each_names_the_pass_that_broke_the_ir(monkeypatch, capsys) -> None:
    from xdsl.passes import ModulePass

    import tfir.pipeline as pipeline

    class BreakReturn(ModulePass):
        name = "cse"

        def apply(self, ctx, op) -> None:  # erases the terminator: the func no longer verifies
            for inner in list(op.walk()):
                if inner.name == "func.return":
                    inner.detach()
                    inner.erase()

    real = pipeline.pass_class
    monkeypatch.setattr(pipeline, "pass_class", lambda name: BreakReturn if name == "cse" else real(name))
    assert main(["lower", str(MLP), "--timing"]) == 1
    err = capsys.readouterr().err
    assert "compiler bug: pass 'cse' (stage tf) failed" in err
    assert "the IR it was given: tfir lower" in err and "--print-ir-before=cse" in err
    assert "Traceback" not in err


def test_missing_pass_is_skipped_with_a_warning(monkeypatch, capsys) -> None:
    import tfir.pipeline as pipeline

    real = pipeline.pass_class

    def fake(name: str):
        if name == "fold-constants":
            raise ModuleNotFoundError("No module named 'tfir.lowering.fold_constants'")
        return real(name)
    monkeypatch.setattr(pipeline, "pass_class", fake)
    monkeypatch.setattr(trace_mod, "pass_class", fake)
    assert main(["lower", str(MLP), "--print-ir-after-all"]) == 0
    captured = capsys.readouterr()
    assert "warning: pass 'fold-constants' is not available" in captured.err
    assert "IR Dump After fold-constants" not in captured.out and "IR Dump After cse" in captured.out
    assert main(["compile", str(MLP)]) == 1
    assert "cannot generate numpy code: pass 'fold-constants' is not available" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--stop-after", "cse2"], "no pass 'cse2' in the numpy pipeline; did you mean 'cse'?"),
    (["--print-ir-before", "bufferise"], "did you mean 'bufferize'?"),
    (["--entry", "mpl"], "no function 'mpl'"),
    (["--target", "eager", "--stop-after", "cse"], "no pass 'cse' in the eager pipeline"),
    (["--dim", "B"], "--dim must look like NAME=VALUE"),
    (["--input", "x=/nonexistent.npy"], "cannot load --input x=/nonexistent.npy"),
])
def test_user_errors_are_one_line(argv, message, capsys) -> None:
    assert main(["lower", str(MLP), *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@needs_conformance()
def test_generic_entry_needs_an_input_and_uses_its_shape(tmp_path: Path, capsys) -> None:
    lib = CONFORMANCE_PROGRAMS[0].parent / "lib_activations.tf"
    assert main(["lower", str(lib), "--emit", "tf"]) == 1
    assert "parameter 'x' of 'leaky' is generic" in capsys.readouterr().err
    np.save(tmp_path / "x.npy", np.zeros((3, 5), np.float32))
    assert main(["lower", str(lib), "--emit", "tf", "--input", f"x={tmp_path / 'x.npy'}",
                 "--input", "slope=0.5"]) == 0
    out = capsys.readouterr().out
    assert "tensor<3x5xf32>" in out and "5.000000e-01" in out


def test_symbolic_dims_default_with_a_note(tmp_path: Path, capsys) -> None:
    src = tmp_path / "p.tf"
    src.write_text("fn main(x: f32[B, 3], w: f32[3, H]) -> f32[B, H] {\n    return x @ w;\n}\n")
    assert main(["lower", str(src), "--emit", "tf", "--dim", "B=2"]) == 0
    captured = capsys.readouterr()
    assert "tensor<2x3xf32>" in captured.out and "tensor<3x4xf32>" in captured.out
    assert "note: dimension H is not given: using H=4 (pass --dim H=SIZE)" in captured.err
    assert "dimension B" not in captured.err


def test_api_lower_returns_stages(tmp_path: Path) -> None:
    source = "fn main(x: f32[N]) -> f32[N] {\n    let y = x * 1.0;\n    return exp(y) + exp(y);\n}\n"
    stages = lower(source, dims={"N": 8}, target="numpy")
    assert stages[0].pass_name == "frontend" and stages[0].ops_before == 0
    runnable, _ = plan("numpy")
    assert [s.pass_name for s in stages[1:]] == [s.pass_name for s in runnable]
    assert [STAGES.index(s.stage) for s in stages] == sorted(STAGES.index(s.stage) for s in stages)
    for a, b in zip(stages, stages[1:], strict=False):
        assert b.ops_before == a.ops_after and b.seconds >= 0
        assert b.changed == (a.ir != b.ir)
    cse = next(s for s in stages if s.pass_name == "cse")
    assert cse.changed and cse.ops_after < cse.ops_before  # the two exp(y) are one
    assert "tensor<8xf32>" in stages[0].ir and 'loc("<string>":3:' in stages[0].ir_with_locations
    fold = next(s for s in stages if s.pass_name == "fold-constants")
    assert fold.options == {"max_elements": 65536} and fold.spec == "fold-constants{max_elements=65536}"
    with pytest.warns(UserWarning, match="dimension N is not given"):
        assert lower(source, target="eager")[0].ir.count("tensor<4xf32>") > 0
    import tfir
    assert tfir.lower is lower and tfir.Stage is trace_mod.Stage


def test_passes_lists_every_pass_in_order_with_a_description(capsys) -> None:
    assert main(["passes"]) == 0
    out = capsys.readouterr().out
    names = re.findall(r"^  (\S+)\s{2,}(.+)$", out, re.M)
    assert [n for n, _ in names] == [s.pass_name for s in PIPELINE]
    assert all(desc.strip() and desc != "(no description)" for _, desc in names)
    assert [line[:-1] for line in out.splitlines() if not line.startswith(" ")] == \
        [s for s in STAGES if any(p.stage == s for p in PIPELINE)]
    assert main(["passes", "--target", "numpy"]) == 0
    listed = re.findall(r"^  (\S+)", capsys.readouterr().out, re.M)
    assert listed == [s.pass_name for s in steps_for("numpy")]


def test_compile_writes_the_code_of_build_for_target(tmp_path: Path, capsys) -> None:
    pytest.importorskip("tfir.backends.numpy.backend")
    out = tmp_path / "mlp.py"
    assert main(["compile", str(MLP), "--target", "numpy", "-o", str(out)]) == 0
    code = out.read_text()
    assert re.search(r"^\s*# mlp\.tf:3  return x @ w \+ b;$", code, re.M)
    import tfir
    from tfir.dialects.registry import TType
    fn = tfir.compile_file(MLP, target="numpy")["mlp"]
    types = {p.name: TType(p.type.dtype, tuple(p.type.dims)) for p in fn.params}
    assert fn.compile(types, {}).source == code
    assert main(["compile", str(MLP)]) == 0
    assert capsys.readouterr().out == code


def test_graph_dot_has_every_op_and_value(tmp_path: Path, capsys) -> None:
    assert main(["graph", str(MLP), "-o", str(tmp_path / "g.dot")]) == 0
    dot = (tmp_path / "g.dot").read_text()
    tf_ir = next(s for s in reversed(lower(MLP)) if s.stage == "tf").ir
    ops = re.findall(r"= (tf\.\w+)", tf_ir)
    assert sorted(re.findall(r"<b>(tf\.\w+)</b>", dot)) == sorted(ops)
    assert dot.count("<b>result ") == 1 and dot.count("shape=oval") == 6  # 5 args and the result
    uses = sum(len(re.findall(r"%\w+", line.split("=", 1)[1].split(":")[0])) for line in tf_ir.splitlines()
               if "= tf." in line) + 1  # the operands of every op and of the return
    assert len(re.findall(r" -> ", dot)) == uses
    assert "mlp.tf:3" in dot and "tensor&lt;32x128xf32&gt;" in dot


def test_graph_draws_fused_groups_as_clusters(capsys) -> None:
    pytest.importorskip("tfir.lowering.fuse_elementwise")
    assert main(["graph", str(MLP), "--stage", "linalg"]) == 0
    dot = capsys.readouterr().out
    assert "subgraph cluster_" in dot and "fused linalg.generic" in dot
    assert "after fuse-elementwise" in dot


def test_graph_draws_a_much_used_argument_once_per_use(tmp_path: Path, capsys) -> None:
    src = tmp_path / "p.tf"
    src.write_text("fn main(x: f32[4]) -> f32[4] {\n    return exp(x) + sin(x) * cos(x) - tanh(x) * x;\n}\n")
    assert main(["graph", str(src)]) == 0
    dot = capsys.readouterr().out
    copies = re.findall(r"^  (n0_u\d+) \[", dot, re.M)
    assert len(copies) == 5 and not re.search(r"^  n0 \[", dot, re.M)
    assert all(f"{c} -> " in dot for c in copies)


@pytest.mark.parametrize("command", ["lower", "compile", "graph", "explain", "passes"])
def test_every_command_takes_plugin(command: str, capsys) -> None:
    argv = [command] + ([] if command == "passes" else [str(MLP)])
    assert main([*argv, "--plugin", "no_such_tfir_plugin"]) == 1
    err = capsys.readouterr().err
    assert "no_such_tfir_plugin" in err and err.startswith("error: ") and "Traceback" not in err
