"""Drawing graphs with pip-installed dependencies only: Graphviz's `dot` when it is
on the PATH, else the `graphviz-pure` wheel; `-o g.svg` writes SVG or fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support.common import ROOT
from tfir.cli import main
from tfir.inspect import graph

MLP = ROOT / "examples" / "mlp.tf"
PURE = shutil.which("graphviz-pure", path=os.pathsep.join(
    [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]))
needs_pure = pytest.mark.skipif(PURE is None, reason="no graphviz-pure wheel on this platform")


def _no_dot_env(tmp_path: Path) -> dict[str, str]:
    """The environment with a PATH that has no `dot` and no venv bin/ on it."""
    empty = tmp_path / "bin"
    empty.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "TFIR_DOT"}
    env["PATH"] = str(empty)
    return env


@needs_pure
def test_graph_svg_without_dot_on_the_path(tmp_path: Path) -> None:
    env = _no_dot_env(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "tfir", "graph", str(MLP), "-o", str(tmp_path / "g.svg")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    svg = (tmp_path / "g.svg").read_text()
    assert "graphviz-pure" in svg and "<svg" in svg and "tf.matmul" in svg
    dot = subprocess.run([sys.executable, "-m", "tfir", "graph", str(MLP)], env=env, capture_output=True,
                         text=True, timeout=120).stdout
    assert svg.count('class="node"') == dot.count(' [id="n') + dot.count(' [id="out') > 15  # every node drawn
    proc = subprocess.run([sys.executable, "-m", "tfir", "explain", str(MLP), "-o", str(tmp_path / "r.html")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "r.html").read_text()
    assert page.count("<svg") == 2 and "No drawing" not in page  # the tf and linalg tabs
    assert 'class="node" data-l="3"' in page


def test_system_dot_comes_first(tmp_path: Path, monkeypatch) -> None:
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.delenv("TFIR_DOT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert graph.find_renderer() == str(fake)
    monkeypatch.setenv("TFIR_DOT", "no-such-renderer")
    assert graph.find_renderer() is None


def test_svg_or_a_clear_failure_never_another_format(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(graph, "find_renderer", lambda: None)
    assert main(["graph", str(MLP), "-o", str(tmp_path / "g.svg")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write") and "pip install graphviz-pure" in err
    assert "-o " + str(tmp_path / "g.dot") in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # neither g.svg nor g.dot
    assert main(["graph", str(MLP), "-o", str(tmp_path / "g.dot")]) == 0
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert main(["graph", str(MLP), "-o", str(tmp_path / "g.pdf")]) == 1
    assert "GRAPH.svg, GRAPH.png or GRAPH.dot" in capsys.readouterr().err


def test_renderer_failure_is_reported(tmp_path: Path, monkeypatch, capsys) -> None:
    broken = tmp_path / "dot"
    broken.write_text("#!/bin/sh\necho 'syntax error in line 1' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("TFIR_DOT", str(broken))
    assert main(["graph", str(MLP), "-o", str(tmp_path / "g.svg")]) == 1
    assert "dot failed: syntax error in line 1" in capsys.readouterr().err
    assert not (tmp_path / "g.svg").exists()


@needs_pure
def test_png_and_svg_files(tmp_path: Path, capsys) -> None:
    assert main(["graph", str(MLP), "--stage", "linalg", "-o", str(tmp_path / "g.png")]) == 0
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote PNG" in capsys.readouterr().err


def test_report_without_a_renderer_says_why(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(graph, "find_renderer", lambda: None)
    out = tmp_path / "r.html"
    assert main(["explain", str(MLP), "-o", str(out)]) == 0
    page = out.read_text()
    assert "No drawing: no Graphviz renderer found" in page and "<svg" not in page
    assert '<details class="dot"><summary>the graph as DOT text</summary>' in page


def test_graph_objects_for_notebooks(tmp_path: Path, monkeypatch) -> None:
    import tfir

    fn = tfir.compile_file(MLP).mlp
    g = fn.graph()
    assert g.dot.startswith("digraph") and "after dce" in g.title
    g.save(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == g.dot
    with pytest.raises(ValueError, match="use .svg, .png or .dot"):
        g.save(tmp_path / "g.jpg")
    report = fn.explain()
    assert report.save(tmp_path / "r.html") and "<iframe srcdoc=" in report._repr_html_()
    monkeypatch.setattr(graph, "find_renderer", lambda: None)
    bare = fn.graph("linalg")
    assert bare._repr_svg_() is None and "no renderer" in repr(bare)  # Jupyter shows the repr
